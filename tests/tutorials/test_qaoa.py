"""tutorial_qaoa_intro: MaxCut on a 4-cycle with QAOA layers, gradient descent."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from .conftest import assert_close, run_both, steps

GRAPH = nx.Graph([(0, 1), (1, 2), (2, 3), (3, 0)])
COST_H, MIXER_H = qml.qaoa.maxcut(GRAPH)


def qaoa_layer(gamma, alpha):
    qml.qaoa.cost_layer(gamma, COST_H)
    qml.qaoa.mixer_layer(alpha, MIXER_H)


def circuit(params):
    for w in range(4):
        qml.Hadamard(w)
    qml.layer(qaoa_layer, 2, params[0], params[1])


def optimise(dev):
    @qml.qnode(dev)
    def cost(params):
        circuit(params)
        return qml.expval(COST_H)

    params = pnp.array([[0.5, 0.5], [0.5, 0.5]], requires_grad=True)
    opt = qml.GradientDescentOptimizer(stepsize=0.1)
    return steps(opt, cost, params)


def test_maxcut_training_matches() -> None:
    ours, expected, jobs = run_both(optimise, wires=4)
    assert_close(ours, expected)
    assert jobs.count == 3  # per step: the cost and every shifted circuit, one job


def test_sampled_bitstrings_follow_the_exact_distribution() -> None:
    def probabilities(dev):
        @qml.set_shots(20_000)
        @qml.qnode(dev)
        def probs(params):
            circuit(params)
            return qml.probs(wires=range(4))

        return probs(np.array([[0.6, 0.3], [0.4, 0.7]]))

    ours, expected, jobs = run_both(probabilities, wires=4)
    assert np.abs(np.asarray(ours) - expected).max() < 0.02 and jobs.count == 1
