"""Gradients computed on the device: forward and shifted circuits in one job, equal to
default.qubit under autograd, JAX (with jit) and torch, first and second order."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

WIRES = 3


def circuit(w, x):  # noqa: ANN001, ANN201 - a QNode body
    qml.AngleEmbedding(x, wires=range(WIRES))
    qml.StronglyEntanglingLayers(w, wires=range(WIRES))
    return qml.expval(qml.Z(0) @ qml.Z(2)), qml.probs(wires=[1])


def cost(qnode: qml.QNode):  # noqa: ANN201
    def f(w, x):  # noqa: ANN001, ANN202 - one QNode call, two measurements
        expval, probs = qnode(w, x)
        return expval + 0.5 * probs[1]
    return f


def ours(**kw: object) -> object:
    return qml.device("ionq.batch", wires=WIRES, backend="emulator", progress=False, **kw)


def jobs(dev: object) -> int:
    return dev.emulator.log.jobs_created  # type: ignore[attr-defined]


W = pnp.array(np.random.default_rng(1).uniform(0, 3, (2, WIRES, 3)), requires_grad=True)
X = pnp.array([0.1, 0.7, 1.3], requires_grad=False)


class TestAutograd:
    def test_a_gradient_is_one_job_equal_to_default_qubit(self) -> None:
        dev = ours()
        before = jobs(dev)
        grad = qml.grad(cost(qml.QNode(circuit, dev)))(W, X)
        assert jobs(dev) - before == 1
        expected = qml.grad(cost(qml.QNode(circuit, qml.device("default.qubit"))))(W, X)
        assert np.allclose(grad, expected, atol=1e-10)

    def test_parameter_shift_keeps_pennylanes_transform(self) -> None:
        dev = ours()
        before = jobs(dev)
        qnode = qml.QNode(circuit, dev, diff_method="parameter-shift")
        grad = qml.grad(cost(qnode))(W, X)
        assert jobs(dev) - before == 2  # the forward call, then the shifted circuits
        expected = qml.grad(cost(qml.QNode(circuit, qml.device("default.qubit"))))(W, X)
        assert np.allclose(grad, expected, atol=1e-10)

    def test_second_order(self) -> None:
        def f(qnode: qml.QNode):  # noqa: ANN202
            return lambda x: qnode(W, x)[0]

        dev = ours()
        hessian = qml.jacobian(qml.grad(f(qml.QNode(circuit, dev, max_diff=2))))(
            pnp.array([0.1, 0.7, 1.3], requires_grad=True))
        expected = qml.jacobian(qml.grad(f(qml.QNode(circuit, qml.device("default.qubit"),
                                                      max_diff=2))))(
            pnp.array([0.1, 0.7, 1.3], requires_grad=True))
        assert np.allclose(hessian, expected, atol=1e-9)

    def test_an_evaluation_buys_no_shifted_circuit(self) -> None:
        """Trainable parameters, no gradient asked: only the forward circuit is sent."""
        dev = ours()
        dev.emulator.reset_log()  # type: ignore[attr-defined]
        qml.QNode(circuit, dev)(W, X)
        assert dev.emulator.log.circuits_created == 1  # type: ignore[attr-defined]

    def test_an_operation_without_a_shift_rule_only_fails_if_differentiated(self) -> None:
        dev = ours()
        qnode = qml.QNode(lambda u: (qml.QubitUnitary(u, wires=0), qml.expval(qml.Z(0)))[1],
                          dev)
        u = pnp.array(qml.matrix(qml.RY(0.4, 0)), requires_grad=True)
        assert qnode(u) == pytest.approx(np.cos(0.4))  # evaluated: fine


class TestJax:
    @pytest.mark.parametrize("jit", [False, True])
    def test_gradients_under_jax(self, jit: bool) -> None:
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        dev = ours()

        def energy(device: object):  # noqa: ANN202
            qnode = qml.QNode(circuit, device, interface="jax")
            return lambda w: qnode(w, np.array(X))[0]

        w = jax.numpy.array(np.asarray(W))
        grad_fn = jax.grad(energy(dev))
        grad_fn = jax.jit(grad_fn) if jit else grad_fn
        before = jobs(dev)
        grad = grad_fn(w)
        assert jobs(dev) - before == 1
        expected = jax.grad(energy(qml.device("default.qubit")))(w)
        assert np.allclose(grad, expected, atol=1e-10)


class TestTorch:
    def test_a_torch_layer_after_a_linear_layer_trains_as_on_default_qubit(self) -> None:
        """PennyLane's TorchLayer tutorial order (Linear, then the quantum layer): the
        Linear layer's outputs are broadcast trainable parameters of the QNode, which
        PennyLane's parameter-shift transform cannot differentiate (PennyLane #4462)."""
        torch = pytest.importorskip("torch")

        def model(device: object) -> object:
            @qml.qnode(device)
            def layer(inputs, weights):  # noqa: ANN001, ANN202
                qml.AngleEmbedding(inputs, wires=range(2))
                qml.BasicEntanglerLayers(weights, wires=range(2))
                return [qml.expval(qml.Z(w)) for w in range(2)]

            torch.manual_seed(0)
            return torch.nn.Sequential(
                torch.nn.Linear(3, 2, dtype=torch.float64),
                qml.qnn.TorchLayer(layer, {"weights": (2, 2)}),
                torch.nn.Linear(2, 1, dtype=torch.float64))

        data = torch.tensor(np.random.default_rng(3).uniform(-1, 1, (5, 3)))
        target = torch.tensor(np.random.default_rng(4).uniform(-1, 1, (5, 1)))
        trained = []
        for device in (qml.device("ionq.batch", wires=2, backend="emulator", progress=False),
                       qml.device("default.qubit", wires=2)):
            net = model(device)
            opt = torch.optim.Adam(net.parameters(), lr=0.05)
            for _ in range(5):
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(net(data), target)
                loss.backward()
                opt.step()
            trained.append([p.detach().numpy().copy() for p in net.parameters()])
        for a, b in zip(*trained, strict=True):
            assert np.allclose(a, b, atol=1e-6)
