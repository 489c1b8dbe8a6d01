"""IonQ histograms → PennyLane results: bit order, counts, samples, vectorised measurements."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.wires import Wires

from pennylane_ionq_batch.exceptions import ResponseError
from pennylane_ionq_batch.results import (
    apportion,
    batch_results,
    draw_samples,
    histogram_to_probs,
    tape_results,
)


class TestBitOrder:
    def test_ionq_qubit_0_is_pennylanes_first_wire_the_most_significant_bit(self) -> None:
        # IonQ key 1 = qubit 0 set; PennyLane's first wire is the most significant bit
        assert np.array_equal(histogram_to_probs({"1": 1.0}, 2), [0, 0, 1, 0])
        assert np.array_equal(histogram_to_probs({"4": 1.0}, 3), [0, 1, 0, 0, 0, 0, 0, 0])
        assert np.array_equal(histogram_to_probs({"6": 0.25, "1": 0.75}, 3),
                              [0, 0, 0, 0.25, 0.75, 0, 0, 0])

    def test_wide_registers_use_the_same_order(self) -> None:
        """Above 20 qubits the reversal is computed per key, not from a table: same result."""
        n = 21
        keys = [0, 1, 2**20, 2**21 - 1, 12345]
        probs = histogram_to_probs({str(k): 1 / 5 for k in keys}, n)
        reversed_index = [int(format(k, f"0{n}b")[::-1], 2) for k in keys]
        assert np.flatnonzero(probs).tolist() == sorted(reversed_index)
        assert np.allclose(probs[reversed_index], 1 / 5)

    def test_an_empty_distribution_is_an_error(self) -> None:
        with pytest.raises(ResponseError, match="malformed probabilities: not a non-empty object"):
            histogram_to_probs({}, 2)


class TestCounts:
    def test_the_shortfall_goes_to_the_largest_remainders(self) -> None:
        """Not to state 0: 10 × [0.1, 0.45, 0.45] is [1, 4.5, 4.5], rounded to sum 10 by
        giving the one missing count to the first of the largest remainders."""
        assert apportion(np.array([0.1, 0.45, 0.45]), 10).tolist() == [1, 5, 4]
        assert apportion(np.array([0.2, 0.35, 0.45]), 10).tolist() == [2, 4, 4]
        assert apportion(np.array([0.05, 0.7, 0.25]), 10).tolist() == [1, 7, 2]  # a tie: first
        counts = apportion(np.array([1 / 3, 1 / 3, 1 / 3]), 100)
        assert counts.tolist() == [34, 33, 33] and counts.sum() == 100

    def test_measured_histograms_come_back_as_their_counts(self) -> None:
        probs = np.array([0.125, 0.0, 0.5, 0.375])  # a QPU measured 8 shots
        samples = draw_samples(probs, 8, 2, np.random.default_rng(0), exact=False)
        states = samples[:, 0] * 2 + samples[:, 1]
        assert np.bincount(states, minlength=4).tolist() == [1, 0, 4, 3]

    def test_exact_probabilities_are_sampled(self) -> None:
        samples = draw_samples(np.array([0.0, 1.0]), 5, 1, np.random.default_rng(0),
                               exact=True)
        assert samples.tolist() == [[1]] * 5


def tape(measurements: list, shots: int | None = None) -> qml.tape.QuantumScript:
    return qml.tape.QuantumScript([qml.RX(0.3, 0)], measurements, shots=shots)


class TestMeasurements:
    PROBS = np.array([0.1, 0.2, 0.3, 0.4])  # over wires (0, 1), PennyLane order

    def test_analytic_values(self) -> None:
        t = tape([qml.expval(qml.Z(0)), qml.var(qml.Z(1)), qml.probs(wires=[1]),
                  qml.expval(qml.Z(0) @ qml.Z(1))])
        expval, var, probs, zz = tape_results(t, self.PROBS, Wires([0, 1]),
                                              np.random.default_rng(0), exact=True)
        assert expval == pytest.approx(0.3 - 0.7)  # P(wire 0 = 0) − P(wire 0 = 1)
        z1 = (0.1 + 0.3) - (0.2 + 0.4)
        assert var == pytest.approx(1 - z1**2)
        assert np.allclose(probs, [0.4, 0.6])
        assert zz == pytest.approx(0.1 - 0.2 - 0.3 + 0.4)

    def test_a_batch_equals_each_tape_alone(self) -> None:
        """The vectorised pass (groups of tapes measured alike) against one tape at a time,
        analytic and sampled, for wire orders that differ from the measurement's."""
        rng = np.random.default_rng(3)
        tapes, probs, orders = [], [], []
        for k in range(12):
            shots = None if k % 2 else 1000
            tapes.append(tape([qml.expval(qml.Z(1)), qml.probs(wires=[1, 0]),
                               qml.var(qml.Z(0) @ qml.Z(1))], shots))
            p = rng.random(4)
            probs.append(p / p.sum())
            orders.append(Wires([0, 1]) if k % 3 else Wires([1, 0]))
        together = batch_results(tapes, probs, orders, np.random.default_rng(5), exact=False)
        alone = [tape_results(t, p, w, np.random.default_rng(5), exact=False)
                 for t, p, w in zip(tapes, probs, orders, strict=True)]
        for a, b in zip(together, alone, strict=True):
            for x, y in zip(a, b, strict=True):  # measured histograms: deterministic counts
                assert np.allclose(x, y, atol=1e-12)


def test_a_state_past_the_register_is_named_as_ionq_sent_it() -> None:
    with pytest.raises(ResponseError, match=f"state {2**64 + 3} is beyond the circuit's 3 qub"):
        histogram_to_probs({str(2**64 + 3): 0.5, "3": 0.5}, 3)
