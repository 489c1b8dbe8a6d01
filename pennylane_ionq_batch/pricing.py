"""What a batch will cost on IonQ, from its exact gate counts, before anything is sent. Pure.

IonQ prices a circuit job from its qubits, shots and gate counts (``GET /jobs/estimate``):
with a ``gates`` rate card, ``shots × (1q gates × cost_1q_gate + 2q gates × cost_2q_gate)``,
at least ``job_cost_minimum``. How a multi-circuit job is billed is not documented, so every
circuit is priced as a job of its own, minimum included: an upper bound, which is the safe side
of a budget. (The bill of a finished job, ``GET /jobs/{id}/cost``, is read afterwards.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .exceptions import ResponseError
from .payload import SerializedCircuit


@dataclass(frozen=True)
class Rates:
    """A backend's gate prices, read from ``GET /jobs/estimate``."""

    backend: str
    unit: str  # "usd", or "credit" for organizations billed in credits
    cost_1q_gate: float
    cost_2q_gate: float
    job_cost_minimum: float = 0.0

    @classmethod
    def parse(cls, backend: str, raw: Any) -> Rates:
        """Both shapes IonQ has used: ``rate_card.rates[]`` (September 2026) and
        ``rate_information`` (April 2026)."""
        if not isinstance(raw, Mapping):
            raise ResponseError(200, f"GET /jobs/estimate for {backend}: expected an object, "
                                f"got {raw!r:.200}")
        entry: Any = None
        card = raw.get("rate_card")
        if isinstance(card, Mapping) and isinstance(card.get("rates"), list):
            entry = next((r for r in card["rates"] if isinstance(r, Mapping)
                          and r.get("unit") == "gates"), None)
            unit = raw.get("estimated_unit")
        else:
            entry, unit = raw.get("rate_information"), raw.get("cost_unit")
        if not isinstance(entry, Mapping) or not all(
                isinstance(entry.get(k), (int, float)) for k in ("cost_1q_gate", "cost_2q_gate")):
            raise ResponseError(200, "GET /jobs/estimate gave no per-gate rates for "
                                f"{backend} (only per-gate pricing is supported): {raw!r:.300}")
        return cls(backend, str(unit or "usd"), float(entry["cost_1q_gate"]),
                   float(entry["cost_2q_gate"]), float(entry.get("job_cost_minimum") or 0.0))

    def circuit(self, circuit: SerializedCircuit, shots: int) -> float:
        """One circuit, billed as a job of its own."""
        gates = (circuit.single_qubit_gates * self.cost_1q_gate
                 + circuit.multi_qubit_gates * self.cost_2q_gate)
        return max(self.job_cost_minimum, shots * gates)


@dataclass(frozen=True)
class Estimate:
    """What a batch will cost, and how that was computed."""

    total: float
    unit: str
    circuits: int
    shots: int  # the largest shot count of the batch
    single_qubit_gates: int
    multi_qubit_gates: int
    rates: Rates | None  # None: the backend is free (the simulator)
    per_job: tuple[float, ...] = ()  # each job's share of ``total``, in the plan's order

    def explain(self) -> str:
        circuits = f"{self.circuits} circuit{'' if self.circuits == 1 else 's'}"
        if self.rates is None:
            return f"{circuits} on a free backend"
        r = self.rates
        return (f"{circuits}, each priced as a job of its own: shots × "
                f"(1q gates × {r.cost_1q_gate} + 2q gates × {r.cost_2q_gate}), at least "
                f"{r.job_cost_minimum} {r.unit} per circuit; {self.single_qubit_gates} 1q and "
                f"{self.multi_qubit_gates} 2q gates in all, up to {self.shots} shots")

    def __str__(self) -> str:
        return f"{self.total:.2f} {self.unit} ({self.explain()})"


Item = tuple[SerializedCircuit, int, "Rates | None"]


def estimate(jobs: Sequence[Sequence[Item]]) -> Estimate:
    """Price every job's ``(circuit, shots, rates)`` items: a circuit run with that many shots,
    at those rates (None: a free backend)."""
    per_job = tuple(sum(r.circuit(c, s) for c, s, r in job if r is not None) for job in jobs)
    items = [item for job in jobs for item in job]
    priced = [r for _, _, r in items if r is not None]
    return Estimate(sum(per_job), priced[0].unit if priced else "usd", len(items),
                    max((s for _, s, _ in items), default=0),
                    sum(c.single_qubit_gates for c, _, _ in items),
                    sum(c.multi_qubit_gates for c, _, _ in items),
                    priced[0] if priced else None, per_job)
