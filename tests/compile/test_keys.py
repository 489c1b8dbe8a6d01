"""Structure keys: equal exactly when two operation lists differ in parameter values only."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.devices.default_qubit import ALL_DQ_GATES

from pennylane_ionq_batch.compile.keys import freeze, is_plain, scan

BASE = sorted(str(g) for g in ALL_DQ_GATES if "(" not in str(g) and str(g) != "Projector")
WIDTH = {"MultiRZ": 3, "MultiControlledX": 3, "GlobalPhase": 0, "Identity": 1}


def build(name: str, values: np.ndarray) -> qml.operation.Operator:
    cls = getattr(qml, name)
    count = cls.num_params if isinstance(cls.num_params, int) else 1
    wires = list(range(WIDTH.get(name, cls.num_wires)))
    if name == "GlobalPhase":
        return qml.GlobalPhase(values[0])
    return cls(*values[:count], wires=wires)


@pytest.mark.parametrize("name", BASE)
def test_a_plain_class_is_fixed_by_its_wires_and_values(name: str) -> None:
    """What makes a class plain (a constructor of parameters and wires only) must mean its
    hyper-parameters never depend on the values: else two circuits would share a key."""
    rng = np.random.default_rng(0)
    a, b = build(name, rng.uniform(-3, 3, 3)), build(name, rng.uniform(-3, 3, 3))
    if not is_plain(type(a)):
        assert name == "MultiControlledX"  # control values, work wires: keyed by them
        return
    assert freeze(a.hyperparameters) == freeze(b.hyperparameters) and a.name == b.name
    assert scan([a])[0] == scan([b])[0]  # type: ignore[index]


def key(ops: list) -> object:
    scanned = scan(ops)
    assert scanned is not None
    return scanned[0]


@pytest.mark.parametrize("first, second", [
    (lambda: [qml.CNOT([0, 1])], lambda: [qml.CNOT([1, 0])]),
    (lambda: [qml.CNOT([0, 1])], lambda: [qml.CNOT([0, 2])]),  # the target, not only controls
    (lambda: [qml.RX(0.1, 0)], lambda: [qml.RY(0.1, 0)]),
    (lambda: [qml.RX(0.1, 0)], lambda: [qml.RX(0.1, 1)]),
    (lambda: [qml.S(0)], lambda: [qml.adjoint(qml.S(0))]),
    (lambda: [qml.PauliRot(0.2, "XY", [0, 1])], lambda: [qml.PauliRot(0.2, "YX", [0, 1])]),
    (lambda: [qml.MultiControlledX(wires=[0, 1, 2], control_values=[1, 0])],
     lambda: [qml.MultiControlledX(wires=[0, 1, 2], control_values=[0, 1])]),
    (lambda: [qml.ctrl(qml.RY(0.3, 1), control=0)],
     lambda: [qml.ctrl(qml.RY(0.3, 1), control=0, control_values=0)]),
    (lambda: [qml.RX(np.array([0.1, 0.2]), 0)], lambda: [qml.RX(np.array([0.1, 0.2, 0.3]), 0)]),
    (lambda: [qml.AngleEmbedding([0.1, 0.2], wires=[0, 1])],
     lambda: [qml.AngleEmbedding([0.1, 0.2], wires=[0, 1], rotation="Y")]),
    (lambda: [qml.RX(0.1, 0), qml.CNOT([0, 1])], lambda: [qml.CNOT([0, 1]), qml.RX(0.1, 0)]),
    (lambda: [qml.MultiRZ(0.1, [0, 1])], lambda: [qml.MultiRZ(0.1, [0, 1, 2])]),
])
def test_keys_tell_apart_what_changes_the_circuit(first: object, second: object) -> None:
    assert key(first()) != key(second())  # type: ignore[operator]


def test_values_are_read_in_order_whatever_their_type() -> None:
    ops = [qml.Rot(0.1, np.float64(0.2), 3, wires=0), qml.CNOT([0, 1]), qml.CRX(0.4, [1, 0]),
           qml.RX(qml.numpy.array(0.5, requires_grad=True), 1),
           qml.AngleEmbedding(np.array([0.6, 0.7]), wires=[0, 1])]
    keyed, values = scan(ops)  # type: ignore[misc]
    assert values.tolist() == [0.1, 0.2, 3.0, 0.4, 0.5, 0.6, 0.7]
    same, other = scan([qml.Rot(1, 2, 3, 0), qml.CNOT([0, 1]), qml.CRX(4, [1, 0]),  # type: ignore[misc]
                        qml.RX(qml.numpy.array(5.0), 1),
                        qml.AngleEmbedding(np.array([6.0, 7.0]), wires=[0, 1])])
    assert same == keyed and other.tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_interface_values_are_unwrapped() -> None:
    torch = pytest.importorskip("torch")  # the optional extra
    _, values = scan([qml.RX(torch.tensor(0.25, requires_grad=True), 0),  # type: ignore[misc]
                          qml.RY(torch.tensor([0.5, 0.75]), 1)])
    assert values.tolist() == [0.25, 0.5, 0.75]


@pytest.mark.parametrize("interface", ["autograd", "torch", "jax", "mixed"])
def test_scalars_of_any_interface_are_read_in_order(interface: str) -> None:
    # 0-d tensors are converted together, per interface: order and values must survive
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    make = {"autograd": qml.numpy.array, "torch": torch.tensor, "jax": jax.numpy.asarray}
    numbers = [0.125, -1.5, 2.0, 0.75, 3.25]
    kinds = list(make) if interface == "mixed" else [interface]
    values = [make[kinds[i % len(kinds)]](x) for i, x in enumerate(numbers)]
    ops = [qml.Rot(values[0], 0.5, values[1], wires=0), qml.CNOT([0, 1]),
           qml.RX(values[2], 1), qml.IsingZZ(values[3], [0, 1]), qml.RY(values[4], 0)]
    _, got = scan(ops)  # type: ignore[misc]
    assert got.tolist() == [0.125, 0.5, -1.5, 2.0, 0.75, 3.25]


def test_a_complex_scalar_is_not_a_value() -> None:
    torch = pytest.importorskip("torch")
    assert scan([qml.RX(0.5, 0), qml.RX(torch.tensor(0.5 + 0.5j), 1)]) is None
    assert scan([qml.RX(qml.numpy.array(0.5 + 0.5j), 1)]) is None


def test_a_matrix_is_not_a_value() -> None:
    """Complex parameters are structure: the caller preprocesses such tapes in full."""
    assert scan([qml.QubitUnitary(qml.matrix(qml.S(0)), 0)]) is None
