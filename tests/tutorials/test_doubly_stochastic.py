"""tutorial_doubly_stochastic: each evaluation samples terms of the Hamiltonian at random.

The cost draws from NumPy's global generator inside; BatchSPSAOptimizer's record pass must not
change what it draws: one job per step, and qml.SPSAOptimizer's trajectory to 1e-10.
"""

from __future__ import annotations

import warnings

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from pennylane_ionq_batch import BatchSPSAOptimizer

from .conftest import assert_close, both, counting

TERMS = [qml.Z(0) @ qml.Z(1), qml.X(0), qml.X(1), qml.Y(0) @ qml.Y(1)]
COEFFS = [0.9, -0.4, 0.3, 0.2]


def stochastic_cost(dev):
    @qml.qnode(dev)
    def term(params, index):
        qml.RX(params[0], 0)
        qml.RY(params[1], 1)
        qml.CNOT([0, 1])
        qml.RY(params[2], 0)
        return qml.expval(TERMS[index])

    def cost(params):
        picked = np.random.choice(len(TERMS), size=2, replace=False)  # doubly stochastic
        return sum(COEFFS[i] * term(params, int(i)) for i in picked) * len(TERMS) / 2

    return cost


def train(dev, optimizer, steps=6):
    params = pnp.array([0.3, -0.2, 0.5], requires_grad=True)
    np.random.seed(11)
    trajectory = []
    for _ in range(steps):
        params, value = optimizer.step_and_cost(stochastic_cost(dev), params)
        trajectory.append((params, value))
    return trajectory, np.random.get_state()[2]


def test_one_job_per_step_and_upstream_trajectory() -> None:
    ionq, reference = both(2)
    opt = BatchSPSAOptimizer(maxiter=6)
    with counting(ionq) as jobs, warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: nothing ran twice visibly
        ours, position = train(ionq, opt)
    expected, expected_position = train(reference, qml.SPSAOptimizer(maxiter=6))
    assert_close(ours, expected, atol=1e-10)
    assert position == expected_position  # the generator ends where upstream leaves it
    assert jobs.count == 6 and opt.fallbacks == 0
