"""GPI, GPI2, MS and ZZ as PennyLane operations: matrices, decompositions, adjoints, gradients."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch.emulator import statevector
from pennylane_ionq_batch.ops import GPI, GPI2, MS, ZZ

PHASES = [0.0, 0.25, 0.5, -0.3, 0.77, 1.0]

X = np.array([[0, 1], [1, 0]])
Y = np.array([[0, -1j], [1j, 0]])


class TestMatrices:
    """Against the emulator's own definitions (reference §12.1) and the named special cases."""

    @pytest.mark.parametrize("phi", PHASES)
    def test_gpi_and_gpi2(self, phi: float) -> None:
        assert np.allclose(GPI.compute_matrix(phi), statevector.gpi(phi), atol=1e-14)
        assert np.allclose(GPI2.compute_matrix(phi), statevector.gpi2(phi), atol=1e-14)

    @pytest.mark.parametrize("phi0, phi1, theta", [(0, 0, 0.25), (0.1, 0.7, 0.1),
                                                   (0.25, 0.25, 0.2), (-0.4, 0.3, 0.05)])
    def test_ms(self, phi0: float, phi1: float, theta: float) -> None:
        assert np.allclose(MS.compute_matrix(phi0, phi1, theta),
                           statevector.ms(phi0, phi1, theta), atol=1e-14)
        m = MS.compute_matrix(phi0, phi1, theta)
        assert np.allclose(m @ m.conj().T, np.eye(4), atol=1e-14)  # pennylane-ionq's is not

    def test_named_special_cases(self) -> None:
        assert np.allclose(GPI.compute_matrix(0), X) and np.allclose(GPI.compute_matrix(0.25), Y)
        assert np.allclose(GPI2.compute_matrix(0.25), qml.matrix(qml.RY(math.pi / 2, 0)))
        assert np.allclose(MS.compute_matrix(0, 0, 0.1), qml.matrix(qml.IsingXX(0.2 * math.pi,
                                                                                  [0, 1])))
        assert np.allclose(ZZ.compute_matrix(0.1), qml.matrix(qml.IsingZZ(0.2 * math.pi,
                                                                          [0, 1])))

    def test_ms_first_wire_is_most_significant(self) -> None:
        expected = np.kron(GPI.compute_matrix(0.1), np.eye(2))
        # MS(φ0, φ1, ½) = −i σ_φ0 ⊗ σ_φ1: check the first factor acts on the first wire
        got = qml.matrix(MS(0.1, 0.0, 0.5, wires=[0, 1]), wire_order=[0, 1])
        assert np.allclose(got, -1j * expected @ np.kron(np.eye(2), X))

    def test_broadcast_parameters(self) -> None:
        m = GPI2.compute_matrix(np.array([0.0, 0.25]))
        assert m.shape == (2, 2, 2) and np.allclose(m[1], statevector.gpi2(0.25))
        m = MS.compute_matrix(np.array([0.1, 0.2]), 0.0, 0.25)
        assert m.shape == (2, 4, 4) and np.allclose(m[1], statevector.ms(0.2, 0.0, 0.25))


@pytest.mark.parametrize("op", [GPI(0.3, 0), GPI2(-0.2, 0), MS(0.1, 0.6, 0.15, [0, 1]),
                                MS(0.1, 0.6, wires=[1, 0]), ZZ(0.2, [0, 1])])
def test_decomposition_and_adjoint_are_exact(op: qml.operation.Operator) -> None:
    wires = [0, 1]
    m = qml.matrix(op, wire_order=wires)
    assert np.allclose(qml.matrix(qml.tape.QuantumScript(op.decomposition()), wire_order=wires),
                       m, atol=1e-14)
    assert np.allclose(qml.matrix(op.adjoint(), wire_order=wires), m.conj().T, atol=1e-14)


def test_native_ops_simulate_and_differentiate_on_default_qubit() -> None:
    @qml.qnode(qml.device("default.qubit", wires=2))
    def circuit(phi: float) -> float:
        GPI2(0.0, wires=0)
        GPI2(0.25, wires=1)
        MS(phi, 0.0, 0.25, wires=[0, 1])
        return qml.expval(qml.PauliZ(0))

    phi = qml.numpy.array(0.1, requires_grad=True)
    assert circuit(phi) == pytest.approx(-math.cos(2 * math.pi * 0.1))  # = −cos(2πφ)
    grad = qml.grad(circuit)(phi)
    eps = 1e-6
    assert grad == pytest.approx((circuit(phi + eps) - circuit(phi - eps)) / (2 * eps), abs=1e-6)
    assert abs(grad) > 1.0
