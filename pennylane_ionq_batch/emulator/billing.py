"""The emulator's prices and sessions: plain data and rules, no aiohttp.

Prices (``PriceTable``) follow the shape of IonQ's rate card (``GET /jobs/estimate``: per-gate
prices and a job minimum). The default figures are illustrative — the per-gate-shot prices and
minimums once published for IonQ Aria on Azure Quantum — not a quote; pass your contract's.
The emulator bills every circuit of a job as a job of its own (IonQ does not document how it
bills multi-circuit jobs), which is also how ``ionq.batch`` estimates, so an estimate can be
checked against a bill exactly.

Sessions (IonQ's ``/sessions`` routes): a session is ``created``, ``started`` by its first job,
and ``ended`` by ``POST /sessions/{id}/end`` or by reaching a limit. Jobs in an active session
skip the queue; a job that would exceed the session's job count, duration or cost limit, or
that names an ended session, is refused.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .validate import ParsedJob, gate_counts


@dataclass(frozen=True)
class Price:
    cost_1q_gate: float
    cost_2q_gate: float
    job_cost_minimum: float
    job_cost_minimum_error_mitigation: float


ARIA_ON_AZURE = Price(0.000220, 0.000975, 12.42, 97.50)  # usd per gate-shot; per job


@dataclass(frozen=True)
class PriceTable:
    """Prices per backend; a backend not listed (the simulator) is free."""

    prices: dict[str, Price] = field(default_factory=lambda: {
        name: ARIA_ON_AZURE for name in ("qpu.aria-1", "qpu.aria-2", "qpu.forte-1",
                                         "qpu.forte-enterprise-1")})
    unit: str = "usd"

    def rate_card(self, backend: str, error_mitigation: bool) -> dict[str, Any]:
        price = self.prices.get(backend)
        rate: dict[str, Any] = {"sku": f"{backend}-gates", "unit": "gates",
                                "cost_1q_gate": price.cost_1q_gate if price else 0.0,
                                "cost_2q_gate": price.cost_2q_gate if price else 0.0}
        if price is not None:
            rate["job_cost_minimum"] = (price.job_cost_minimum_error_mitigation
                                        if error_mitigation else price.job_cost_minimum)
        return {"id": f"emulator-{backend}", "rates": [rate]}

    def circuit(self, backend: str, shots: int, n1q: int, n2q: int,
                error_mitigation: bool) -> float:
        price = self.prices.get(backend)
        if price is None:
            return 0.0
        minimum = (price.job_cost_minimum_error_mitigation if error_mitigation
                   else price.job_cost_minimum)
        return max(minimum, shots * (n1q * price.cost_1q_gate + n2q * price.cost_2q_gate))

    def job(self, job: ParsedJob) -> float:
        """What a job costs: each of its circuits as a job of its own."""
        debiased = bool(((job.settings or {}).get("error_mitigation") or {}).get("debiasing"))
        total = 0.0
        for circuit in job.circuits:
            n1q, n2q = gate_counts(circuit.gates)
            total += self.circuit(job.backend, job.shots, n1q, n2q, debiased)
        return total


class SessionError(ValueError):
    """A job the session cannot take (IonQ would answer 400)."""


@dataclass
class Session:
    id: str
    backend: str
    settings: dict[str, Any]
    created: float
    started: float | None = None
    ended: float | None = None
    jobs: int = 0
    cost: float = 0.0

    @property
    def status(self) -> str:
        return "ended" if self.ended else "started" if self.started else "created"

    def record(self, now: float) -> dict[str, Any]:
        """``Session`` as IonQ's document describes it."""
        def iso(t: float | None) -> str | None:
            return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))
        return {"id": self.id, "created_at": iso(self.created), "organization_id": "emulator",
                "backend": self.backend, "project_id": "emulator", "creator_id": "emulator",
                "ended_at": iso(self.ended), "ender_id": "emulator" if self.ended else None,
                "settings": self.settings, "active": self.ended is None,
                "status": self.status, "started_at": iso(self.started)}


class Sessions:
    """Thread-safe store of sessions and their limits."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, backend: str, settings: dict[str, Any], now: float) -> Session:
        session = Session(str(uuid.uuid4()), backend, settings, now)
        with self._lock:
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            return self._sessions.get(session_id)

    def all(self) -> list[Session]:
        with self._lock:
            return list(self._sessions.values())

    def end(self, session: Session, now: float) -> None:
        with self._lock:
            session.ended = session.ended or now

    def admit(self, session_id: str, backend: str, cost: float, now: float) -> Session:
        """Take one job of ``cost`` into the session, or raise SessionError saying why."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise SessionError(f"session {session_id!r} not found")
            limits = session.settings
            minutes = limits.get("duration_limit_min")
            if session.started and minutes and now - session.started > 60 * minutes:
                session.ended = session.ended or now  # expired
            if session.ended:
                raise SessionError(f"session {session_id} has ended")
            if backend != session.backend:
                raise SessionError(f"session {session_id} is on {session.backend}, not "
                                   f"{backend}")
            if limits.get("job_count_limit") is not None and \
                    session.jobs >= limits["job_count_limit"]:
                raise SessionError(f"session {session_id} reached its job_count_limit of "
                                   f"{limits['job_count_limit']}")
            cost_limit = (limits.get("cost_limit") or {}).get("value")
            if cost_limit is not None and session.cost + cost > cost_limit:
                raise SessionError(f"session {session_id}: this job ({cost:.2f}) would exceed "
                                   f"its cost_limit of {cost_limit} ({session.cost:.2f} spent)")
            session.started = session.started or now
            session.jobs += 1
            session.cost += cost
            return session
