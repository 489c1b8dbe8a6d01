"""Training steps against IonQ-like latency: pennylane-ionq, qml.SPSAOptimizer, ours.

The task: the 4-qubit classifier of ``ionq-batch train`` with a Python-loop cost over a
10-sample mini-batch (the shape that costs ``qml.SPSAOptimizer`` 20 jobs per step), on an
emulator with the ``ionq-cloud`` latency preset, time-scaled. The floor is one job's round
trip per step: three requests (create, status, results), the queue, and the execution of the
step's 20 circuits (as the job's record reports it: its gates take time too). ionq.batch's
least interval between status requests (IonQ's request rate) is time-scaled like the
emulator; pennylane-ionq polls every 0.01 s (fixed in its code).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from ...config import ClientConfig
from ...emulator.models import latency_preset
from ...optimize import BatchSPSAOptimizer
from ..train import classifier, moons
from .common import KEY, SHOTS, emulator, markdown, pennylane_ionq_device, timed

SAMPLES = 10


@dataclass
class TrainingRow:
    setup: str
    seconds_per_step: float
    jobs_per_step: float
    requests_per_step: float
    first_step: float  # seconds, not counted in the others: caches fill, structures are learned


def _loop_cost(circuit: qml.QNode, X: np.ndarray, Y: np.ndarray) -> Callable[[Any], Any]:
    def cost(w: Any) -> Any:
        return sum((circuit(w, x) - y) ** 2 for x, y in zip(X, Y, strict=True)) / len(X)
    return cost


def training_rows(steps: int = 5, time_scale: float = 0.1, compare: bool = True,
                  latency: str = "ionq-cloud") -> tuple[list[TrainingRow], dict[str, float]]:
    """Seconds, jobs and requests per step for each setup, and the floors.

    ``latency="ionq-qpu"``: the emulator impersonates a QPU (qpu.aria-1, without noise) with a
    QPU-like queue per job, and BatchSPSAOptimizer also runs inside an IonQ session, whose
    jobs skip the queue.
    """
    X, Y = moons(SAMPLES, seed=3)
    on_qpu = latency == "ionq-qpu"
    rows = []
    with emulator(latency, time_scale, ideal_qpus=on_qpu) as server:
        setups: list[tuple[str, Any, Any, bool]] = []
        pl_dev = pennylane_ionq_device(server, 4, qpu=on_qpu) if compare else None
        if pl_dev is not None:
            setups.append(("pennylane-ionq + qml.SPSAOptimizer", pl_dev, qml.SPSAOptimizer,
                           False))
        # Time-scaled like the emulator: IonQ's request-rate limit, which sets the poll floor
        ours = qml.device("ionq.batch", wires=4, api_url=server.url, api_key=KEY, progress=False,
                          backend="qpu.aria-1" if on_qpu else "simulator", journal=False,
                          client_options={"poll_min": ClientConfig.poll_min * time_scale})
        setups += [("ionq.batch + qml.SPSAOptimizer", ours, qml.SPSAOptimizer, False),
                   ("ionq.batch + BatchSPSAOptimizer", ours, BatchSPSAOptimizer, False)]
        if on_qpu:
            setups.append(("ionq.batch + BatchSPSAOptimizer, in a session", ours,
                           BatchSPSAOptimizer, True))
        for name, dev, optimizer, in_session in setups:
            circuit = qml.set_shots(classifier(dev), SHOTS)
            cost = _loop_cost(circuit, X, Y)
            opt = optimizer(maxiter=steps)
            w = pnp.array(np.random.default_rng(1).uniform(0, 2 * np.pi, (2, 4, 3)),
                          requires_grad=True)

            def run(count: int, w: Any = w, opt: Any = opt,
                    cost: Callable[[Any], Any] = cost) -> Any:
                for _ in range(count):
                    w = opt.step(cost, w)
                return w

            with dev.session() if in_session else nullcontext():
                first, w = timed(partial(run, 1))
                jobs0, requests0 = server.counts()
                seconds, _ = timed(partial(run, steps, w))
                jobs, requests = server.counts()
            rows.append(TrainingRow(name, seconds / steps, (jobs - jobs0) / steps,
                                    (requests - requests0) / steps, first))
    model = latency_preset(latency, time_scale)
    queue, _ = model.job_seconds(2 * SAMPLES)
    assert ours.last_execution is not None
    execution = ours.last_execution.timing.execution_s  # the step's 20 circuits, gates included
    overhead = 3 * model.per_request * model.time_scale  # create, status, results
    floors = {"one job round trip per step": overhead + queue + execution}
    if on_qpu:
        floors["the same in a session (no queue)"] = overhead + execution
    return rows, floors


def report(steps: int = 5, time_scale: float = 0.1, compare: bool = True,
           latency: str = "ionq-cloud") -> str:
    rows, floors = training_rows(steps, time_scale, compare, latency)
    best = min(r.seconds_per_step for r in rows)
    table = [[r.setup, f"{r.seconds_per_step:.2f}", f"{r.jobs_per_step:.0f}",
              f"{r.requests_per_step:.0f}", f"{r.seconds_per_step / best:.1f}×",
              f"{r.first_step:.2f}"] for r in rows]
    floor = min(floors.values())
    return (f"SPSA steps on the 4-qubit classifier, Python-loop cost over {SAMPLES} samples, "
            f"{SHOTS} shots; emulator --latency {latency} --time-scale {time_scale} "
            f"(seconds below are scaled); {steps} steps each after a first step timed on its "
            "own.\n\n"
            + markdown(["setup", "s / step", "jobs / step", "HTTP requests / step",
                        "vs fastest", "first step, s"], table)
            + "\n\nFloors: " + "; ".join(f"{k}: {v:.2f} s" for k, v in floors.items())
            + f". The fastest setup is {best / floor:.2f}× the lowest floor. ionq.batch "
              "polls a job a quarter of its wait apart (at least "
              f"{ClientConfig.poll_min} s, time-scaled here like the emulator: "
              f"{ClientConfig.poll_min * time_scale:g} s), and a job like the last one also "
              "where that one completed; the rest over the floor is client time.")
