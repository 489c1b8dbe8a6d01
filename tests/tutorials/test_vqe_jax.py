"""tutorial_vqe (the JAX version): H₂ in a minimal basis, a double excitation, jax.grad under
jax.jit, gradient descent. (The tutorial steps with optax; the update here is optax.sgd's.)"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

from .conftest import assert_close, run_both

jax = pytest.importorskip("jax")

COEFFS = [-0.0996, 0.1711, 0.1711, -0.2228, -0.2228, 0.1686, 0.1205, 0.1659, 0.1659,
          0.1205, 0.1743, 0.0453, -0.0453, -0.0453, 0.0453]
OPS = [qml.Identity(0), qml.Z(0), qml.Z(1), qml.Z(2), qml.Z(3), qml.Z(0) @ qml.Z(1),
       qml.Z(0) @ qml.Z(2), qml.Z(0) @ qml.Z(3), qml.Z(1) @ qml.Z(2), qml.Z(1) @ qml.Z(3),
       qml.Z(2) @ qml.Z(3), qml.Y(0) @ qml.X(1) @ qml.X(2) @ qml.Y(3),
       qml.Y(0) @ qml.Y(1) @ qml.X(2) @ qml.X(3), qml.X(0) @ qml.X(1) @ qml.Y(2) @ qml.Y(3),
       qml.X(0) @ qml.Y(1) @ qml.Y(2) @ qml.X(3)]
H = qml.Hamiltonian(COEFFS, OPS)


@pytest.fixture(autouse=True)
def _x64():
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


def vqe(dev):
    @qml.qnode(dev, interface="jax", diff_method="parameter-shift")
    def energy(theta):
        qml.BasisState(np.array([1, 1, 0, 0]), wires=range(4))
        qml.DoubleExcitation(theta, wires=[0, 1, 2, 3])
        return qml.expval(H)

    step = jax.jit(jax.value_and_grad(energy))
    theta, energies = jax.numpy.array(0.0), []
    for _ in range(4):
        value, grad = step(theta)
        energies.append(value)
        theta = theta - 0.4 * grad
    return theta, energies


def test_vqe_with_jax_jit_matches() -> None:
    ours, expected, jobs = run_both(vqe, wires=4)
    assert_close(ours, expected)
    assert ours[1][-1] < ours[1][0]
    assert jobs.count == 4  # under jax.jit the energy and its shifted circuits go together
