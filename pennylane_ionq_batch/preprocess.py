"""ionq.batch's preprocessing: PennyLane transforms that validate and reshape tapes.

Everything that can be wrong with a tape is caught here, before any network call, with an
error that names ``ionq.batch``. After this pipeline a tape holds only gates the chosen gateset's
compiler takes (QIS gates, or any one- or two-qubit gate with a matrix for native) and diagonal
measurements.
"""

from __future__ import annotations

from typing import Any

import pennylane as qml
from pennylane.devices.preprocess import decompose, validate_device_wires
from pennylane.exceptions import DeviceError
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
from pennylane.transforms import broadcast_expand, diagonalize_measurements, split_non_commuting
from pennylane.transforms.core import CompilePipeline, transform

from .compile import QIS_OPERATIONS, native, qis
from .config import MAX_SHOTS, MIN_DEBIASING_SHOTS, JobOptions

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
    if options.sharpen and not options.debiasing(shots):
        raise DeviceError(
            f"{NAME}: sharpen=True reads debiased results, but a job of {shots} shots is not "
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
def diagonalize_remaining(tape: QuantumScript) -> tuple[list[QuantumScript], Any]:
    """Rotate any observable left non-diagonal (Hermitian, Projector, ...) into the Z basis.

    ``diagonalize_measurements`` handles Pauli observables only. Here every other observable is
    replaced by its eigenvalues after appending its diagonalizing gates, which is exact as long
    as observables on shared wires were split into separate tapes before.
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
        extra_ops.extend(obs.diagonalizing_gates())
        measurements.append(type(mp)(eigvals=qml.math.real(obs.eigvals()), wires=obs.wires))
    if not extra_ops:
        return [tape], _null
    new = tape.copy(operations=tape.operations + extra_ops, measurements=measurements)
    return [new], _null


def _is_diagonal(obs: qml.operation.Operator) -> bool:
    if obs.name in ("PauliZ", "Identity"):
        return True
    if isinstance(obs, (qml.ops.Prod, qml.ops.Sum, qml.ops.SProd)):
        return all(_is_diagonal(o) for o in obs.operands) if not isinstance(
            obs, qml.ops.SProd) else _is_diagonal(obs.base)
    return False


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
                f"{NAME}: measurement {mp} is not accepted with finite shots: it needs the "
                "quantum state, which IonQ does not return")
        if isinstance(mp, (ExpectationMP, VarianceMP, ProbabilityMP)):
            continue
        if isinstance(mp, (SampleMP, CountsMP)) or (
                isinstance(mp, SampleMeasurement) and not isinstance(mp, StateMeasurement)):
            raise DeviceError(
                f"{NAME}: {type(mp).__name__} needs shots; set them with "
                "qml.set_shots(qnode, shots=1000)")
        raise DeviceError(
            f"{NAME}: measurement {type(mp).__name__} is not supported: IonQ returns "
            "measurement probabilities, not amplitudes; use qml.probs(), qml.expval() or "
            "qml.var()")
    return [tape], _null


def build_pipeline(wires: Any, options: JobOptions, *, max_qubits: int) -> CompilePipeline:
    """The preprocessing pipeline of an ``ionq.batch`` device."""
    program = CompilePipeline()
    program.add_transform(drop_snapshots)
    program.add_transform(validate_device_wires, wires=wires, name=NAME)
    program.add_transform(validate_job_settings, options=options, max_qubits=max_qubits)
    program.add_transform(qml.defer_measurements, allow_postselect=False)
    program.add_transform(validate_measurements)
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
