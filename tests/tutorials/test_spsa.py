"""tutorial_spsa: SPSA on a VQE cost; qml.SPSAOptimizer on both devices, and the batch one."""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from pennylane_ionq_batch import BatchSPSAOptimizer

from .conftest import assert_close, both, counting

H = qml.Hamiltonian([0.5, -0.8, 0.3], [qml.Z(0) @ qml.Z(1), qml.X(0), qml.Y(1)])


def ansatz(params):
    qml.RY(params[0], 0)
    qml.RY(params[1], 1)
    qml.CNOT([0, 1])
    qml.RX(params[2], 1)
    return qml.expval(H)


def train(dev, optimizer, steps=5):
    cost = qml.QNode(ansatz, dev)
    np.random.seed(7)
    params = pnp.random.uniform(0, np.pi, 3, requires_grad=True)
    trajectory = []
    for _ in range(steps):
        params, energy = optimizer.step_and_cost(cost, params)
        trajectory.append((params, energy))
    return trajectory


def test_spsa_optimizer_on_both_devices() -> None:
    ionq, reference = both(2)
    with counting(ionq) as jobs:
        ours = train(ionq, qml.SPSAOptimizer(maxiter=5))
    assert_close(ours, train(reference, qml.SPSAOptimizer(maxiter=5)))
    assert jobs.count == 5 * 3  # y+, y−, then the cost: three QNode calls per step


def test_batch_spsa_is_the_same_trajectory_in_one_job_per_step() -> None:
    ionq, reference = both(2)
    with counting(ionq) as jobs:
        ours = train(ionq, BatchSPSAOptimizer(maxiter=5))
    assert_close(ours, train(reference, qml.SPSAOptimizer(maxiter=5)), atol=1e-10)
    assert jobs.count == 5
