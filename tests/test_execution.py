"""The execution core on its own: placeholders, statistics, the tracker."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.wires import Wires

from pennylane_ionq_batch.execution import (
    placeholder_probabilities,
    placeholder_results,
    track,
    wire_order,
)
from pennylane_ionq_batch.stats import ExecutionStats, Timing


def test_placeholder_probabilities_are_all_different_and_none_zero() -> None:
    for n in range(1, 7):
        p = placeholder_probabilities(n)
        assert p.sum() == pytest.approx(1.0) and (p > 0).all()
        assert len(np.unique(p)) == 2**n


def test_placeholder_expectation_values_are_never_exactly_zero() -> None:
    """A cost that divides by, or branches on, an expectation value in the record pass must
    not meet the zero that uniform probabilities would give every Z observable."""
    tape = qml.tape.QuantumScript([qml.RX(0.1, 0)], [
        qml.expval(qml.Z(0)), qml.expval(qml.Z(1)), qml.expval(qml.Z(0) @ qml.Z(1)),
        qml.expval(qml.Z(2)), qml.var(qml.Z(0))])
    values = placeholder_results([tape], Wires([0, 1, 2]))[0]
    assert all(v != 0 for v in values) and len(set(values[:4])) == 4


def test_placeholders_have_the_shapes_of_real_results() -> None:
    tape = qml.tape.QuantumScript([qml.RX(0.1, 0)], [qml.probs(wires=[0, 1]),
                                                    qml.sample(qml.Z(0))], shots=7)
    probs, samples = placeholder_results([tape], Wires([0, 1]))[0]
    assert np.shape(probs) == (4,) and np.shape(samples) == (7,)


def test_the_wire_order_is_the_devices_restricted_to_the_tape() -> None:
    tape = qml.tape.QuantumScript([qml.CNOT(["b", "a"])], [qml.expval(qml.Z("a"))])
    assert wire_order(tape, Wires(["a", "x", "b"])).labels == ("a", "b")
    assert wire_order(tape, None).labels == ("b", "a")


def test_stats_add_up_and_times_are_the_slowest() -> None:
    a = ExecutionStats(circuits=3, jobs=1, job_ids=("a",), timing=Timing(1.0, 0.5, 2.0),
                       billed_cost=1.5)
    b = ExecutionStats(circuits=2, jobs=2, job_ids=("b", "c"), timing=Timing(0.5, 1.0, 1.8),
                       billed_cost=0.25)
    total = a + b
    assert (total.circuits, total.jobs, total.job_ids, total.billed_cost) == \
        (5, 3, ("a", "b", "c"), 1.75)
    assert total.timing == Timing(1.0, 1.0, 2.0) and total.timing.fixed_s == 1.0


def test_the_tracker_gets_one_record_per_execution() -> None:
    dev = qml.device("default.qubit")  # any device's tracker
    stats = ExecutionStats(circuits=4, circuits_sent=3, shots=4000, jobs=1, job_ids=("j",),
                           http_requests=3, timing=Timing(0.2, 0.1, 0.4), billed_cost=2.5)
    with qml.Tracker(dev) as tracker:
        track(tracker, stats, preprocess_cache_hits=2)
        track(tracker, ExecutionStats(circuits=1), preprocess_cache_hits=0)
    assert tracker.history["executions"] == [4, 1] and tracker.totals["batches"] == 2
    assert tracker.history["shots"] == [4000] and tracker.history["job_ids"] == [["j"], []]
    assert tracker.history["cost"] == [2.5, 0.0]
    assert tracker.history["job_queue_seconds"] == [0.2, 0.0]


def test_placeholders_shared_by_a_structure_are_copies() -> None:
    # Tapes bound from one cached structure share their placeholders (computed once): a cost
    # that changes one in place must not change the next.
    dev = qml.device("ionq.batch", wires=2, backend="emulator")

    def tape(x: float) -> qml.tape.QuantumScript:
        return qml.tape.QuantumScript([qml.RX(x, 0), qml.CNOT([0, 1])], [qml.probs(wires=[0, 1])])

    program = dev.preprocess_transforms()
    for x in (0.1, 0.2):  # seen twice: learned
        program([tape(x)])
    (first, second), _ = program([tape(0.3), tape(0.4)])
    assert type(first).__name__ == "BoundScript"
    results = placeholder_results([first, second], dev.wires)
    expected = results[0].copy()
    for result in results:
        result[:] = 0.0
    for _ in range(2):
        again = placeholder_results([first, second], dev.wires)
        assert all(np.array_equal(r, expected) for r in again)
        again[0][:] = 0.0
