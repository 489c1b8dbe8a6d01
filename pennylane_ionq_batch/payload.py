"""Data shared by the compiler (producer) and the client (consumer) of circuit JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple


class SerializedCircuit(NamedTuple):
    """One circuit's JSON object (``{"qubits":..,"circuit":[..]}``), its qubits and gate count.

    Serialised once, so that chunk planning knows exact sizes and job bodies are assembled
    from bytes without encoding circuits twice. (A named tuple: thousands are made per batch.)
    """

    body: bytes
    qubits: int
    gates: int

    @classmethod
    def from_gates(cls, gates: Sequence[dict[str, Any]], qubits: int) -> SerializedCircuit:
        body = json.dumps({"qubits": qubits, "circuit": gates}, separators=(",", ":")).encode()
        return cls(body=body, qubits=qubits, gates=len(gates))
