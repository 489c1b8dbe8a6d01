"""Data shared by the compiler (producer) and the client (consumer) of circuit JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple


class SerializedCircuit(NamedTuple):
    """One circuit's JSON object (``{"qubits":..,"circuit":[..]}``), its qubits, its gate count
    and how many of its gates act on two or more qubits (what IonQ prices).

    Serialised once, so that chunk planning knows exact sizes and job bodies are assembled
    from bytes without encoding circuits twice. (A named tuple: thousands are made per batch.)
    """

    body: bytes
    qubits: int
    gates: int
    multi_qubit_gates: int = 0

    @property
    def single_qubit_gates(self) -> int:
        return self.gates - self.multi_qubit_gates

    @classmethod
    def from_gates(cls, gates: Sequence[dict[str, Any]], qubits: int) -> SerializedCircuit:
        body = json.dumps({"qubits": qubits, "circuit": gates}, separators=(",", ":")).encode()
        wide = sum(len(g.get("targets", ())) + len(g.get("controls", ())) + ("control" in g)
                   + ("target" in g) >= 2 for g in gates)
        return cls(body=body, qubits=qubits, gates=len(gates), multi_qubit_gates=wide)


# A circuit whose gates all compiled away is never sent as "circuit": [] (IonQ's document does
# not promise to accept one). Where results are measured, two pulses that cancel are sent
# instead (GPI2(φ)⁻¹ = GPI2(φ + ½); X·X = I), so state preparation and measurement are still
# sampled as on any circuit.
_IDENTITY = {
    "native": [{"gate": "gpi2", "target": 0, "phase": 0.0},
               {"gate": "gpi2", "target": 0, "phase": 0.5}],
    "qis": [{"gate": "x", "target": 0}, {"gate": "x", "target": 0}],
}


def identity_circuit(qubits: int, gateset: str) -> SerializedCircuit:
    """A circuit on ``qubits`` qubits that does nothing, in two pulses that cancel."""
    return SerializedCircuit.from_gates(_IDENTITY[gateset], qubits)
