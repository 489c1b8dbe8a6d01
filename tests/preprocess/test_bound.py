"""Bound tapes: complete QuantumScripts whose operations are built only when something reads
them; the device compiles them from their values without building them."""

from __future__ import annotations

import functools
import inspect

import numpy as np
import pennylane as qml
import pytest
from pennylane.devices import ExecutionConfig
from pennylane.math import Interface
from pennylane.tape import QuantumScript

from pennylane_ionq_batch.preprocess.bound import (
    Binder,
    BoundScript,
    bound_values,
    compile_token,
    fast_rebinding,
)

# The parametrised gates preprocessing leaves in tapes (templates decompose into these), which
# the fast path must rebind: a slow path here costs most of training's client time.
PLAIN = [qml.RX(0.1, 0), qml.RY(0.2, 0), qml.RZ(0.3, 0), qml.PhaseShift(0.4, 0),
         qml.Rot(0.1, 0.2, 0.3, 0), qml.U1(0.5, 0), qml.U2(0.1, 0.2, 0), qml.U3(0.1, 0.2, 0.3, 0),
         qml.IsingXX(0.1, [0, 1]), qml.IsingYY(0.2, [0, 1]), qml.IsingZZ(0.3, [0, 1]),
         qml.IsingXY(0.4, [0, 1]), qml.MultiRZ(0.5, [0, 1]), qml.PSWAP(0.6, [0, 1]),
         qml.SingleExcitation(0.7, [0, 1]), qml.GlobalPhase(0.8, [0])]


def test_pennylane_internals_still_hold() -> None:
    """What preprocess/bound.py relies on (its docstring lists it), checked on the installed
    PennyLane: if one stops holding, this fails instead of training silently slowing down."""
    tape = QuantumScript([qml.RX(0.1, 0)], [qml.expval(qml.Z(0))])
    assert "_ops" in tape.__dict__ and tape.operations is tape.__dict__["_ops"]
    assert isinstance(inspect.getattr_static(QuantumScript, "wires"), functools.cached_property)
    assert callable(QuantumScript._flatten) and callable(QuantumScript._unflatten)
    slow = [op.name for op in PLAIN if not fast_rebinding(op)]
    assert not slow, f"rebound through bind_new_parameters now: {slow}"


@pytest.mark.parametrize("op", PLAIN, ids=lambda op: op.name)
def test_a_rebound_operation_is_the_operation_with_new_values(op: qml.operation.Operator
                                                              ) -> None:
    """No cached fact of the old values survives the copy (a matrix, a Pauli representation)."""
    values = np.linspace(0.9, 1.7, len(op.data))
    tape = QuantumScript([op], [qml.expval(qml.Z(0))])
    op.pauli_rep, qml.matrix(op)  # caches filled with the old values  # noqa: B018
    [new] = Binder(tape, (len(op.data),), None).bind(values).operations
    fresh = qml.ops.functions.bind_new_parameters(op, list(values))
    assert type(new) is type(op) and new.wires == op.wires
    assert np.allclose(new.data, values) and np.allclose(qml.matrix(new), qml.matrix(fresh))
    assert new.pauli_rep == fresh.pauli_rep


def tapes(n: int, seed: int = 0) -> list[qml.tape.QuantumScript]:
    rng = np.random.default_rng(seed)
    return [qml.tape.QuantumScript(
        [qml.AngleEmbedding(rng.uniform(0, 3, 3), wires=range(3)),
         qml.StronglyEntanglingLayers(rng.uniform(0, 3, (2, 3, 3)), wires=range(3))],
        [qml.expval(qml.Z(0) @ qml.Z(2)), qml.probs(wires=[1])]) for _ in range(n)]


def bound(dev: object, batch: list) -> tuple[list, object]:
    program = dev.preprocess_transforms()  # type: ignore[attr-defined]
    program(tapes(2, seed=99))  # seen twice: learned
    out, post = program(batch)
    assert all(isinstance(t, BoundScript) for t in out)
    return out, post


def test_operations_are_built_when_read_and_equal_the_pipeline() -> None:
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    batch = tapes(5)
    out, _ = bound(dev, batch)
    assert not any(t.operations_built for t in out)
    assert all(compile_token(t) is not None and len(bound_values(t)) == 21 for t in out)
    expected, _ = dev.preprocess_transforms()[0].kwargs["pipeline"](batch)
    for ours, theirs in zip(out, expected, strict=True):
        assert [op.name for op in ours.operations] == [op.name for op in theirs.operations]
        assert ours.operations_built
        assert np.allclose(ours.get_parameters(trainable_only=False),
                           theirs.get_parameters(trainable_only=False), rtol=0, atol=1e-12)
        assert np.allclose(qml.matrix(ours, wire_order=range(3)),
                           qml.matrix(theirs, wire_order=range(3)), atol=1e-12)
        assert ours.wires == theirs.wires and ours.num_params == theirs.num_params == 21


def test_copies_and_pytrees_are_plain_tapes_of_the_same_operations() -> None:
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    (tape,), _ = bound(dev, tapes(1))
    copy = tape.copy()
    assert bound_values(copy) is None and compile_token(copy) is None  # not bound any more
    assert qml.equal(copy, tape)
    leaves, tree = qml.pytrees.flatten(tape)
    rebuilt = qml.pytrees.unflatten(leaves, tree)
    assert isinstance(rebuilt, BoundScript) and bound_values(rebuilt) is None
    assert all(qml.equal(a, b) for a, b in zip(rebuilt.operations, tape.operations, strict=True))
    assert repr(rebuilt.measurements) == repr(tape.measurements)
    other = tape.copy(operations=[qml.RX(0.1, 0)])
    assert [op.name for op in other.operations] == ["RX"] and bound_values(other) is None


def test_the_device_compiles_bound_tapes_without_building_their_operations() -> None:
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    batch = tapes(30, seed=5)
    out, post = bound(dev, batch)
    ours = post(dev.execute(out))
    # the compiler's template for a new structure is built from its first tape's operations
    assert [t.operations_built for t in out] == [True] + [False] * 29
    again, _ = dev.preprocess_transforms()(batch)
    dev.execute(again)
    assert not any(t.operations_built for t in again)
    theirs = qml.execute(batch, qml.device("default.qubit", wires=3))
    for (e1, p1), (e2, p2) in zip(ours, theirs, strict=True):
        assert abs(e1 - e2) < 1e-10 and np.allclose(p1, p2, rtol=0, atol=1e-10)


def test_fingerprints_compare_bound_tapes_without_building_them() -> None:
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    batch = tapes(2, seed=3)
    first, _ = bound(dev, batch)
    second, _ = dev.preprocess_transforms()([*batch, batch[0]])
    assert [t.fingerprint for t in first] == [t.fingerprint for t in second[:2]]
    assert second[2].fingerprint == first[0].fingerprint != first[1].fingerprint
    assert not any(t.operations_built for t in [*first, *second])
    copy = first[0].copy()  # its operations were set: no longer bound, compared by hash
    assert copy.fingerprint == copy.hash


def test_autograd_parameters_are_converted_by_the_pipeline_and_gradients_stay_exact() -> None:
    """PennyLane's own conversion (after the device's preprocessing) would rebuild every bound
    tape; for autograd the device's pipeline converts first instead."""
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    config = dev.setup_execution_config(ExecutionConfig(interface=Interface.AUTOGRAD))
    assert config.convert_to_numpy is False
    for interface in (Interface.NUMPY, Interface.JAX_JIT):
        assert dev.setup_execution_config(ExecutionConfig(interface=interface)).convert_to_numpy
    rng = np.random.default_rng(7)
    weights = qml.numpy.array(rng.uniform(0, 3, (2, 3, 3)), requires_grad=True)
    xs = qml.numpy.array(rng.uniform(0, 1, (4, 3)), requires_grad=False)
    grads = []
    for device in (dev, qml.device("default.qubit", wires=3)):
        @qml.qnode(device, diff_method="parameter-shift")
        def circuit(w, x):
            qml.AngleEmbedding(x, wires=range(3))
            qml.StronglyEntanglingLayers(w, wires=range(3))
            return qml.expval(qml.Z(0) @ qml.Z(2))

        cost = lambda w, c=circuit: qml.math.sum(c(w, xs))  # noqa: E731
        grads.append([qml.grad(cost)(weights) for _ in range(3)])  # learned by the third
    assert np.allclose(grads[0], grads[1], rtol=0, atol=1e-10)
    assert dev.metrics["preprocess_cache_hits"] > 0


def test_pennylane_conversions_keep_a_bound_tape_bound() -> None:
    """Interface boundaries rebind NumPy parameters (``bind_new_parameters``) and convert
    tapes before device derivatives (``convert_to_numpy_parameters``): a bound tape comes
    out bound, its operations unbuilt, with the values PennyLane would have set."""
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    (tape,), _ = bound(dev, tapes(1, seed=8))
    (converted,), _ = qml.transforms.convert_to_numpy_parameters([tape])
    assert converted is tape and not tape.operations_built
    values = bound_values(tape)
    new = tape.bind_new_parameters([np.float64(0.5), 2.0], [7, 3])  # paired in sorted order
    assert isinstance(new, BoundScript) and not new.operations_built
    assert bound_values(new)[[3, 7]].tolist() == [0.5, 2.0]
    assert np.array_equal(np.delete(bound_values(new), [3, 7]), np.delete(values, [3, 7]))
    plain = qml.tape.QuantumScript(tape.operations, tape.measurements)
    assert np.allclose(new.get_parameters(trainable_only=False),
                       plain.bind_new_parameters([0.5, 2.0], [7, 3]).get_parameters(
                           trainable_only=False), rtol=0, atol=0)


def test_a_traced_value_is_bound_the_slow_way() -> None:
    """A value autodiff traces cannot live in a NumPy array: PennyLane's own binding."""
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    (tape,), _ = bound(dev, tapes(1, seed=8))
    box = qml.numpy.tensor(0.25, requires_grad=True)
    new = tape.bind_new_parameters([box], [0])
    assert bound_values(new) is None and new.get_parameters(trainable_only=False)[0] is box
