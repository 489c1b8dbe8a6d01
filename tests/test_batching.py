"""batched(fn): every ionq.batch execution of fn in one job per device, results unchanged."""

from __future__ import annotations

import random

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

from pennylane_ionq_batch import BatchSPSAOptimizer, batched


def ours() -> object:
    return qml.device("ionq.batch", wires=2, backend="emulator", progress=False)


def jobs_during(dev: object, run: object) -> tuple[int, object]:
    before = dev.emulator.log.jobs_created  # type: ignore[attr-defined]
    value = run()  # type: ignore[operator]
    return dev.emulator.log.jobs_created - before, value  # type: ignore[attr-defined]


def kernel(dev: object):  # noqa: ANN201
    @qml.qnode(dev)
    def overlap(x1, x2):  # noqa: ANN001, ANN202
        qml.AngleEmbedding(x1, wires=range(2))
        qml.adjoint(qml.AngleEmbedding)(x2, wires=range(2))
        return qml.probs(wires=range(2))
    return lambda a, b: overlap(a, b)[0]


X = np.random.default_rng(0).uniform(0, np.pi, (12, 2))
X_TEST = np.random.default_rng(1).uniform(0, np.pi, (6, 2))


def test_a_kernel_matrix_is_one_job() -> None:
    dev = ours()
    k = kernel(dev)
    n_train, K = jobs_during(dev, lambda: batched(qml.kernels.square_kernel_matrix)(
        X, k, assume_normalized_kernel=True))
    n_test, K_test = jobs_during(dev, lambda: batched(qml.kernels.kernel_matrix)(
        X_TEST, X, k))
    assert (n_train, n_test) == (1, 1)
    reference = kernel(qml.device("default.qubit", wires=2))
    assert np.allclose(K, qml.kernels.square_kernel_matrix(
        X, reference, assume_normalized_kernel=True), atol=1e-12)
    assert np.allclose(K_test, qml.kernels.kernel_matrix(X_TEST, X, reference), atol=1e-12)


def energy(dev: object) -> qml.QNode:
    @qml.qnode(dev)
    def f(w):  # noqa: ANN001, ANN202
        qml.RY(w[0], 0)
        qml.RY(w[1], 1)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(0) @ qml.Z(1) + 0.5 * qml.X(0))
    return f


@pytest.mark.parametrize("optimizer", [qml.GradientDescentOptimizer, qml.AdamOptimizer,
                                       qml.QNGOptimizer, qml.MomentumOptimizer])
def test_an_optimizers_step_is_one_job_and_steps_once(optimizer: type) -> None:
    """The step runs twice (record, replay); the optimizer's state is restored in between,
    so Adam's moments and the step count are those of one step."""
    trajectories, dev = [], ours()
    for device in (dev, qml.device("default.qubit", wires=2)):
        opt, w = optimizer(0.1), pnp.array([0.3, -0.2], requires_grad=True)
        step = batched(opt.step_and_cost) if device is dev else opt.step_and_cost
        path = []
        for _ in range(4):
            count, (w, value) = jobs_during(dev, lambda s=step, w=w, d=device:
                                            s(energy(d), w))
            path.append((np.array(w), float(value), count))
        trajectories.append(path)
    for (w1, v1, count), (w2, v2, _) in zip(*trajectories, strict=True):
        assert count == 1 and np.allclose(w1, w2, atol=1e-12) and v1 == pytest.approx(v2)


def test_a_gradient_is_one_job_even_by_parameter_shift() -> None:
    dev = ours()
    qnode = qml.QNode(energy(dev).func, dev, diff_method="parameter-shift")
    w = pnp.array([0.3, -0.2], requires_grad=True)
    count, grad = jobs_during(dev, lambda: batched(qml.grad(qnode))(w))
    assert count == 1
    assert np.allclose(grad, qml.grad(energy(qml.device("default.qubit", wires=2)))(w))


def test_circuits_chosen_from_results_fall_back_with_a_warning() -> None:
    dev = ours()
    qnode = qml.QNode(lambda x: (qml.RX(x, 0), qml.expval(qml.Z(0)))[1], dev)

    @batched
    def branching(x):  # noqa: ANN001, ANN202
        first = qnode(x)
        return qnode(2 * x) if first > 0 else qnode(x / 2)  # placeholders are > 0

    with pytest.warns(UserWarning, match="sent circuits other than those recorded"):
        value = branching(2.0)  # cos(2) < 0: the second call is really qnode(1.0)
    assert value == pytest.approx(np.cos(1.0)) and branching.fallbacks == 1
    assert branching.last_stats.jobs == 2


def test_random_draws_and_output_are_those_of_one_call(
        capsys: pytest.CaptureFixture[str]) -> None:
    dev = ours()
    qnode = qml.QNode(lambda x: (qml.RX(x, 0), qml.expval(qml.Z(0)))[1], dev)

    @batched
    def noisy(x):  # noqa: ANN001, ANN202
        shift = np.random.uniform() + random.random()
        value = qnode(x + shift)
        print(f"evaluated at {shift:.6f}")  # after the first execution: printed once
        return value

    np.random.seed(7)
    random.seed(7)
    value = noisy(0.1)
    after = (np.random.uniform(), random.random())
    np.random.seed(7)
    random.seed(7)
    shift = np.random.uniform() + random.random()
    assert value == pytest.approx(np.cos(0.1 + shift))
    assert after == (np.random.uniform(), random.random())
    assert capsys.readouterr().out == f"evaluated at {shift:.6f}\n"


def test_nested_and_inside_batch_spsa() -> None:
    dev = ours()
    qnode = qml.QNode(lambda x: (qml.RX(x, 0), qml.expval(qml.Z(0)))[1], dev)
    inner = batched(lambda xs: sum(qnode(x) for x in xs))
    outer = batched(lambda: inner([0.1, 0.2]) + inner([0.3]))
    count, value = jobs_during(dev, outer)
    assert count == 1 and value == pytest.approx(sum(np.cos([0.1, 0.2, 0.3])))

    opt = BatchSPSAOptimizer(maxiter=5, seed=0)
    w = pnp.array([0.2, 0.4], requires_grad=True)
    count, _ = jobs_during(dev, lambda: opt.step(lambda v: inner(list(v)), w))
    assert count == 1 and opt.fallbacks == 0


def test_a_torch_loss_and_its_backward_pass_are_one_job_from_the_first_step() -> None:
    # Traced tapes are preprocessed while the cache is still learning their structure: the
    # replay must make the tapes the record pass made, or it falls back to more jobs
    # (a warning, an error here).
    torch = pytest.importorskip("torch")
    dev = ours()

    def circuit(w, x):  # noqa: ANN001, ANN202
        for i in range(2):
            qml.RY(x[i], wires=i)
            qml.Rot(w[i, 0], w[i, 1], w[i, 2], wires=i)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(0) @ qml.Z(1))

    mine = qml.QNode(circuit, dev, interface="torch")
    exact = qml.QNode(circuit, qml.device("default.qubit", wires=2), interface="torch")
    xs = torch.tensor(X[:3])
    start = np.random.default_rng(2).uniform(0, 3, (2, 3))
    for _ in range(4):
        w, w_exact = (torch.tensor(start, requires_grad=True) for _ in range(2))
        count, loss = jobs_during(dev, batched(lambda w=w: sum(mine(w, x) ** 2 for x in xs)))
        loss.backward()
        sum(exact(w_exact, x) ** 2 for x in xs).backward()
        assert count == 1
        assert np.allclose(w.grad.numpy(), w_exact.grad.numpy(), rtol=0, atol=1e-10)
        start = start + 0.1
