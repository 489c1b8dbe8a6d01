"""PennyLane operations → IonQ ``qis`` gate objects (reference §4.1). Never imports the client.

Rotations stay in radians here: the QIS gateset takes radians. Qubit ``i`` is the ``i``-th wire
of the circuit's wire order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pennylane as qml
from pennylane.operation import Operator

from ..exceptions import CompilationError
from ..payload import SerializedCircuit

Gate = dict[str, Any]
MAX_CONTROLS = 7

_FIXED = {"PauliX": "x", "PauliY": "y", "PauliZ": "z", "Hadamard": "h", "S": "s", "T": "t",
          "SX": "v", "Adjoint(S)": "si", "Adjoint(T)": "ti", "Adjoint(SX)": "vi"}
_ROT = {"RX": "rx", "RY": "ry", "RZ": "rz", "PhaseShift": "rz"}  # PhaseShift = RZ · phase
_ISING = {"IsingXX": "xx", "IsingYY": "yy", "IsingZZ": "zz"}
_CONTROLLED = {"CNOT": "x", "Toffoli": "x", "CZ": "z", "CY": "y", "MultiControlledX": "x",
               "CRX": "rx", "CRY": "ry", "CRZ": "rz"}
_DROPPED = {"Identity", "GlobalPhase", "Barrier", "Snapshot"}

QIS_OPERATIONS = frozenset(_FIXED) | set(_ROT) | set(_ISING) | set(_CONTROLLED) | {"SWAP"} \
    | _DROPPED


def supports_operation(op: Operator) -> bool:
    """Stopping condition of ``decompose``: can this op be written as one QIS gate (or none)?"""
    if op.name not in QIS_OPERATIONS:
        return False
    if op.name == "MultiControlledX":
        return all(op.control_values) and len(op.wires) - 1 <= MAX_CONTROLS
    return True


def _angle(op: Operator) -> float:
    value = float(qml.math.real(op.data[0]))
    if not math.isfinite(value):
        raise CompilationError(f"ionq.batch: {op.name} on wires {op.wires.tolist()} has a "
                               f"non-finite angle {value}")
    return value


def op_to_gates(op: Operator, qubit: Callable[[Any], int]) -> list[Gate]:
    """One PennyLane operation as a list of QIS gate objects (empty for identity-like ops)."""
    name = op.name
    q = [qubit(w) for w in op.wires]
    if name in _DROPPED:
        return []
    if name in _FIXED:
        return [{"gate": _FIXED[name], "target": q[0]}]
    if name in _ROT:
        return [{"gate": _ROT[name], "target": q[0], "rotation": _angle(op)}]
    if name in _ISING:
        return [{"gate": _ISING[name], "targets": q, "rotation": _angle(op)}]
    if name == "SWAP":
        return [{"gate": "swap", "targets": q}]
    if name in _CONTROLLED:
        gate: Gate = {"gate": "cnot" if _CONTROLLED[name] == "x" else _CONTROLLED[name],
                      "target": q[-1]}
        if len(q) == 2:
            gate["control"] = q[0]
        else:
            gate["controls"] = q[:-1]
        if name in ("CRX", "CRY", "CRZ"):
            gate["rotation"] = _angle(op)
        return [gate]
    raise CompilationError(
        f"ionq.batch: operation {name} on wires {op.wires.tolist()} has no IonQ QIS form; "
        "it should have been decomposed (please report this)")


def serialize_circuit(ops: Sequence[Operator], wire_order: Sequence[Any]) -> SerializedCircuit:
    """A circuit's JSON object over ``len(wire_order)`` qubits (at least one)."""
    index = {w: i for i, w in enumerate(wire_order)}
    gates = [g for op in ops for g in op_to_gates(op, index.__getitem__)]
    return SerializedCircuit.from_gates(gates, max(1, len(wire_order)))
