"""The device against an emulator that follows IonQ's current document (and its legacy mode):
results from the record, lost-POST recovery, empty circuits, polling, settings, fork, close."""

from __future__ import annotations

import multiprocessing

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch import JobError
from pennylane_ionq_batch.emulator import EmulatorServer, FaultModel, LatencyModel

from ..conftest import LOCAL

LOST_ONCE = FaultModel(rates={"drop-after-create": 1.0}, limits={"drop-after-create": 1})


def basis_tapes(n: int, wires: int, shots: int | None = None) -> list[qml.tape.QuantumScript]:
    """Tape i prepares the basis state |i⟩: distinct circuits with deterministic results."""
    return [qml.tape.QuantumScript(
        [qml.X(w) for w in range(wires) if (i >> (wires - 1 - w)) & 1],
        [qml.probs(wires=range(wires))], shots=shots) for i in range(n)]


def one_hot(i: int, size: int) -> np.ndarray:
    out = np.zeros(size)
    out[i] = 1.0
    return out


@pytest.mark.parametrize("contract, route", [("current", "GET /v0.4/jobs/{job_id}/artifacts/"
                                              "{artifact}"),
                                             ("legacy", "GET /v0.4/jobs/{job_id}/results/"
                                              "probabilities/aggregated")])
def test_results_read_from_what_the_record_names(contract: str, route: str) -> None:
    dev = qml.device("ionq.batch", wires=3, backend="emulator", emulator_contract=contract)
    dev.emulator.reset_log()
    results = qml.execute(basis_tapes(8, 3), dev)
    assert all(np.allclose(r, one_hot(i, 8)) for i, r in enumerate(results))
    log = dev.emulator.log
    assert log.requests[route] == 1 and log.jobs_created == 1
    assert not any("/aggregated" in r for r in log.requests) or contract == "legacy"


def test_a_lost_post_of_a_1000_circuit_qpu_job_is_adopted() -> None:
    """The answer to POST /jobs is lost; the listing (pages of 25, its 1,000 child jobs
    listed first) is searched, the job found and adopted: one job, right results."""
    server = EmulatorServer(faults=LOST_ONCE, qpu_noise=False, seed=3).start_in_thread()
    try:
        dev = qml.device("ionq.batch", wires=10, backend="qpu.aria-1", api_url=server.url,
                         api_key="k", client_options=LOCAL)
        results = qml.execute(basis_tapes(1000, 10, shots=100), dev)
        assert all(np.allclose(r, one_hot(i, 1024)) for i, r in enumerate(results))
        log = server.log
        assert log.faults["drop-after-create"] == 1 and log.jobs_created == 1
        assert log.count("POST", "/v0.4/jobs") == 1
        assert log.count("GET", "/v0.4/jobs") >= 1001 // 25  # read past the child jobs
    finally:
        server.stop_thread()


def test_a_lagging_listing_creates_no_second_job() -> None:
    """The new job appears in GET /jobs only 0.3 s after creation: the first reading misses
    it, the second (lookup_delay later) finds it."""
    latency = LatencyModel(listing_lag=0.3)
    server = EmulatorServer(faults=LOST_ONCE, latency=latency, qpu_noise=False
                            ).start_in_thread()
    try:
        dev = qml.device("ionq.batch", wires=2, backend="qpu.forte-1", api_url=server.url,
                         api_key="k", client_options={**LOCAL, "lookup_delay": 0.6})
        (result,) = qml.execute(basis_tapes(4, 2, shots=100)[3:], dev)
        assert np.allclose(result, one_hot(3, 4))
        assert server.log.jobs_created == 1 and server.log.count("POST", "/v0.4/jobs") == 1
        assert server.log.count("GET", "/v0.4/jobs") == 2  # a miss, then a hit
    finally:
        server.stop_thread()


def test_at_most_four_status_requests_in_a_jobs_first_second() -> None:
    """Default client settings, a job queued 3 s, predictions null (as IonQ sends them). A
    slow machine only spaces polls further apart: the first second never holds more."""
    server = EmulatorServer(latency=LatencyModel(queue_per_job=3.0), contract="current"
                            ).start_in_thread()
    try:
        dev = qml.device("ionq.batch", wires=1, api_url=server.url, api_key="k")
        (result,) = qml.execute(basis_tapes(2, 1)[1:], dev)
        assert np.allclose(result, [0, 1])
        log = server.log
        created = log.times[log.sequence.index("POST /v0.4/jobs")]
        polls = [t - created for t, r in zip(log.times, log.sequence, strict=True)
                 if r == "GET /v0.4/jobs/{job_id}"]
        assert sum(p < 1.0 for p in polls) <= 4 and len(polls) >= 5  # kept polling after
    finally:
        server.stop_thread()


class TestEmptyCircuits:
    def test_answered_exactly_without_a_job(self) -> None:
        dev = qml.device("ionq.batch", wires=2, backend="emulator")
        dev.emulator.reset_log()
        qnode = qml.QNode(lambda x: (qml.RZ(x, 0), qml.PhaseShift(x, 1),
                                     qml.probs(wires=[0, 1]))[-1], dev)
        assert np.allclose(qnode(0.3), [1, 0, 0, 0])
        assert dev.emulator.log.jobs_created == 0 and dev.last_execution.jobs == 0

    def test_sent_as_cancelling_pulses_when_measured(self) -> None:
        dev = qml.device("ionq.batch", wires=2, backend="emulator:qpu.aria-1", seed=1)
        qnode = qml.set_shots(qml.QNode(lambda: (qml.RZ(0.3, 0), qml.probs(wires=[0, 1]))[-1],
                                        dev), 2000)
        probs = qnode()
        assert probs[0] > 0.97  # two pulses of Aria's noise, then measured
        [job] = [j for j in dev.emulator.store.all() if j.parent_id is None][-1:]
        assert job.parsed.circuits[0].gates == [{"gate": "gpi2", "target": 0, "phase": 0.0},
                                                {"gate": "gpi2", "target": 0, "phase": 0.5}]


class TestJobSettings:
    def test_debiasing_is_stated_and_tracked(self) -> None:
        dev = qml.device("ionq.batch", wires=1, backend="emulator:qpu.forte-1", gateset="qis",
                         seed=2)
        qnode = qml.QNode(lambda: (qml.Hadamard(0), qml.expval(qml.Z(0)))[1], dev)
        with qml.Tracker(dev) as tracker:
            qml.set_shots(qnode, 500)()
            qml.set_shots(qnode, 100)()
        assert tracker.history["debiased_jobs"] == [1, 0]
        jobs = [j for j in dev.emulator.store.all() if j.parent_id is None][-2:]
        assert [j.parsed.settings["error_mitigation"]["debiasing"] for j in jobs] == [True,
                                                                                      False]

    def test_sharpened_results_are_read_per_circuit(self) -> None:
        dev = qml.device("ionq.batch", wires=1, backend="emulator:qpu.forte-1", gateset="qis",
                         sharpen=True, emulator_noise=False, seed=2)
        dev.emulator.reset_log()
        qnode = qml.set_shots(qml.QNode(lambda x: (qml.RX(x, 0), qml.expval(qml.Z(0)))[1],
                                        dev), 1000)
        assert qnode(np.pi) == pytest.approx(-1.0)
        assert dev.emulator.log.count("GET", "/v0.4/jobs/{job_id}/results/probabilities") == 1

    def test_a_dry_run_says_there_are_no_results(self) -> None:
        dev = qml.device("ionq.batch", wires=1, backend="emulator",
                         job_fields={"dry_run": True})
        qnode = qml.QNode(lambda: (qml.X(0), qml.expval(qml.Z(0)))[1], dev)
        with pytest.raises(JobError, match="completed without results: it was a dry run"):
            qnode()


def _execute_in_child(dev: object, queue: multiprocessing.Queue) -> None:
    (probs,) = qml.execute(basis_tapes(4, 2)[2:3], dev)
    queue.put(probs.tolist())


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
# JAX's own warning at any fork, once another test has imported it
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
def test_a_device_works_in_a_forked_child() -> None:
    """The parent's event-loop thread does not exist after fork: the child makes its own."""
    dev = qml.device("ionq.batch", wires=2, backend="emulator")
    qml.execute(basis_tapes(4, 2)[1:2], dev)  # the parent's loop and session are in use
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_execute_in_child, args=(dev, queue))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0 and queue.get(timeout=5) == [0, 0, 1, 0]
    assert np.allclose(qml.execute(basis_tapes(4, 2)[3:], dev)[0], one_hot(3, 4))


def test_close_releases_the_session_and_a_closed_device_reopens() -> None:
    dev = qml.device("ionq.batch", wires=1, backend="emulator")
    qml.execute(basis_tapes(2, 1)[1:], dev)
    client = dev._resources.client
    with dev:
        pass  # leaving the block closes it
    assert dev._resources.client is None and client._session is None
    assert np.allclose(qml.execute(basis_tapes(2, 1)[1:], dev)[0], [0, 1])  # reopened
