"""tutorial_quantum_natural_gradient: QNGOptimizer with the block-diagonal metric tensor."""

from __future__ import annotations

import pennylane as qml
from pennylane import numpy as pnp

from .conftest import assert_close, run_both, steps


def natural_gradient(dev):
    @qml.qnode(dev)
    def circuit(params):
        qml.RX(params[0], 0)
        qml.RY(params[1], 1)
        qml.CNOT([0, 1])
        qml.RY(params[2], 2)
        qml.CNOT([1, 2])
        qml.RZ(params[3], 0)
        return qml.expval(qml.X(0) @ qml.Y(2) + 0.5 * qml.Z(1))

    opt = qml.QNGOptimizer(stepsize=0.05, approx="block-diag")
    params = pnp.array([0.432, -0.123, 0.543, 0.233], requires_grad=True)
    return steps(opt, circuit, params)


def test_qng_matches() -> None:
    ours, expected, jobs = run_both(natural_gradient, wires=3)
    assert_close(ours, expected)
    assert jobs.count == 3 * 2  # per step: the metric tensor; the cost with its gradient
