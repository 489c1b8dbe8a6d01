"""Structure templates: rebinding parameters gives exactly what compiling afresh gives."""

from __future__ import annotations

import json
import math
import threading

import numpy as np
import pennylane as qml
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pennylane.ops.functions import bind_new_parameters

from pennylane_ionq_batch.compile import StructureCache, Template, compile_key
from pennylane_ionq_batch.compile.gates import KINDS
from pennylane_ionq_batch.compile.native import (
    compile_native,
    native_gate_objects,
    native_operations,
)

from .test_native import circuits, decomposed, random_unitary, unitary

# Values where a fused run or an interaction changes shape, and ordinary ones.
NEW_ANGLES = st.one_of(st.sampled_from([0.0, math.pi, -math.pi, math.pi / 2, 2 * math.pi]),
                       st.floats(-20, 20, allow_nan=False))


def rebound(ops: list, draw: st.DrawFn) -> list:
    """The same operations with new parameter values."""
    out = []
    for op in ops:
        if not op.data:
            out.append(op)
        elif np.ndim(op.data[0]) == 2:
            out.append(bind_new_parameters(op, [random_unitary(draw(st.integers(0, 999)),
                                                               op.data[0].shape[0])]))
        else:
            out.append(bind_new_parameters(op, [draw(NEW_ANGLES) for _ in op.data]))
    return out


def same_gates(a: list, b: list, wires: list) -> bool:
    """Same kinds on the same qubits, and unitaries equal up to the Z rotations a measurement
    ignores (the trailing frames, which are not sent): ``U_a·U_b†`` diagonal to 1e-10.

    Numbers alone can differ by more than rounding and still be the same gates: a GPI phase
    half a turn apart is the same pulse times −1, and near a branch (a rotation within 1e-10
    of π) a phase moves with its trailing frame; which one comes out turns on rounding.
    """
    if [g[:1 + KINDS[g[0]].qubits] for g in a] != [g[:1 + KINDS[g[0]].qubits] for g in b]:
        return False
    product = unitary(native_operations(a, wires), wires) @ \
        unitary(native_operations(b, wires), wires).conj().T
    return bool(np.max(np.abs(product - np.diag(np.diag(product)))) < 1e-10)


class TestRebind:
    @pytest.mark.parametrize("entangler", ["ms", "zz"])
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(circuit=circuits(), data=st.data())
    def test_binding_new_values_equals_compiling_them(self, entangler: str, circuit: tuple,
                                                      data: st.DataObject) -> None:
        ops0, wires = circuit
        ops0 = decomposed(ops0)
        others = [rebound(ops0, data.draw) for _ in range(3)]
        template = Template.build(ops0, wires, entangler)
        batch = [ops0, *others]
        assert len({compile_key(ops, wires, entangler) for ops in batch}) == 1
        bound = template.gates(template.gather(batch), len(batch))
        for ops, gates in zip(batch, bound, strict=True):
            assert same_gates(gates, compile_native(ops, wires, entangler), wires)

    def test_a_member_that_changes_shape_is_compiled_on_its_own(self) -> None:
        wires = [0, 1]
        build = lambda x: [qml.RX(x, 0), qml.IsingXX(x, wires)]  # noqa: E731
        batch = [build(0.3), build(0.0), build(math.pi / 2), build(0.7)]
        template = Template.build(batch[0], wires, "ms")
        bound = template.gates(template.gather(batch), 4)
        assert [len(g) for g in bound] == [3, 0, 2, 3]  # RX(0) and XX(0) vanish
        for ops, gates in zip(batch, bound, strict=True):
            assert same_gates(gates, compile_native(ops, wires, "ms"), wires)

    def test_array_parameters_rebind(self) -> None:
        wires = [0, 1]
        batch = [[qml.QubitUnitary(random_unitary(s, 4), wires)] for s in range(4)]
        template = Template.build(batch[0], wires, "zz")
        assert not template.scalar_params
        for ops, gates in zip(batch, template.gates(template.gather(batch), 4), strict=True):
            assert same_gates(gates, compile_native(ops, wires, "zz"), wires)


class TestStructureKey:
    def test_ignores_values_but_not_wires_types_or_hyperparameters(self) -> None:
        key = lambda ops: compile_key(ops, [0, 1], "ms")  # noqa: E731
        assert key([qml.RX(0.1, 0), qml.CNOT([0, 1])]) == key([qml.RX(2.0, 0), qml.CNOT([0, 1])])
        assert key([qml.RX(0.1, 0)]) != key([qml.RX(0.1, 1)])
        assert key([qml.RX(0.1, 0)]) != key([qml.RY(0.1, 0)])
        assert key([qml.CNOT([0, 1])]) != key([qml.CNOT([1, 0])])
        assert key([qml.PauliRot(0.1, "XY", [0, 1])]) != key([qml.PauliRot(0.1, "YX", [0, 1])])
        assert compile_key([qml.RX(0.1, 0)], [0, 1], "ms") != \
            compile_key([qml.RX(0.1, 0)], [0, 1], "zz")


class TestCache:
    def ops(self, x: float, wire: int = 0) -> list:
        return [qml.RY(x, wire), qml.CNOT([wire, 1 - wire]), qml.RZ(x, 1 - wire)]

    def test_hits_misses_and_bodies(self) -> None:
        cache = StructureCache()
        tapes = [self.ops(0.1 * k) for k in range(1, 11)]
        bodies, stats = cache.serialize(tapes, [[0, 1]] * 10, "ms")
        assert (stats.hits, stats.misses) == (9, 1)
        _, stats = cache.serialize(tapes, [[0, 1]] * 10, "ms")
        assert (stats.hits, stats.misses) == (10, 0) and (cache.stats.hits, cache.stats.misses) \
            == (19, 1)
        for ops, body in zip(tapes, bodies, strict=True):
            expected = native_gate_objects(compile_native(ops, [0, 1], "ms"))
            assert json.loads(body.body) == {"qubits": 2, "circuit": expected}
            assert body.gates == len(expected) and body.qubits == 2

    def test_lru_bound(self) -> None:
        cache = StructureCache(maxsize=2)
        for wire in (0, 1, 0):
            cache.serialize([self.ops(0.3, wire)], [[0, 1]], "ms")
        assert len(cache) == 2
        _, stats = cache.serialize([self.ops(0.3, 1), self.ops(0.4, 0)], [[0, 1]] * 2, "zz")
        assert stats.misses == 2 and len(cache) == 2

    def test_threads_share_one_cache(self) -> None:
        cache = StructureCache()
        tapes = [self.ops(0.01 * k, k % 2) for k in range(200)]
        expected, _ = StructureCache().serialize(tapes, [[0, 1]] * 200, "ms")
        results: list = []

        def work() -> None:
            results.append(cache.serialize(tapes, [[0, 1]] * 200, "ms")[0])

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all([b.body for b in r] == [b.body for b in expected] for r in results)
        assert cache.stats.hits + cache.stats.misses == 1600 and len(cache) == 2



def test_operators_that_cannot_be_rebound_are_keyed_by_their_values() -> None:
    """Evolution has no compute_matrix of its own (and PennyLane cannot rebind it)."""
    def ops(t: float) -> list:
        return [qml.Hadamard(0), qml.evolve(0.25 * qml.PauliX(0), t), qml.CNOT([0, 1])]

    batch = [ops(0.3), ops(0.3), ops(1.1)]
    keys = [compile_key(o, [0, 1], "ms") for o in batch]
    assert keys[0] == keys[1] != keys[2]
    cache = StructureCache()
    bodies, stats = cache.serialize(batch, [[0, 1]] * 3, "ms")
    assert (stats.hits, stats.misses) == (1, 2)
    for o, body in zip(batch, bodies, strict=True):
        expected = native_gate_objects(compile_native(o, [0, 1], "ms"))
        assert json.loads(body.body)["circuit"] == expected
