"""IonQ's native gate kinds, in one table: their numbers, JSON shape and PennyLane operation.

The compiler emits gates as tuples ``(name, *qubits, *numbers)``; the template cache renders
them through format strings, the tracker counts them and :func:`~.native.native_operations`
turns them into PennyLane operations. Each reads what a kind is from here (reference §4.2:
phases and angles in turns).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pennylane.operation import Operator

from ..ops import GPI, GPI2, MS, ZZ

PLACEHOLDER = "<number>"  # a JSON string no gate field can hold


@dataclass(frozen=True)
class GateKind:
    """One native gate: how many qubits it acts on, its numbers in order, which of them are
    phases (normalised into [0, 1) turns), and its PennyLane operation."""

    name: str
    qubits: int
    numbers: tuple[str, ...]  # JSON field of each number, in the tuple's order
    phases: tuple[bool, ...]
    operation: type[Operator]

    @property
    def entangling(self) -> bool:
        return self.qubits == 2

    def _fields(self, numbers: Sequence[Any]) -> dict[str, Any]:
        grouped: dict[str, list[Any]] = {}
        for field, value in zip(self.numbers, numbers, strict=True):
            grouped.setdefault(field, []).append(value)
        return {f: v[0] if len(v) == 1 else v for f, v in grouped.items()}

    def json(self, qubits: Sequence[int], numbers: Sequence[Any]) -> dict[str, Any]:
        """This gate's JSON object (reference §4.2)."""
        where = {"target": qubits[0]} if self.qubits == 1 else {"targets": list(qubits)}
        return {"gate": self.name, **where, **self._fields(numbers)}

    def json_format(self, qubits: Sequence[int]) -> str:
        """:meth:`json` as compact text with one ``%s`` per number."""
        text = json.dumps(self.json(qubits, [PLACEHOLDER] * len(self.numbers)),
                          separators=(",", ":"))
        return text.replace(f'"{PLACEHOLDER}"', "%s")

    def operation_on(self, wires: Sequence[Any], numbers: Sequence[float]) -> Operator:
        return self.operation(*numbers, wires=list(wires))


KINDS: dict[str, GateKind] = {k.name: k for k in (
    GateKind("gpi", 1, ("phase",), (True,), GPI),
    GateKind("gpi2", 1, ("phase",), (True,), GPI2),
    GateKind("ms", 2, ("phases", "phases", "angle"), (True, True, False), MS),
    GateKind("zz", 2, ("angle",), (False,), ZZ),
)}
ENTANGLERS = tuple(k.name for k in KINDS.values() if k.entangling)
