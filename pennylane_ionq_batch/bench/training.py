"""Training steps against IonQ-like latency: pennylane-ionq, qml.SPSAOptimizer, ours.

The task: the 4-qubit classifier of ``ionq-batch train`` with a Python-loop cost over a
10-sample mini-batch (the shape that costs ``qml.SPSAOptimizer`` 20 jobs per step), on an
emulator with the ``ionq-cloud`` latency preset, time-scaled. The floor is one job's round
trip per step: three requests (create, status, results), the queue, and the execution of the
step's 20 circuits.
"""

from __future__ import annotations

from collections.abc import Callable
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


def training_rows(steps: int = 3, time_scale: float = 0.1, compare: bool = True
                  ) -> tuple[list[TrainingRow], float]:
    X, Y = moons(SAMPLES, seed=3)
    rows = []
    with emulator("ionq-cloud", time_scale) as server:
        setups = []
        pl_dev = pennylane_ionq_device(server, 4) if compare else None
        if pl_dev is not None:
            setups.append(("pennylane-ionq + qml.SPSAOptimizer", pl_dev, qml.SPSAOptimizer))
        ours = qml.device("ionq.batch", wires=4, api_url=server.url, api_key=KEY)
        setups += [("ionq.batch + qml.SPSAOptimizer", ours, qml.SPSAOptimizer),
                   ("ionq.batch + BatchSPSAOptimizer", ours, BatchSPSAOptimizer)]
        for name, dev, optimizer in setups:
            circuit = qml.set_shots(classifier(dev), SHOTS)
            cost = _loop_cost(circuit, X, Y)
            opt = optimizer(maxiter=steps)
            w = pnp.array(np.random.default_rng(1).uniform(0, 2 * np.pi, (2, 4, 3)),
                          requires_grad=True)
            jobs0, requests0 = server.counts()

            def run(w: Any = w, opt: Any = opt, cost: Callable[[Any], Any] = cost) -> None:
                for _ in range(steps):
                    w = opt.step(cost, w)

            seconds, _ = timed(run)
            jobs, requests = server.counts()
            rows.append(TrainingRow(name, seconds / steps, (jobs - jobs0) / steps,
                                    (requests - requests0) / steps))
    latency = latency_preset("ionq-cloud", time_scale)
    queue, execution = latency.job_seconds(2 * SAMPLES)
    floor = 3 * latency.per_request * latency.time_scale + queue + execution
    return rows, floor


def report(steps: int = 3, time_scale: float = 0.1, compare: bool = True) -> str:
    rows, floor = training_rows(steps, time_scale, compare)
    best = rows[-1].seconds_per_step
    table = [[r.setup, f"{r.seconds_per_step:.2f}", f"{r.jobs_per_step:.0f}",
              f"{r.requests_per_step:.0f}", f"{r.seconds_per_step / best:.1f}×"] for r in rows]
    return (f"SPSA steps on the 4-qubit classifier, Python-loop cost over {SAMPLES} samples, "
            f"{SHOTS} shots; emulator --latency ionq-cloud --time-scale {time_scale} "
            f"(seconds below are scaled); {steps} steps each.\n\n"
            + markdown(["setup", "s / step", "jobs / step", "HTTP requests / step",
                        "vs BatchSPSAOptimizer"], table)
            + f"\n\nLatency floor (one job round trip per step): {floor:.2f} s; "
              f"BatchSPSAOptimizer is {best / floor:.2f}× the floor.")
