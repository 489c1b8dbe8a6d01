"""tutorial_local_cost_functions: the global cost (a projector on |0…0⟩) against the local one
(the average over wires of a projector on |0⟩)."""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from .conftest import assert_close, run_both

WIRES = 4


def costs(dev):
    def ansatz(rotations):
        for w in range(WIRES):
            qml.RX(rotations[0][w], wires=w)
            qml.RY(rotations[1][w], wires=w)
        for w in range(WIRES - 1):
            qml.CNOT([w, w + 1])

    @qml.qnode(dev)
    def global_cost(rotations):
        ansatz(rotations)
        return qml.probs(wires=range(WIRES))

    @qml.qnode(dev)
    def local_cost(rotations):
        ansatz(rotations)
        return [qml.probs(wires=w) for w in range(WIRES)]

    def local(rotations):
        return 1 - sum(p[0] for p in local_cost(rotations)) / WIRES

    rotations = pnp.array(np.random.uniform(0, np.pi / 2, (2, WIRES)), requires_grad=True)
    opt = qml.GradientDescentOptimizer(stepsize=0.2)
    history = []
    for _ in range(3):
        rotations, value = opt.step_and_cost(local, rotations)
        history.append((value, 1 - global_cost(rotations)[0]))
    return rotations, history


def test_local_and_global_costs_match() -> None:
    ours, expected, jobs = run_both(costs, wires=WIRES, seed=3)
    assert_close(ours, expected)
    assert jobs.count == 3 * 2  # per step: the local cost with its gradient, the global cost
