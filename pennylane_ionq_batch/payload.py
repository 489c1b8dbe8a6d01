"""Data shared by the compiler (producer) and the client (consumer) of circuit JSON."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SerializedCircuit:
    """One circuit's JSON object (``{"qubits":..,"circuit":[..]}``), its qubits and gate count.

    Serialised once, so that chunk planning knows exact sizes and job bodies are assembled
    from bytes without encoding circuits twice.
    """

    body: bytes
    qubits: int
    gates: int
