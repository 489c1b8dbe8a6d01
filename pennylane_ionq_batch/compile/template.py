"""Compile each circuit structure once; rebind parameters for a whole batch in one numpy pass.

Training sends one structure many times with new parameters (a parameter-shift gradient of a
48-parameter circuit is 96 tapes of it). Here a tape's *compile key* says everything the
compiled gates depend on except parameter values; tapes that share it are compiled together
(:func:`.native.compile_slots` with N members) and serialised through one JSON format string
per gate shape. A :class:`Template` per key keeps what never changes (the operations, constant
matrices, KAK forms of constant two-qubit gates, format strings) in a thread-safe LRU cache.

Exactness: a member gets the gates it gets when compiled alone, to rounding (a batch computes
with numpy arrays, a lone circuit with Python numbers). A member whose gate shape differs from
the batch's (an angle of 0 or π where the others have none) is recompiled with the members
like it, so the gates sent never depend on the company a tape keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import orjson
import pennylane as qml
from cachetools import LRUCache
from pennylane.operation import Operator

from ..payload import SerializedCircuit
from .gates import KINDS
from .keys import freeze, wire_labels
from .native import (
    RECIPES,
    Compiled,
    NativeGate,
    Slot,
    compile_slots,
    rebinds,
    slots_for,
)

# Operations whose compiled form depends on name, wires and data only (not hyper-parameters).
_PLAIN = frozenset(RECIPES) | {
    "RX", "RY", "RZ", "PhaseShift", "Rot", "U1", "U2", "U3", "Hadamard", "PauliX", "PauliY",
    "PauliZ", "S", "T", "SX", "Identity", "GlobalPhase", "Barrier", "CH", "SWAP", "ISWAP",
    "SISWAP", "ECR", "IsingXY", "CRot", "GPI", "GPI2", "QubitUnitary", "SingleExcitation",
    "PSWAP", "Adjoint(S)", "Adjoint(T)", "Adjoint(SX)", "Adjoint(GPI2)",
}


def _op_key(op: Operator) -> Hashable:
    """Name and wire labels, plus hyper-parameters and parameter shapes where they matter."""
    name = op.name
    if name in _PLAIN:
        return (name, wire_labels(op))
    values = tuple(np.asarray(qml.math.unwrap(d)).tobytes() for d in op.data) \
        if not rebinds(op) else ()  # compiled with these very values: they are structure
    return (name, op.wires.labels, freeze(op.hyperparameters),
            tuple(np.shape(qml.math.unwrap(d)) for d in op.data), values)


def ops_key(ops: Sequence[Operator]) -> Hashable:
    """The operations' part of :func:`compile_key`."""
    return tuple(map(_op_key, ops))


def compile_key(ops: Sequence[Operator], wire_order: Sequence[Any],
                entangler: str) -> Hashable:
    """What a compiled circuit depends on besides parameter values.

    Operation names, wires, hyper-parameters and parameter shapes, the circuit's wire order
    and the two-qubit native gate. (Measurements and shots are not in it: after
    preprocessing they do not change the gates sent, so tapes differing only there share.)
    """
    return (entangler, tuple(wire_order), ops_key(ops))


@lru_cache(maxsize=8192)  # kinds × qubit pairs: bounded by the widest device
def _gate_format(kind: tuple[Any, ...]) -> str:
    return KINDS[kind[0]].json_format(kind[1:])


def _number_rows(values: np.ndarray) -> list[tuple[bytes, ...]]:
    """Each row of an (N, V) float array as V JSON numbers (shortest round-trip form).

    orjson writes the whole array in one call, several times faster than ``repr`` per float.
    """
    n, v = values.shape
    if v == 0:
        return [()] * n
    text = orjson.dumps(np.ascontiguousarray(values).ravel(), option=orjson.OPT_SERIALIZE_NUMPY)
    numbers = text[1:-1].split(b",")
    return [tuple(numbers[i:i + v]) for i in range(0, n * v, v)]


@dataclass
class Template:
    """What one structure's compilations share."""

    slots: list[Slot]
    qubits: int
    entangler: str
    scalar_params: bool  # every parameter is a number: gather them as one (N, P) array
    constants: dict[int, Any] = field(default_factory=dict)  # what parameter-free slots give
    formats: dict[tuple[Any, ...], bytes] = field(default_factory=dict)  # gate shape → JSON

    @classmethod
    def build(cls, ops: Sequence[Operator], wire_order: Sequence[Any],
              entangler: str) -> Template:
        slots = slots_for(ops, wire_order)
        scalar = all((d.ndim if hasattr(d, "ndim") else np.ndim(d)) == 0
                     for slot in slots if not slot.frozen for d in slot.op.data)
        return cls(slots, max(1, len(wire_order)), entangler, scalar)

    def gather(self, tapes_ops: Sequence[Sequence[Operator]]) -> list[list[np.ndarray]]:
        """Per slot, its parameters for every tape as arrays with a leading axis of N."""
        if self.scalar_params:
            with_data = [k for k, n in enumerate(self._bound) if n]
            return self._columns(np.array(
                [[d for k in with_data for d in ops[k].data] for ops in tapes_ops],
                dtype=float).reshape(len(tapes_ops), -1))
        return [[np.stack([np.asarray(qml.math.unwrap(ops[s].data[j])) for ops in tapes_ops])
                 for j in range(n)] for s, n in enumerate(self._bound)]

    def gather_values(self, rows: Sequence[np.ndarray]) -> list[list[np.ndarray]] | None:
        """:meth:`gather` from each tape's parameters already flattened in slot order; None
        when they do not fit this structure (then gather from the operations)."""
        flat = np.array(rows, dtype=float) if rows else np.zeros((0, 0))
        if not self.scalar_params or flat.ndim != 2 or flat.shape[1] != sum(self._bound):
            return None
        return self._columns(flat)

    @cached_property
    def _bound(self) -> list[int]:
        """How many parameters each slot takes from a tape (none if compiled as it is)."""
        return [0 if slot.frozen else len(slot.op.data) for slot in self.slots]

    def _columns(self, flat: np.ndarray) -> list[list[np.ndarray]]:
        out, k = [], 0
        for n in self._bound:
            out.append([flat[:, k + j] for j in range(n)])
            k += n
        return out

    def _groups(self, data: list[list[np.ndarray]], n: int
                ) -> Iterator[tuple[np.ndarray, np.ndarray, Compiled]]:
        """(members, their rows, compiled) for groups of members that branch alike."""
        todo = np.arange(n)
        while todo.size:
            part = data if todo.size == n else [[d[todo] for d in ds] for ds in data]
            compiled = compile_slots(self.slots, part, todo.size, self.entangler,
                                     self.constants)
            rows = np.flatnonzero(~compiled.mismatch)
            yield todo[rows], rows, compiled
            todo = todo[compiled.mismatch]

    def gates(self, data: list[list[np.ndarray]], n: int) -> list[list[NativeGate]]:
        """Each member's native gates."""
        out: list[list[NativeGate]] = [[] for _ in range(n)]
        for members, rows, compiled in self._groups(data, n):
            for i, row in zip(members, rows, strict=True):
                out[i] = compiled.gates(row)
        return out

    def serialize(self, data: list[list[np.ndarray]], n: int) -> list[SerializedCircuit]:
        """Each member's IonQ circuit JSON."""
        out: list[SerializedCircuit | None] = [None] * n
        for members, rows, compiled in self._groups(data, n):
            fmt, gates, qubits = self._format(compiled.shape), len(compiled.shape), self.qubits
            entanglers = sum(KINDS[kind[0]].entangling for kind in compiled.shape)
            values = compiled.values
            numbers = _number_rows(values if rows.size == len(values) else values[rows])
            for i, row in zip(members.tolist(), numbers, strict=True):
                out[i] = SerializedCircuit(fmt % row, qubits, gates, entanglers)
        return out  # type: ignore[return-value]

    def _format(self, shape: list[tuple[Any, ...]]) -> bytes:
        key = tuple(shape)
        fmt = self.formats.get(key)
        if fmt is None:
            gates = ",".join(_gate_format(kind) for kind in shape)
            fmt = f'{{"qubits":{self.qubits},"circuit":[{gates}]}}'.encode()
            self.formats[key] = fmt
        return fmt


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class StructureCache:
    """A bounded, thread-safe LRU map from structure keys to templates."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self.stats = CacheStats()
        self._templates: LRUCache[Hashable, Template] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._templates)

    def serialize(self, tapes_ops: Sequence[Sequence[Operator]],
                  wire_orders: Sequence[Sequence[Any]], entangler: str,
                  tokens: Sequence[Hashable | None] | None = None,
                  values: Sequence[np.ndarray | None] | None = None,
                  ) -> tuple[list[SerializedCircuit], CacheStats]:
        """Every tape's native circuit JSON; structures compiled once per batch, in bulk.

        ``tokens[i]``, when not None, is tape i's :func:`ops_key`, already known (a tape bound
        from a learned preprocessing carries it), and ``values[i]`` its parameters in order:
        then ``tapes_ops[i]`` is not read (unless its structure is new).
        """
        if len(tapes_ops) != len(wire_orders):
            raise ValueError("one wire order per tape")
        groups: dict[Hashable, list[int]] = {}
        for i, wires in enumerate(wire_orders):
            token = tokens[i] if tokens is not None else None
            key = (compile_key(tapes_ops[i], wires, entangler) if token is None
                   else (entangler, tuple(wires), token))
            groups.setdefault(key, []).append(i)
        stats = CacheStats()
        out: list[SerializedCircuit | None] = [None] * len(tapes_ops)
        for key, members in groups.items():
            first = members[0]
            template = self._lookup(key)
            hit = template is not None
            if template is None:  # a new structure: built from its first tape's operations
                template = self._store(key, Template.build(tapes_ops[first], wire_orders[first],
                                                           entangler))
            stats.hits += len(members) - (0 if hit else 1)
            stats.misses += 0 if hit else 1
            data = None
            if values is not None and tokens is not None and all(
                    tokens[i] is not None for i in members):
                rows = [v for i in members if (v := values[i]) is not None]
                if len(rows) == len(members):
                    data = template.gather_values(rows)
            if data is None:
                data = template.gather([tapes_ops[i] for i in members])
            bodies = template.serialize(data, len(members))
            for i, body in zip(members, bodies, strict=True):
                out[i] = body
        with self._lock:
            self.stats.hits += stats.hits
            self.stats.misses += stats.misses
        return out, stats  # type: ignore[return-value]

    def _lookup(self, key: Hashable) -> Template | None:
        with self._lock:
            return self._templates.get(key)

    def _store(self, key: Hashable, template: Template) -> Template:
        with self._lock:
            self._templates[key] = template
        return template
