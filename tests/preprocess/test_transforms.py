"""The device's transforms one at a time: what each refuses, and what each rewrites."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.devices import ExecutionConfig
from pennylane.exceptions import DeviceError
from pennylane.math import Interface

from pennylane_ionq_batch.config import JobOptions
from pennylane_ionq_batch.preprocess.transforms import (
    build_pipeline,
    check_spare_wires,
    diagonalize_remaining,
    drop_snapshots,
    measure_sums_in_shared_basis,
    setup_execution_config,
    validate_job_settings,
    validate_measurements,
)


def script(ops: list, measurements: list, shots: int | None = None) -> qml.tape.QuantumScript:
    return qml.tape.QuantumScript(ops, measurements, shots=shots)


def run(transform: object, tape: qml.tape.QuantumScript, **kw: object) -> list:
    tapes, _ = transform(tape, **kw)  # type: ignore[operator]
    return list(tapes)


ONE = [qml.RX(0.3, 0)]


class TestJobSettings:
    @pytest.mark.parametrize("options, shots, message", [
        (JobOptions(backend="qpu.aria-1"), None, "returns measured counts, so it needs shots"),
        (JobOptions(noise_model="aria-1"), None, "noise model 'aria-1' returns measured"),
        (JobOptions(), 1_000_001, "exceed IonQ's limit of 1000000"),
        (JobOptions(backend="qpu.aria-1", error_mitigation={"debiasing": True}), 499,
         "debiasing needs at least 500 shots"),
    ])
    def test_refused(self, options: JobOptions, shots: int | None, message: str) -> None:
        with pytest.raises(DeviceError, match=message):
            run(validate_job_settings, script(ONE, [qml.expval(qml.Z(0))], shots),
                options=options, max_qubits=25)

    def test_too_wide(self) -> None:
        tape = script([qml.RX(0.1, w) for w in range(3)], [qml.expval(qml.Z(0))])
        with pytest.raises(DeviceError, match="uses 3 wires; simulator takes at most 2"):
            run(validate_job_settings, tape, options=JobOptions(), max_qubits=2)

    def test_accepted_unchanged(self) -> None:
        tape = script(ONE, [qml.expval(qml.Z(0))], 1000)
        assert run(validate_job_settings, tape, options=JobOptions(backend="qpu.aria-1"),
                   max_qubits=25) == [tape]


def test_snapshots_are_dropped() -> None:
    [out] = run(drop_snapshots, script([qml.Snapshot(), *ONE, qml.Snapshot("x")],
                                       [qml.expval(qml.Z(0))]))
    assert [op.name for op in out.operations] == ["RX"]


def test_deferred_measurements_need_spare_wires() -> None:
    tape = script(ONE, [qml.expval(qml.Z(2))])
    with pytest.raises(DeviceError, match="needs 1 more wire.*wires=3"):
        run(check_spare_wires, tape, wires=qml.wires.Wires([0, 1]))
    assert run(check_spare_wires, tape, wires=None) == [tape]


class TestMeasurements:
    @pytest.mark.parametrize("mp, shots, message", [
        (qml.state(), None, r"qml.state\(\) is not supported"),
        (qml.sample(qml.Z(0)), None, r"qml.sample\(\) needs shots"),
        (qml.counts(), None, r"qml.counts\(\) needs shots"),
        (qml.density_matrix([0]), 100,
         r"qml.density_matrix\(\) is not accepted with finite shots: it needs the"),
    ])
    def test_refused(self, mp: object, shots: int | None, message: str) -> None:
        with pytest.raises(DeviceError, match=message):
            run(validate_measurements, script(ONE, [mp], shots))

    def test_variance_of_a_sum_is_measured_in_one_basis(self) -> None:
        obs = qml.X(0) + 0.5 * qml.X(1)
        tape = script([qml.RY(0.4, 0), qml.RY(-0.3, 1)], [qml.var(obs)])
        [out] = run(measure_sums_in_shared_basis, tape)
        assert out.measurements[0].obs is None  # eigenvalues in the rotated basis
        assert [op.name for op in out.operations[2:]] == ["RY", "RY"]  # X → Z on both wires
        dev = qml.device("default.qubit")
        assert qml.execute([out], dev)[0] == pytest.approx(qml.execute([tape], dev)[0])

    def test_a_diagonal_observable_needs_no_gate(self) -> None:
        projector = np.diag([1.0, 0, 0, 0])  # |00⟩⟨00|, the global cost
        tape = script(ONE, [qml.expval(qml.Hermitian(projector, wires=[0, 1]))])
        [out] = run(diagonalize_remaining, tape)
        assert out.operations == tape.operations
        assert np.allclose(out.measurements[0].eigvals(), [1, 0, 0, 0])

    def test_a_non_diagonal_observable_is_rotated(self) -> None:
        h = np.array([[1.0, 2.0], [2.0, -1.0]])
        tape = script(ONE, [qml.expval(qml.Hermitian(h, wires=0))])
        [out] = run(diagonalize_remaining, tape)
        assert len(out.operations) > 1
        dev = qml.device("default.qubit")
        assert qml.execute([out], dev)[0] == pytest.approx(qml.execute([tape], dev)[0])


def test_the_pipeline_leaves_only_what_the_compiler_takes() -> None:
    pipeline = build_pipeline(qml.wires.Wires(range(3)), JobOptions(), max_qubits=29)
    tape = script([qml.Toffoli([0, 1, 2]), qml.RX(np.array([0.1, 0.2]), 0)],
                  [qml.expval(qml.X(0) + qml.Z(0))])
    tapes, _ = pipeline([tape])
    assert len(tapes) == 4  # two broadcast values × two non-commuting terms
    assert all(len(op.wires) <= 2 for t in tapes for op in t.operations)
    assert all(mp.obs is None or mp.obs.name in ("PauliZ", "Prod", "Identity")
               for t in tapes for mp in t.measurements)


def test_autograd_parameters_are_converted_by_the_pipeline() -> None:
    base = ExecutionConfig(interface=Interface.AUTOGRAD)
    assert setup_execution_config(base).convert_to_numpy is False
    assert setup_execution_config(ExecutionConfig(interface=Interface.JAX)).convert_to_numpy
    second = ExecutionConfig(interface=Interface.AUTOGRAD, derivative_order=2)
    assert setup_execution_config(second).convert_to_numpy
