"""The table of native gate kinds: its rendered text, its dicts and its PennyLane operations
agree with each other and with IonQ's gate objects (reference §4.2)."""

from __future__ import annotations

import json

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch.compile.gates import ENTANGLERS, KINDS
from pennylane_ionq_batch.compile.native import native_gate_objects, native_operations
from pennylane_ionq_batch.ops import GPI, GPI2, MS, ZZ

GATES = [("gpi", 2, 0.125), ("gpi2", 0, 0.75), ("ms", 1, 3, 0.1, 0.2, 0.25),
         ("zz", 0, 2, 0.05)]
OBJECTS = [{"gate": "gpi", "target": 2, "phase": 0.125},
           {"gate": "gpi2", "target": 0, "phase": 0.75},
           {"gate": "ms", "targets": [1, 3], "phases": [0.1, 0.2], "angle": 0.25},
           {"gate": "zz", "targets": [0, 2], "angle": 0.05}]


def test_gate_objects_are_ionqs() -> None:
    assert native_gate_objects(GATES) == OBJECTS


@pytest.mark.parametrize(("gate", "expected"), list(zip(GATES, OBJECTS, strict=True)))
def test_the_format_string_renders_the_same_object(gate: tuple, expected: dict) -> None:
    kind = KINDS[gate[0]]
    numbers = gate[1 + kind.qubits:]
    text = kind.json_format(gate[1:1 + kind.qubits]) % tuple(map(repr, numbers))
    assert json.loads(text) == expected


def test_operations_carry_the_numbers_on_the_wires() -> None:
    wires = ["a", "b", "c", "d"]
    ops = native_operations(GATES, wires)
    expected = [GPI(0.125, wires="c"), GPI2(0.75, wires="a"),
                MS(0.1, 0.2, 0.25, wires=["b", "d"]), ZZ(0.05, wires=["a", "c"])]
    for op, want in zip(ops, expected, strict=True):
        assert type(op) is type(want) and op.wires == want.wires
        assert np.allclose(qml.matrix(op), qml.matrix(want))


def test_entanglers_are_the_two_qubit_kinds() -> None:
    assert ENTANGLERS == ("ms", "zz")
    assert [k.phases for k in KINDS.values()] == [(True,), (True,), (True, True, False),
                                                  (False,)]
