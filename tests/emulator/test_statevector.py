"""The emulator's maths against independent definitions (PennyLane matrices, IonQ formulas)."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch.emulator.statevector import (
    EmulationLimitError,
    gate_unitary,
    gpi,
    gpi2,
    ms,
    sample_noisy,
    simulate,
    zz,
)

ANGLES = [0.0, 0.1, -0.37, 0.25, 0.5, 0.93]


def _kron_xx(theta: float) -> np.ndarray:
    return qml.matrix(qml.IsingXX(theta, wires=[0, 1]))


class TestNativeMatrices:
    @pytest.mark.parametrize("phase", ANGLES)
    def test_gpi_is_a_pi_rotation_about_an_equatorial_axis(self, phase: float) -> None:
        axis = np.cos(2 * np.pi * phase) * qml.matrix(qml.X(0)) + np.sin(
            2 * np.pi * phase) * qml.matrix(qml.Y(0))
        assert np.allclose(gpi(phase), axis)

    @pytest.mark.parametrize("phase", ANGLES)
    def test_gpi2_squared_is_gpi_up_to_phase(self, phase: float) -> None:
        sq = gpi2(phase) @ gpi2(phase)
        assert np.allclose(sq, -1j * gpi(phase))

    @pytest.mark.parametrize("theta", [0.0, 0.05, 0.125, 0.25])
    def test_ms_zero_phases_is_ising_xx(self, theta: float) -> None:
        """MS(0, 0, θ) = exp(−iπθ X⊗X) = IsingXX(2πθ), first target most significant."""
        assert np.allclose(ms(0, 0, theta), _kron_xx(2 * np.pi * theta))

    def test_ms_quarter_phases_is_ising_yy(self) -> None:
        assert np.allclose(ms(0.25, 0.25, 0.1), qml.matrix(qml.IsingYY(0.2 * np.pi, [0, 1])))

    @pytest.mark.parametrize("phi0, phi1, theta", [(0.1, 0.7, 0.25), (0.3, -0.2, 0.07)])
    def test_ms_is_unitary_and_phase_identity_holds(self, phi0: float, phi1: float,
                                                    theta: float) -> None:
        u = ms(phi0, phi1, theta)
        assert np.allclose(u @ u.conj().T, np.eye(4))
        assert np.allclose(ms(phi0 + 0.5, phi1, theta), ms(phi0, phi1, -theta))

    def test_ms_theta_zero_is_identity(self) -> None:
        """The pennylane-ionq bug (an entangler at θ=0) is absent."""
        assert np.allclose(ms(0.3, 0.1, 0.0), np.eye(4))

    @pytest.mark.parametrize("theta", ANGLES)
    def test_zz_is_ising_zz(self, theta: float) -> None:
        assert np.allclose(zz(theta), qml.matrix(qml.IsingZZ(2 * np.pi * theta, [0, 1])))


QIS_CASES = [
    ({"gate": "h", "target": 0}, qml.Hadamard(0)),
    ({"gate": "v", "target": 0}, qml.SX(0)),
    ({"gate": "vi", "target": 0}, qml.adjoint(qml.SX(0))),
    ({"gate": "si", "target": 0}, qml.adjoint(qml.S(0))),
    ({"gate": "ti", "target": 0}, qml.adjoint(qml.T(0))),
    ({"gate": "rx", "target": 0, "rotation": 0.3}, qml.RX(0.3, 0)),
    ({"gate": "ry", "target": 0, "rotation": -1.3}, qml.RY(-1.3, 0)),
    ({"gate": "yy", "targets": [0, 1], "rotation": 0.4}, qml.IsingYY(0.4, [0, 1])),
    ({"gate": "swap", "targets": [0, 1]}, qml.SWAP([0, 1])),
]


@pytest.mark.parametrize("gate, op", QIS_CASES)
def test_qis_gates_match_pennylane(gate: dict, op: qml.operation.Operator) -> None:
    assert np.allclose(gate_unitary(gate)[0], qml.matrix(op))


def _pl_probs_little_endian(ops: list, n: int) -> np.ndarray:
    """default.qubit probabilities re-indexed so that qubit 0 is the least significant bit."""
    probs = qml.QNode(lambda: ([qml.apply(o) for o in ops], qml.probs(wires=range(n)))[1],
                      qml.device("default.qubit", wires=n))()
    return probs.reshape([2] * n).transpose(list(range(n))[::-1]).reshape(-1)


class TestSimulate:
    def test_x_on_qubit_zero_gives_key_one(self) -> None:
        """Little-endian: X on qubit 0 of 3 qubits is key 1."""
        probs = simulate([{"gate": "x", "target": 0}], 3)
        assert probs[1] == 1.0

    def test_controlled_and_multi_controlled_gates(self) -> None:
        circuit = [{"gate": "h", "target": 0}, {"gate": "x", "target": 2},
                   {"gate": "cnot", "controls": [0, 2], "target": 1},
                   {"gate": "ry", "control": 1, "target": 3, "rotation": 0.7},
                   {"gate": "pauliexp", "targets": [0, 3], "terms": ["XZ", "YY"],
                    "coefficients": [0.5, -0.2], "time": 0.7}]
        ops = [qml.Hadamard(0), qml.X(2), qml.Toffoli([0, 2, 1]), qml.CRY(0.7, [1, 3]),
               # IonQ's term strings are little-endian: "XZ" puts Z on targets[0] (qubit 0).
               qml.exp(qml.dot([0.5, -0.2], [qml.Z(0) @ qml.X(3), qml.Y(0) @ qml.Y(3)]),
                       -0.7j)]
        assert np.allclose(simulate(circuit, 4), _pl_probs_little_endian(ops, 4))

    def test_memory_cap_is_a_clear_error(self) -> None:
        with pytest.raises(EmulationLimitError, match="30 qubits exceed"):
            simulate([], 30, max_qubits=26)


class TestNoise:
    def test_counts_sum_to_shots_and_are_seeded(self) -> None:
        circuit = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]
        a = sample_noisy(circuit, 2, 1000, 0.0005, 0.0133, np.random.default_rng(3))
        b = sample_noisy(circuit, 2, 1000, 0.0005, 0.0133, np.random.default_rng(3))
        assert a.sum() == 1000 and np.array_equal(a, b)

    def test_depolarizing_rate_shows_in_the_counts(self) -> None:
        """Each gate flips the bit w.p. r/2 (an X or Y error), so 20 gates flip it w.p.
        (1 − (1 − r)^20)/2."""
        circuit = [{"gate": "x", "target": 0}] * 20
        r = 0.02
        counts = sample_noisy(circuit, 1, 20_000, r, 0.0, np.random.default_rng(0))
        flip = (1 - (1 - r) ** 20) / 2
        assert counts[1] / 20_000 == pytest.approx(flip, abs=0.01)

    def test_no_noise_reproduces_ideal_distribution(self) -> None:
        circuit = [{"gate": "ry", "target": 0, "rotation": 1.0}]
        counts = sample_noisy(circuit, 1, 50_000, 0.0, 0.0, np.random.default_rng(0))
        assert counts[1] / 50_000 == pytest.approx(np.sin(0.5) ** 2, abs=0.01)
