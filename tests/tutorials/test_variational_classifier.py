"""tutorial_variational_classifier: the parity function, basis embedding, Nesterov momentum, a
Python loop over the batch (each sample a QNode call)."""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from .conftest import assert_close, run_both

X = np.array([[0, 0, 0, 1], [0, 1, 1, 0], [1, 0, 1, 1], [1, 1, 1, 1], [0, 1, 0, 0]])
Y = np.array([1, 0, 1, 0, 1]) * 2 - 1  # parity, in {-1, 1}


def classifier(dev):
    @qml.qnode(dev)
    def circuit(weights, x):
        qml.BasisState(x, wires=range(4))
        for layer in weights:
            for wire in range(4):
                qml.Rot(*layer[wire], wires=wire)
            for wire in range(4):
                qml.CNOT([wire, (wire + 1) % 4])
        return qml.expval(qml.Z(0))

    def cost(weights, bias, X, Y):
        predictions = [circuit(weights, x) + bias for x in X]
        return sum((y - p) ** 2 for y, p in zip(Y, predictions, strict=True)) / len(Y)

    weights = pnp.array(0.01 * np.random.randn(2, 4, 3), requires_grad=True)
    bias = pnp.array(0.0, requires_grad=True)
    opt = qml.NesterovMomentumOptimizer(0.5)
    losses = []
    for _ in range(2):
        (weights, bias, _, _), loss = opt.step_and_cost(cost, weights, bias, X, Y)
        losses.append(loss)
    return weights, bias, losses


def test_classifier_training_matches() -> None:
    ours, expected, jobs = run_both(classifier, wires=4, seed=0)
    assert_close(ours, expected)
    assert jobs.count == 2 * 5  # per step and sample: the forward call and its gradient
