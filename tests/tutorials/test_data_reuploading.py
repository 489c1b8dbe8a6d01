"""tutorial_data_reuploading_classifier: one qubit, data re-uploaded in every layer, fidelity
to the label's state measured as a (non-diagonal) qml.Hermitian, Adam."""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from .conftest import assert_close, run_both, steps

STATES = [np.array([[1, 0], [0, 0]]), np.array([[0.5, 0.5], [0.5, 0.5]])]  # |0⟩, |+⟩
X = np.array([[0.2, -0.4, 0.0], [0.9, 0.1, 0.0], [-0.5, 0.7, 0.0]])
Y = [0, 1, 0]


def reuploading(dev):
    @qml.qnode(dev)
    def fidelity(params, x, label):
        for p in params:
            qml.Rot(*x, wires=0)
            qml.Rot(*p, wires=0)
        return qml.expval(qml.Hermitian(STATES[label], wires=0))

    def cost(params):
        return sum((1 - fidelity(params, x, y)) ** 2 for x, y in zip(X, Y, strict=True)) / 3

    params = pnp.array(np.random.uniform(size=(3, 3)), requires_grad=True)
    opt = qml.AdamOptimizer(0.3)
    return steps(opt, cost, params)


def test_reuploading_classifier_matches() -> None:
    ours, expected, jobs = run_both(reuploading, wires=1, seed=2)
    assert_close(ours, expected)
    assert jobs.count == 3 * 3  # each gradient: forward and shifted circuits, one job
