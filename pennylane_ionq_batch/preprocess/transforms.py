"""ionq.batch's preprocessing: PennyLane transforms that validate and reshape tapes.

Everything that can be wrong with a tape is caught here, before any network call, with an
error that names ``ionq.batch``. After this pipeline a tape holds only gates the chosen gateset's
compiler takes (QIS gates, or any one- or two-qubit gate with a matrix for native) and diagonal
measurements.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.devices import ExecutionConfig
from pennylane.devices.preprocess import decompose, validate_device_wires
from pennylane.exceptions import DeviceError
from pennylane.math import Interface
from pennylane.measurements import (
    CountsMP,
    ExpectationMP,
    MeasurementProcess,
    ProbabilityMP,
    SampleMeasurement,
    SampleMP,
    StateMeasurement,
    VarianceMP,
)
from pennylane.tape import QuantumScript
from pennylane.transforms import (
    broadcast_expand,
    convert_to_numpy_parameters,
    diagonalize_measurements,
    split_non_commuting,
)
from pennylane.transforms.core import CompilePipeline, transform

from ..backends import BackendSpec
from ..compile import QIS_OPERATIONS, native, qis
from ..config import MAX_SHOTS, MIN_DEBIASING_SHOTS, JobOptions
from ..exceptions import ConfigurationError
from .cache import PreprocessCache

NAME = "ionq.batch"


def _null(results: Any) -> Any:
    return results[0]


@transform
def validate_job_settings(tape: QuantumScript, options: JobOptions, max_qubits: int
                          ) -> tuple[list[QuantumScript], Any]:
    """What IonQ would refuse with a 400, refused here: analytic results only from the ideal
    simulator, shots within IonQ's range, debiasing with at least 500 shots, circuits that fit
    the backend."""
    shots = tape.shots.total_shots if tape.shots else None
    if shots is None and options.noisy:
        what = (f"noise model {options.noise_model!r}" if options.backend == "simulator"
                else f"backend {options.backend!r}")
        raise DeviceError(
            f"{NAME}: {what} returns measured counts, so it needs shots; "
            "use qml.set_shots(qnode, shots=1000) or @qml.qnode(dev, shots=1000).")
    if shots is not None and shots > MAX_SHOTS:
        raise DeviceError(f"{NAME}: {shots} shots exceed IonQ's limit of {MAX_SHOTS} per job")
    if (options.error_mitigation or {}).get("debiasing") and (shots or 0) < MIN_DEBIASING_SHOTS:
        raise DeviceError(
            f"{NAME}: debiasing needs at least {MIN_DEBIASING_SHOTS} shots per circuit (IonQ "
            f"refuses fewer), this circuit has {shots}; raise the shots or turn debiasing off")
    if (options.sharpen or options.aggregation) and not options.debiasing(shots):
        reads = "sharpen=True" if options.sharpen else f"aggregation={options.aggregation!r}"
        raise DeviceError(
            f"{NAME}: {reads} reads debiased results, but a job of {shots} shots is not "
            f"debiased (IonQ debiases qis jobs of at least {MIN_DEBIASING_SHOTS} shots)")
    if len(tape.wires) > max_qubits:
        raise DeviceError(f"{NAME}: the circuit uses {len(tape.wires)} wires; "
                          f"{options.backend} takes at most {max_qubits}")
    return [tape], _null


@transform
def drop_snapshots(tape: QuantumScript) -> tuple[list[QuantumScript], Any]:
    """Remove ``qml.Snapshot`` markers: they do not change results and IonQ cannot take them.

    (``qml.snapshots(qnode)`` still works: it turns each snapshot into a tape of its own.)
    """
    if not any(isinstance(op, qml.Snapshot) for op in tape.operations):
        return [tape], _null
    ops = [op for op in tape.operations if not isinstance(op, qml.Snapshot)]
    return [tape.copy(operations=ops)], _null


@transform
def check_spare_wires(tape: QuantumScript, wires: Any) -> tuple[list[QuantumScript], Any]:
    """After deferring mid-circuit measurements: every wire they added must exist."""
    extra = [w for w in tape.wires if wires is not None and w not in wires]
    if extra:
        raise DeviceError(
            f"{NAME}: deferring this circuit's mid-circuit measurements needs {len(extra)} "
            f"more wire(s) than the device's {len(wires)}, all of which the circuit uses; "
            f"create the device with wires={len(wires) + len(extra)} (or wires=None)")
    return [tape], _null


def _shared_basis(obs: qml.operation.Operator) -> tuple[list[Any], np.ndarray] | None:
    """Rotations that make every term of ``obs`` diagonal, and its eigenvalues over
    ``obs.wires`` afterwards: per-wire rotations when its Pauli terms commute qubit-wise, else
    (on at most two wires) the basis of the whole observable. None when neither applies."""
    terms = obs.pauli_rep
    words = [w.operation(wire_order=obs.wires) for w in terms] if terms is not None else []
    if words and qml.pauli.are_pauli_words_qwc(words):
        rotations, diagonal = qml.pauli.diagonalize_qwc_pauli_words(words)
        rotated = qml.dot(list(terms.values()), diagonal)
        return rotations, np.real(rotated.sparse_matrix(wire_order=obs.wires).diagonal())
    if len(obs.wires) <= 2 and obs.has_matrix:
        values, vectors = np.linalg.eigh(qml.matrix(obs, wire_order=obs.wires))
        return [qml.QubitUnitary(vectors.conj().T, wires=obs.wires)], values
    return None


@transform
def measure_sums_in_shared_basis(tape: QuantumScript) -> tuple[list[QuantumScript], Any]:
    """``qml.var`` of a sum, measured in one basis that makes all its terms diagonal.

    PennyLane can only split a sum into terms, and a variance is not a sum of variances.
    """
    extra_ops: list[Any] = []
    measurements: list[MeasurementProcess] = []
    for mp in tape.measurements:
        obs = mp.obs
        if not isinstance(mp, VarianceMP) or not isinstance(obs, qml.ops.Sum) or \
                len(obs.operands) < 2 or _is_diagonal(obs):
            measurements.append(mp)
            continue
        basis = _shared_basis(obs)
        if basis is None:
            raise DeviceError(
                f"{NAME}: qml.var({obs}) needs a basis in which all its terms are diagonal; "
                "its terms do not commute qubit-wise and it acts on more than two wires. "
                "Measure qml.var(qml.Hermitian(qml.matrix(H), wires)) or its terms' "
                "expectations instead")
        others = set().union(*(m.wires for m in tape.measurements if m is not mp))
        if others & set(obs.wires):
            raise DeviceError(
                f"{NAME}: qml.var({obs}) is measured in its own basis, which other "
                "measurements of this circuit on the same wires cannot share; return it from "
                "a QNode of its own")
        extra_ops.extend(basis[0])
        measurements.append(VarianceMP(eigvals=basis[1], wires=obs.wires))
    if measurements == list(tape.measurements):
        return [tape], _null
    return [tape.copy(operations=tape.operations + extra_ops, measurements=measurements)], _null


@transform
def diagonalize_remaining(tape: QuantumScript) -> tuple[list[QuantumScript], Any]:
    """Rotate any observable left non-diagonal (Hermitian, Projector, ...) into the Z basis.

    ``diagonalize_measurements`` handles Pauli observables only. Here every other observable is
    replaced by its eigenvalues, after appending its diagonalizing gates unless its matrix is
    already diagonal (a "global cost" |0…0⟩⟨0…0| needs no gate at all, where PennyLane would
    append a permutation of all 2ⁿ states). Exact as long as observables on shared wires were
    split into separate tapes before.
    """
    extra_ops: list[qml.operation.Operator] = []
    measurements: list[MeasurementProcess] = []
    seen_wires: set[Any] = set()
    for mp in tape.measurements:
        obs = mp.obs
        if obs is None or _is_diagonal(obs):
            measurements.append(mp)
            continue
        if not obs.has_diagonalizing_gates:
            raise DeviceError(f"{NAME}: observable {obs.name} is not supported: PennyLane "
                              "cannot diagonalize it into the computational basis")
        if seen_wires & set(obs.wires):
            raise DeviceError(f"{NAME}: observables on shared wires {obs.wires.tolist()} "
                              "cannot be measured together; measure them in separate QNodes")
        seen_wires |= set(obs.wires)
        diagonal = _diagonal_of(obs)
        if diagonal is not None:
            measurements.append(type(mp)(eigvals=diagonal, wires=obs.wires))
            continue
        extra_ops.extend(obs.diagonalizing_gates())
        measurements.append(type(mp)(eigvals=qml.math.real(obs.eigvals()), wires=obs.wires))
    if measurements == list(tape.measurements):
        return [tape], _null
    new = tape.copy(operations=tape.operations + extra_ops, measurements=measurements)
    return [new], _null


def _diagonal_of(obs: qml.operation.Operator) -> np.ndarray | None:
    """The diagonal of ``obs`` over its wires when its matrix is diagonal, else None."""
    if not obs.has_matrix or len(obs.wires) > 16:
        return None
    matrix = qml.math.toarray(qml.matrix(obs, wire_order=obs.wires))
    diagonal = np.diagonal(matrix)
    if np.count_nonzero(matrix) != np.count_nonzero(diagonal) or \
            not np.allclose(diagonal.imag, 0, atol=1e-12):
        return None
    return np.real(diagonal)


def _is_diagonal(obs: qml.operation.Operator) -> bool:
    if obs.name in ("PauliZ", "Identity"):
        return True
    if isinstance(obs, (qml.ops.Prod, qml.ops.Sum, qml.ops.SProd)):
        return all(_is_diagonal(o) for o in obs.operands) if not isinstance(
            obs, qml.ops.SProd) else _is_diagonal(obs.base)
    return False


_USER_NAMES = {"ExpectationMP": "expval", "VarianceMP": "var", "ProbabilityMP": "probs",
               "ShadowExpvalMP": "shadow_expval"}


def user_name(mp: MeasurementProcess) -> str:
    """What a user wrote: ``qml.density_matrix()`` for a ``DensityMatrixMP``."""
    cls = type(mp).__name__
    name = _USER_NAMES.get(cls) or re.sub(r"(?<!^)(?=[A-Z])", "_",
                                          cls.removesuffix("MP")).lower()
    return f"qml.{name}()"


@transform
def validate_measurements(tape: QuantumScript) -> tuple[list[QuantumScript], Any]:
    """Exact statistics from probabilities without shots; anything computed from samples with.

    IonQ returns probabilities, never amplitudes, so ``qml.state()``, density matrices and
    other state-based measurements are refused (a state rebuilt from probabilities would drop
    every phase).
    """
    for mp in tape.measurements:
        if tape.shots:
            if isinstance(mp, SampleMeasurement):
                continue
            raise DeviceError(
                f"{NAME}: {user_name(mp)} is not accepted with finite shots: it needs the "
                "quantum state, and IonQ returns measured counts; use qml.probs(), "
                "qml.expval(), qml.var(), qml.sample() or qml.counts()")
        if isinstance(mp, (ExpectationMP, VarianceMP, ProbabilityMP)):
            continue
        if isinstance(mp, (SampleMP, CountsMP)) or (
                isinstance(mp, SampleMeasurement) and not isinstance(mp, StateMeasurement)):
            raise DeviceError(
                f"{NAME}: {user_name(mp)} needs shots; set them with "
                "qml.set_shots(qnode, shots=1000)")
        raise DeviceError(
            f"{NAME}: {user_name(mp)} is not supported: IonQ returns measurement "
            "probabilities, not amplitudes; use qml.probs(), qml.expval() or qml.var()")
    return [tape], _null


@transform
def preprocess_by_structure(tape: QuantumScript, pipeline: CompilePipeline,
                            cache: PreprocessCache) -> tuple[list[QuantumScript], Any]:
    """``pipeline``, run once per circuit structure (see :mod:`.cache`)."""
    out, post = cache.apply(tape, pipeline)
    return list(out), lambda results: post(results)[0]


def setup_execution_config(config: ExecutionConfig, paid: bool = False) -> ExecutionConfig:
    """The device's execution settings, given what PennyLane resolved.

    - Device derivatives (``gradient_method="device"``: parameter shifts computed on the
      device, sent with the forward circuits): PennyLane then runs the device's preprocessing
      outside the autodiff boundary. ``grad_on_execution`` defaults to True (forward and
      shifted circuits in one job), except on a ``paid`` backend, where evaluating a QNode
      with trainable parameters must not buy shifted circuits nobody asked for.
    - Otherwise autograd parameters are converted to NumPy by the pipeline itself, first:
      PennyLane converts them after the device's preprocessing, which rebuilt every tape bound
      from the preprocessing cache (about 40% of the client time of a parameter-shift
      gradient). Other interfaces keep PennyLane's conversion (JAX's boundary needs it), as do
      higher-order derivatives (its execution cache hashes NumPy tapes).
    """
    if config.gradient_method == "device":
        updates: dict[str, Any] = {"use_device_gradient": True,
                                   "use_device_jacobian_product": False}
        if config.grad_on_execution is None:
            updates["grad_on_execution"] = not paid
        return replace(config, **updates)
    if config.interface == Interface.AUTOGRAD and config.derivative_order == 1 \
            and config.convert_to_numpy:
        return replace(config, convert_to_numpy=False)
    return config


def check_device(wires: Any, options: JobOptions, spec: BackendSpec, max_qubits: int) -> None:
    """What the device asks of its backend, checked against the catalogue before any job."""
    if wires is not None and len(wires) > max_qubits:
        raise ConfigurationError(
            f"{NAME}: {len(wires)} wires requested but {options.backend} takes circuits of at "
            f"most {max_qubits} qubits")
    if (options.error_mitigation or {}).get("debiasing") and not spec.debiasing:
        raise ConfigurationError(
            f"{NAME}: {options.backend} does not offer debiasing (its catalogue entry lists no "
            "such error mitigation); remove it from error_mitigation")


def build_pipeline(wires: Any, options: JobOptions, *, max_qubits: int,
                   differentiable: bool = False) -> CompilePipeline:
    """The preprocessing pipeline of an ``ionq.batch`` device; ``differentiable``: it runs on
    parameters autodiff is tracing (device derivatives), so they are not converted."""
    program = CompilePipeline()
    if not differentiable:
        program.add_transform(convert_to_numpy_parameters)  # a no-op on NumPy tapes
    program.add_transform(drop_snapshots)
    program.add_transform(validate_device_wires, wires=wires, name=NAME)
    program.add_transform(validate_job_settings, options=options, max_qubits=max_qubits)
    program.add_transform(qml.defer_measurements, allow_postselect=False)
    program.add_transform(check_spare_wires, wires=wires)
    program.add_transform(validate_measurements)
    program.add_transform(measure_sums_in_shared_basis)
    program.add_transform(split_non_commuting)
    program.add_transform(diagonalize_measurements)
    program.add_transform(diagonalize_remaining)
    if options.gateset == "native":
        program.add_transform(decompose, stopping_condition=native.supports_operation,
                              skip_initial_state_prep=False, name=NAME)
    else:
        program.add_transform(decompose, stopping_condition=qis.supports_operation,
                              target_gates=set(QIS_OPERATIONS), skip_initial_state_prep=False,
                              name=NAME)
    program.add_transform(broadcast_expand)
    return program
