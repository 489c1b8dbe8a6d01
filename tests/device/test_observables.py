"""Observables and measurements PennyLane code uses, measured as default.qubit measures them."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

SUMS = [
    lambda: qml.Z(0) + qml.X(1),  # commute qubit-wise: per-wire rotations
    lambda: 0.5 * qml.X(0) @ qml.X(1) + qml.Z(0) @ qml.Z(1) - 0.3 * qml.Y(1) @ qml.Y(0),
    lambda: qml.X(0) + 2 * qml.Z(0),  # do not commute: the observable's own basis
    lambda: qml.Hamiltonian([1.0, 0.5], [qml.Z(0) @ qml.Z(1), qml.Y(2)]),
]


def circuit(observable):
    def qfunc(x):
        qml.RX(x, 0)
        qml.RY(2 * x, 1)
        qml.CNOT([0, 1])
        qml.RX(0.3, 2)
        qml.CNOT([1, 2])
        return qml.var(observable())
    return qfunc


@pytest.mark.parametrize("observable", SUMS)
def test_variance_of_a_sum_equals_default_qubit(observable: object) -> None:
    ours = qml.QNode(circuit(observable), qml.device("ionq.batch", wires=3,
                                                     backend="emulator"))(0.4)
    expected = qml.QNode(circuit(observable), qml.device("default.qubit", wires=3))(0.4)
    assert ours == pytest.approx(expected, abs=1e-10)


def test_variance_of_a_sum_with_shots() -> None:
    qfunc = circuit(lambda: qml.Z(0) + qml.X(1))
    dev = qml.device("ionq.batch", wires=3, backend="emulator", seed=3)
    ours = qml.set_shots(qml.QNode(qfunc, dev), 40_000)(0.4)
    expected = qml.QNode(qfunc, qml.device("default.qubit", wires=3))(0.4)
    assert ours == pytest.approx(expected, abs=0.03)


def test_a_sum_without_a_cheap_shared_basis_is_refused() -> None:
    qfunc = circuit(lambda: qml.X(0) @ qml.X(1) @ qml.X(2) + qml.Z(0) @ qml.Z(1))
    with pytest.raises(DeviceError, match="ionq.batch: qml.var.*acts on more than two wires"):
        qml.QNode(qfunc, qml.device("ionq.batch", wires=3, backend="emulator"))(0.4)


def test_a_variance_sharing_wires_with_other_measurements_is_refused() -> None:
    def qfunc():
        qml.RX(0.2, 0)
        return qml.var(qml.Z(0) + qml.X(1)), qml.expval(qml.Y(1))
    with pytest.raises(DeviceError, match="return it from a QNode of its own"):
        qml.QNode(qfunc, qml.device("ionq.batch", wires=2, backend="emulator"))()


def test_a_diagonal_hermitian_needs_no_gate() -> None:
    diagonal = np.diag([0.3, -1.0, 2.0, 0.5])
    dev = qml.device("ionq.batch", wires=2, backend="emulator")

    def qfunc():
        qml.RY(0.7, 0)
        qml.RX(0.4, 1)
        return qml.expval(qml.Hermitian(diagonal, wires=[1, 0])), qml.var(
            qml.Hermitian(np.diag([1.0, 3.0]), wires=0) @ qml.Z(1))

    ours = qml.QNode(qfunc, dev)()
    expected = qml.QNode(qfunc, qml.device("default.qubit", wires=2))()
    assert np.allclose(ours, expected, atol=1e-10)
    [job] = [j for j in dev.emulator.store.all() if j.parent_id is None][-1:]
    assert max(len(c.gates) for c in job.parsed.circuits) <= 4  # the two rotations only


def test_a_mid_circuit_measurement_without_a_spare_wire_says_so() -> None:
    def qfunc(x):
        qml.RX(x, 0)
        m = qml.measure(0, reset=True)
        qml.cond(m, qml.X)(1)
        qml.RX(x, 0)
        return qml.expval(qml.Z(1))

    with pytest.raises(DeviceError, match="ionq.batch: deferring this circuit's mid-circuit "
                       "measurements needs 1 more wire.* wires=3"):
        qml.QNode(qfunc, qml.device("ionq.batch", wires=2, backend="emulator"))(0.3)
    ours = qml.QNode(qfunc, qml.device("ionq.batch", wires=3, backend="emulator"))(0.3)
    expected = qml.QNode(qfunc, qml.device("default.qubit", wires=3))(0.3)
    assert ours == pytest.approx(expected, abs=1e-10)


def test_the_seed_is_drawn_from_numpys_generator_as_default_qubit_draws_it() -> None:
    """A script that seeds NumPy, makes the device, then draws its weights gets the same
    weights whichever device it makes."""
    drawn = []
    for name, kwargs in (("default.qubit", {}), ("ionq.batch", {"backend": "emulator"})):
        np.random.seed(42)
        qml.device(name, wires=1, **kwargs)
        drawn.append(np.random.uniform(size=3))
    assert np.array_equal(*drawn)
    a, b = (qml.set_shots(qml.QNode(lambda: (qml.RX(0.7, 0), qml.sample(wires=0))[1],
                                    qml.device("ionq.batch", wires=1, backend="emulator",
                                               seed=7)), 50)() for _ in range(2))
    assert np.array_equal(a, b)  # an explicit seed still fixes the samples
