"""Training steps against IonQ-like latency: pennylane-ionq, qml.SPSAOptimizer, ours.

The task: the 4-qubit classifier of ``ionq-batch train`` with a Python-loop cost over a
10-sample mini-batch (the shape that costs ``qml.SPSAOptimizer`` 20 jobs per step), on an
emulator with the ``ionq-cloud`` latency preset, time-scaled. The floor is one job's round
trip per step: three requests (create, status, results), the queue, and the execution of the
step's 20 circuits.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from ..emulator.models import latency_preset
from ..optimize import BatchSPSAOptimizer
from ..train import classifier, moons
from .common import KEY, SHOTS, emulator, markdown, pennylane_ionq_device, timed

SAMPLES = 10


@dataclass
class TrainingRow:
    setup: str
    seconds_per_step: float
    jobs_per_step: float
    requests_per_step: float


def _loop_cost(circuit: qml.QNode, X: np.ndarray, Y: np.ndarray) -> Callable[[Any], Any]:
    def cost(w: Any) -> Any:
        return sum((circuit(w, x) - y) ** 2 for x, y in zip(X, Y, strict=True)) / len(X)
    return cost


def training_rows(steps: int = 3, time_scale: float = 0.1, compare: bool = True,
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
        ours = qml.device("ionq.batch", wires=4, api_url=server.url, api_key=KEY,
                          backend="qpu.aria-1" if on_qpu else "simulator", journal=False)
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

            def run(w: Any = w, opt: Any = opt, cost: Callable[[Any], Any] = cost) -> None:
                for _ in range(steps):
                    w = opt.step(cost, w)

            with dev.session() if in_session else nullcontext():
                jobs0, requests0 = server.counts()
                seconds, _ = timed(run)
                jobs, requests = server.counts()
            rows.append(TrainingRow(name, seconds / steps, (jobs - jobs0) / steps,
                                    (requests - requests0) / steps))
    model = latency_preset(latency, time_scale)
    queue, execution = model.job_seconds(2 * SAMPLES)
    overhead = 3 * model.per_request * model.time_scale  # create, status, results
    floors = {"one job round trip per step": overhead + queue + execution}
    if on_qpu:
        floors["the same in a session (no queue)"] = overhead + execution
    return rows, floors


def report(steps: int = 3, time_scale: float = 0.1, compare: bool = True,
           latency: str = "ionq-cloud") -> str:
    rows, floors = training_rows(steps, time_scale, compare, latency)
    best = min(r.seconds_per_step for r in rows)
    table = [[r.setup, f"{r.seconds_per_step:.2f}", f"{r.jobs_per_step:.0f}",
              f"{r.requests_per_step:.0f}", f"{r.seconds_per_step / best:.1f}×"] for r in rows]
    floor = min(floors.values())
    return (f"SPSA steps on the 4-qubit classifier, Python-loop cost over {SAMPLES} samples, "
            f"{SHOTS} shots; emulator --latency {latency} --time-scale {time_scale} "
            f"(seconds below are scaled); {steps} steps each.\n\n"
            + markdown(["setup", "s / step", "jobs / step", "HTTP requests / step",
                        "vs fastest"], table)
            + "\n\nFloors: " + "; ".join(f"{k}: {v:.2f} s" for k, v in floors.items())
            + f". The fastest setup is {best / floor:.2f}× the lowest floor; ionq.batch "
              "notices a finished job within one status interval (at least 0.25 s, a quarter "
              "of the job's wait after that), which is what remains when a floor is shorter.")
