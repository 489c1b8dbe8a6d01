"""A soak run: many executes against an emulator injecting every kind of fault.

The emulator follows IonQ's October 2026 document strictly (results as artifacts, listing
pages of 25 with child jobs, no predicted times, undocumented creation fields refused), and its
listing lags 0.1 s behind job creation, so lost
answers to ``POST /jobs`` are recovered the hard way. Each execute holds 20 distinct circuits.
Faults are drawn per request (and per job for failed/canceled ones) at rates summing to 20%.
A batch whose job IonQ reports failed or canceled is run again, as a user would; everything
else must recover by itself. At the end every result must equal the fault-free one
(``default.qubit``), and the emulator's count of jobs created must equal the jobs needed: one
per execute, plus one per re-run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pennylane as qml

from ...emulator import EmulatorServer, FaultModel, LatencyModel
from ...exceptions import JobCanceledError, JobFailedError
from .common import KEY, markdown

RATES = {"429": 0.03, "500": 0.02, "502": 0.02, "503": 0.02, "drop": 0.03,
         "drop-after-create": 0.03, "slow": 0.02, "fail": 0.01, "cancel": 0.01,
         "fail-child": 0.01}


@dataclass
class SoakResult:
    executes: int
    circuits: int
    jobs_created: int
    jobs_needed: int
    reruns: int
    http_requests: int
    http_retries: int
    faults: dict[str, int]
    seconds: float
    max_error: float


def soak(executes: int = 200, circuits: int = 20, seed: int = 0) -> SoakResult:
    faults = FaultModel(rates=RATES, retry_after=0.01, slow_seconds=0.3)
    server = EmulatorServer(faults=faults, latency=LatencyModel(listing_lag=0.1), seed=seed,
                            contract="october").start_in_thread()
    rng = np.random.default_rng(seed)
    try:
        dev = qml.device("ionq.batch", wires=3, api_url=server.url, api_key=KEY, progress=False,
                         client_options={"backoff_base": 0.005, "backoff_cap": 0.05,
                                         "poll_min": 0.02, "read_timeout": 0.2,
                                         "max_retries": 10, "lookup_delay": 0.3})
        ref = qml.device("default.qubit", wires=3)
        reruns, max_error, start = 0, 0.0, time.perf_counter()
        with qml.Tracker(dev) as tracker:
            for _ in range(executes):
                tapes = [qml.tape.QuantumScript(
                    [qml.RY(a, 0), qml.CNOT([0, 1]), qml.RX(b, 2), qml.CZ([1, 2])],
                    [qml.expval(qml.PauliZ(2)), qml.probs(wires=[0, 1])])
                    for a, b in rng.uniform(-np.pi, np.pi, (circuits, 2))]
                while True:
                    try:
                        results = qml.execute(tapes, dev)
                        break
                    except (JobFailedError, JobCanceledError):
                        reruns += 1
                for ours, expected in zip(results, qml.execute(tapes, ref), strict=True):
                    for x, y in zip(ours, expected, strict=True):
                        max_error = max(max_error, float(np.max(np.abs(np.subtract(x, y)))))
        totals = tracker.totals
        return SoakResult(executes, executes * circuits, server.log.jobs_created,
                          executes + reruns, reruns, int(totals.get("http_requests", 0)),
                          int(totals.get("http_retries", 0)), dict(server.log.faults),
                          time.perf_counter() - start, max_error)
    finally:
        server.stop_thread()


def report(executes: int = 200) -> str:
    r = soak(executes)
    rows: list[list[object]] = [
        ["executes × circuits", f"{r.executes} × {r.circuits // r.executes}"],
        ["jobs created / needed", f"{r.jobs_created} / {r.jobs_needed}"],
        ["re-runs after failed or canceled jobs", r.reruns],
        ["HTTP requests (retries)", f"{r.http_requests} ({r.http_retries})"],
        ["faults injected", ", ".join(f"{k} {v}" for k, v in sorted(r.faults.items()))],
        ["largest difference from default.qubit", f"{r.max_error:.1e}"],
        ["seconds", f"{r.seconds:.1f}"]]
    return (f"Soak: faults at {sum(RATES.values()):.0%} in total across every kind\n\n"
            + markdown(["", "measured"], rows))
