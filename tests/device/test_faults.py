"""Faults at the real emulator: results stay right, and no job is bought twice or lost."""

from __future__ import annotations

import threading
import time

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch import JobCanceledError, JobFailedError
from pennylane_ionq_batch.emulator import EmulatorServer, FaultModel, LatencyModel
from pennylane_ionq_batch.emulator.store import JobStore

from ..conftest import LOCAL, wait_for

FAST = {"backoff_base": 0.001, "backoff_cap": 0.01, "max_retries": 8, **LOCAL}


def run_batches(server: EmulatorServer, n: int) -> None:
    dev = qml.device("ionq.batch", wires=2, api_url=server.url, api_key="k",
                     client_options=FAST)
    ref = qml.device("default.qubit", wires=2)
    for k in range(n):
        tape = qml.tape.QuantumScript([qml.RY(0.1 * k + 0.2, 0), qml.CNOT([0, 1])],
                                      [qml.expval(qml.PauliZ(1))])
        [ours], [expected] = qml.execute([tape], dev), qml.execute([tape], ref)
        assert np.allclose(ours, expected, atol=1e-12)


@pytest.mark.parametrize("fault", ["drop-after-create", "500", "502", "503", "429", "drop"])
def test_jobs_created_equal_jobs_needed(fault: str) -> None:
    server = EmulatorServer(seed=7, faults=FaultModel(rates={fault: 0.3},
                                                       retry_after=0.01)).start_in_thread()
    try:
        run_batches(server, 12)
        assert server.log.faults[fault] > 0  # the fault did happen
        assert server.log.jobs_created == 12  # one per batch: none bought twice, none lost
    finally:
        server.stop_thread()


def tapes(n: int, k0: int = 0) -> list:
    return [qml.tape.QuantumScript([qml.RY(0.1 * k + 0.2, 0), qml.CNOT([0, 1])],
                                   [qml.expval(qml.PauliZ(1))]) for k in range(k0, k0 + n)]


@pytest.mark.parametrize("fault, error, match", [
    ("fail", JobFailedError, "SimulationError"),
    ("cancel", JobCanceledError, "canceled"),
    ("fail-child", JobFailedError, "circuit \\d of job"),
])
def test_failed_and_canceled_jobs_raise_with_their_id(fault: str, error: type,
                                                      match: str) -> None:
    server = EmulatorServer(seed=1, faults=FaultModel(rates={fault: 1.0})).start_in_thread()
    try:
        dev = qml.device("ionq.batch", wires=2, api_url=server.url, api_key="k",
                         client_options=FAST)
        with pytest.raises(error, match=match) as info:
            qml.execute(tapes(3), dev)
        assert info.value.job_id in {j.id for j in server.store.all()}
        assert server.log.jobs_created == 1  # reported, not retried
    finally:
        server.stop_thread()


def test_slow_answers_past_the_read_timeout_do_not_duplicate_jobs() -> None:
    faults = FaultModel(rates={"slow": 0.3}, slow_seconds=0.3)
    server = EmulatorServer(seed=3, faults=faults).start_in_thread()
    try:
        dev = qml.device("ionq.batch", wires=2, api_url=server.url, api_key="k",
                         client_options={**FAST, "read_timeout": 0.1})
        ref = qml.device("default.qubit", wires=2)
        for k in range(8):
            assert np.allclose(qml.execute(tapes(2, 2 * k), dev),
                               qml.execute(tapes(2, 2 * k), ref), atol=1e-12)
        assert server.log.faults["slow"] > 0 and server.log.jobs_created == 8
    finally:
        server.stop_thread()


def test_emulator_restart_mid_job_keeps_the_job() -> None:
    store = JobStore()
    latency = LatencyModel(queue_per_job=0.6)
    first = EmulatorServer(latency=latency, store=store).start_in_thread()
    # Predicted times are null (as IonQ's service sends them), so the client keeps polling
    # through the outage: its retries must outlast it.
    dev = qml.device("ionq.batch", wires=2, api_url=first.url, api_key="k",
                     client_options={**FAST, "backoff_base": 0.05, "backoff_cap": 0.2,
                                     "max_retries": 20})
    results: list = []
    worker = threading.Thread(target=lambda: results.append(qml.execute(tapes(3), dev)))
    worker.start()
    wait_for(lambda: first.log.jobs_created == 1, "the job")
    first.stop_thread()  # down while the job is queued
    time.sleep(0.3)
    second = EmulatorServer(port=first.port, latency=latency, store=store).start_in_thread()
    try:
        worker.join(timeout=30)
        assert results and np.allclose(results[0], qml.execute(
            tapes(3), qml.device("default.qubit", wires=2)), atol=1e-12)
        assert first.log.jobs_created + second.log.jobs_created == 1
    finally:
        second.stop_thread()
