"""Every interface through the structure caches: a gate-level QNode evaluated under NumPy,
autograd, torch, JAX and ``jax.jit`` gives default.qubit's results, and from its third
evaluation on its tapes are bound from the preprocessing cache (no transform runs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pennylane as qml
import pytest

WIRES = 3


def circuit(w: Any) -> Any:
    for i in range(WIRES):
        qml.Rot(w[i, 0], w[i, 1], w[i, 2], wires=i)
    for i in range(WIRES):
        qml.CNOT([i, (i + 1) % WIRES])
    qml.RY(w[0, 0] * 2.0, wires=1)
    return qml.expval(qml.Z(0) @ qml.Z(1)), qml.probs(wires=[2])


def converter(interface: str) -> tuple[Callable[[np.ndarray], Any], Callable[[Any], Any]]:
    """How to hand the interface an array, and how to read a result back."""
    if interface == "autograd":
        return (lambda a: qml.numpy.array(a, requires_grad=True)), np.asarray
    if interface == "torch":
        torch = pytest.importorskip("torch")
        return (lambda a: torch.tensor(a, requires_grad=True)), (
            lambda r: r.detach().numpy())
    if interface.startswith("jax"):
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        return jax.numpy.asarray, np.asarray
    return np.asarray, np.asarray


@pytest.mark.parametrize("interface", ["numpy", "autograd", "torch", "jax", "jax-jit"])
def test_every_interface_is_bound_from_the_cache_and_exact(interface: str) -> None:
    to, back = converter(interface)
    dev = qml.device("ionq.batch", wires=WIRES, backend="emulator")
    ours = qml.QNode(circuit, dev, interface="jax" if interface == "jax-jit" else "auto")
    theirs = qml.QNode(circuit, qml.device("default.qubit", wires=WIRES))
    if interface == "jax-jit":
        import jax

        ours = jax.jit(ours)
    rng = np.random.default_rng(7)
    for _ in range(5):
        w = rng.uniform(-3, 3, (WIRES, 3))
        got, expected = ours(to(w)), theirs(w)
        assert np.allclose(back(got[0]), expected[0], rtol=0, atol=1e-10)
        assert np.allclose(back(got[1]), expected[1], rtol=0, atol=1e-10)
    if interface == "jax-jit":  # traced once, when compiled: preprocessing never runs again
        assert dev.metrics["preprocess_cache_misses"] == 1
    else:
        assert dev.metrics["preprocess_cache_hits"] >= 3


def embedded(w: Any, x: Any) -> Any:
    for i in range(WIRES):
        qml.RX(x[i], wires=i)  # data: not trainable
    for i in range(WIRES):
        qml.RY(w[i], wires=i)
        qml.CNOT([i, (i + 1) % WIRES])
    return qml.expval(qml.Z(0) @ qml.Z(2))


def gradient(interface: str, qnode: Callable[..., Any], w: np.ndarray, x: np.ndarray
             ) -> np.ndarray:
    """d qnode / d w, with ``x`` handed over as the interface's untrainable data."""
    if interface == "autograd":
        return np.asarray(qml.grad(qnode, argnums=0)(
            qml.numpy.array(w, requires_grad=True), qml.numpy.array(x, requires_grad=False)))
    if interface == "torch":
        torch = pytest.importorskip("torch")
        tw = torch.tensor(w, requires_grad=True)
        qnode(tw, torch.tensor(x)).backward()
        return tw.grad.numpy()
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return np.asarray(jax.grad(qnode)(jax.numpy.asarray(w), jax.numpy.asarray(x)))


@pytest.mark.parametrize("interface", ["autograd", "torch", "jax"])
def test_gradients_shift_only_trainable_parameters(interface: str) -> None:
    # A gradient buys two shifted circuits per trainable parameter, through the transforms
    # (first evaluations) as through the cache (later ones): the data stays untrainable.
    dev = qml.device("ionq.batch", wires=WIRES, backend="emulator")
    ours = qml.QNode(embedded, dev, diff_method="device")
    theirs = qml.QNode(embedded, qml.device("default.qubit", wires=WIRES))
    rng = np.random.default_rng(3)
    for _ in range(4):
        w, x = rng.uniform(-3, 3, WIRES), rng.uniform(-3, 3, WIRES)
        with qml.Tracker(dev) as tracker:
            got = gradient(interface, ours, w, x)
        assert np.allclose(got, qml.grad(theirs, argnums=0)(
            qml.numpy.array(w, requires_grad=True), qml.numpy.array(x, requires_grad=False)),
            rtol=0, atol=1e-10)
        assert tracker.totals["executions"] == 1 + 2 * WIRES
    assert dev.metrics["preprocess_cache_hits"] >= 2
