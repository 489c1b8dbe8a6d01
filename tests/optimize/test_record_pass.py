"""What BatchSPSAOptimizer's record pass changes for a cost, case by case (docs/training.md)."""

from __future__ import annotations

import logging
import random
import threading
import warnings

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

from pennylane_ionq_batch import BatchSPSAOptimizer
from pennylane_ionq_batch.recording import RecordingDevice

from .test_spsa import qnode_on


def device() -> object:
    return qml.device("ionq.batch", wires=2, backend="emulator")


def jobs_of(dev: object, run: object) -> int:
    before = dev.emulator.log.jobs_created
    run()
    return dev.emulator.log.jobs_created - before


W = pnp.array([0.4, -0.2], requires_grad=True)


def test_the_device_is_a_recording_device() -> None:
    assert isinstance(device(), RecordingDevice)
    assert not isinstance(qml.device("default.qubit", wires=2), RecordingDevice)


def test_printing_shows_real_values_once_per_evaluation(capsys: pytest.CaptureFixture) -> None:
    circuit = qnode_on(device())

    def cost(w):
        value = circuit(w, 0.3)
        print(f"loss {float(value):.12f}")
        return value

    BatchSPSAOptimizer(maxiter=5, seed=1).step_and_cost(cost, W)
    lines = capsys.readouterr().out.splitlines()
    expected = qml.QNode(circuit.func, qml.device("default.qubit", wires=2))(W, 0.3)
    assert len(lines) == 3  # θ+, θ−, θ: the recording pass printed nothing
    assert lines[-1] == f"loss {float(expected):.12f}"


def test_logging_and_warnings_come_from_the_real_pass_only(caplog: pytest.LogCaptureFixture
                                                             ) -> None:
    circuit = qnode_on(device())
    log = logging.getLogger("user.training")

    def cost(w):
        value = circuit(w, 0.3)
        log.warning("value %.6f", float(value))
        warnings.warn(f"value {float(value):.6f}", RuntimeWarning, stacklevel=1)
        return value

    with caplog.at_level(logging.WARNING), pytest.warns(RuntimeWarning) as caught:
        BatchSPSAOptimizer(maxiter=5, seed=1).step(cost, W)
    assert len([r for r in caplog.records if r.name == "user.training"]) == 2
    assert len(caught) == 2


def test_other_threads_print_and_log_during_the_record_pass(
        capsys: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture) -> None:
    """Silencing is the recording thread's only: a thread that prints and logs while a step
    records (a progress reporter, a data loader) loses nothing."""
    circuit = qnode_on(device())
    log = logging.getLogger("user.loader")

    def other(k: int) -> None:
        print(f"other {k}")
        log.warning("other %d", k)

    calls = []

    def cost(w):
        value = circuit(w, 0.3)
        calls.append(len(calls))
        worker = threading.Thread(target=other, args=(calls[-1],))
        worker.start()
        worker.join()  # it ran while this thread is recording (the first 3 calls)
        print(f"cost {calls[-1]}")
        return value

    with caplog.at_level(logging.WARNING):
        BatchSPSAOptimizer(maxiter=5, seed=1).step_and_cost(cost, W)
    out = capsys.readouterr().out.splitlines()
    assert len(calls) == 6  # record pass, then replay
    assert [line for line in out if line.startswith("other")] == [f"other {k}" for k in range(6)]
    assert [line for line in out if line.startswith("cost")] == ["cost 3", "cost 4", "cost 5"]
    assert [r.getMessage() for r in caplog.records if r.name == "user.loader"] == \
        [f"other {k}" for k in range(6)]


def test_random_draws_are_those_of_one_evaluation() -> None:
    """NumPy's and Python's generators: both passes draw the same numbers, and the
    generators end where one evaluation leaves them."""
    circuit = qnode_on(device())
    seen: list[tuple[float, float]] = []

    def cost(w):
        a, b = np.random.uniform(), random.random()
        seen.append((a, b))
        return circuit(w, a + b)

    np.random.seed(3)
    random.seed(3)
    opt = BatchSPSAOptimizer(maxiter=5, seed=1)  # its own generator: only the cost draws
    opt.step(cost, W)
    assert seen[:2] == seen[2:]  # recorded, then replayed: the same draws
    after = (np.random.uniform(), random.random())
    np.random.seed(3)
    random.seed(3)
    for _ in range(2):
        np.random.uniform(), random.random()
    assert after == (np.random.uniform(), random.random())


def test_a_cost_that_divides_by_a_result_stays_one_job() -> None:
    """Placeholders have no exact zeros: 1 / ⟨Z⟩ does not fail on them."""
    dev = device()
    circuit = qnode_on(dev)
    opt = BatchSPSAOptimizer(maxiter=5, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert jobs_of(dev, lambda: opt.step(lambda w: 1 / circuit(w, 0.3), W)) == 1
    assert opt.fallbacks == 0


def test_a_branch_on_results_follows_the_last_real_results() -> None:
    """A branch taken on results: the first step may fall back (and warns, once); later steps
    record with the real results of the step before, take the same branch, and are one job."""
    dev = device()
    circuit = qnode_on(dev)

    def cost(w):
        first = circuit(w, 0.3)
        return circuit(w, 0.9) if first > 0.2 else first  # uniform placeholders gave 0

    opt = BatchSPSAOptimizer(maxiter=10, seed=2)
    w = W
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first step's fallback warning
        w = opt.step(cost, w)
    jobs = [jobs_of(dev, lambda: opt.step(cost, w)) for _ in range(3)]
    assert jobs == [1, 1, 1]


def test_a_cost_that_fails_on_placeholders_still_gets_real_values() -> None:
    dev = device()
    circuit = qnode_on(dev)

    calls: list[int] = []

    def cost(w):
        value = circuit(w, 0.3)
        calls.append(1)
        if len(calls) == 1:  # as a cost may fail on a value only a placeholder takes
            raise ValueError("a value the cost cannot use")
        return value

    opt = BatchSPSAOptimizer(maxiter=5, seed=1)
    with pytest.warns(UserWarning, match="raised ValueError.*on placeholder results"):
        new = opt.step(cost, W)
    reference = BatchSPSAOptimizer(maxiter=5, seed=1).step(
        lambda w: qml.QNode(circuit.func, qml.device("default.qubit", wires=2))(w, 0.3), W)
    assert np.allclose(new, reference, atol=1e-12)
    assert opt.last_stats.jobs == 2  # θ+ and θ− evaluated plainly, and counted
