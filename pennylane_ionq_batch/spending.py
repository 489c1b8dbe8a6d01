"""Spending on QPU time: what a plan will cost, the limits it must keep, IonQ sessions.

The device asks :class:`Spending` to price a plan before sending it (refusing what would break
``max_cost`` or ``budget``) and to charge what was sent; :func:`open_session` reserves the QPU
for a block of work. Prices come from :mod:`.pricing`; requests go through the client.
Never imports PennyLane.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .client import IonQClient, Journal, Plan
from .client.records import SessionRecord
from .config import JobOptions
from .exceptions import (
    APIError,
    ConfigurationError,
    CostLimitError,
    IonQBatchError,
    JobTimeoutError,
)
from .pricing import Estimate, Rates, estimate
from .runtime import background_loop

log = logging.getLogger("pennylane_ionq_batch")


class Spending:
    """A device's prices (a QPU's rate card, read once per debiasing setting), its limits,
    and what the jobs it created will be billed (``spent``, estimated)."""

    def __init__(self, backend: str, is_qpu: bool, max_cost: float | None,
                 budget: float | None) -> None:
        self.backend, self.is_qpu = backend, is_qpu
        self.max_cost, self.budget = max_cost, budget
        self.spent = 0.0
        self._rates: dict[bool, Rates] = {}  # debiasing may raise the job minimum
        self._warned = False

    def _rates_for(self, client: IonQClient, debiasing: bool,
                   deadline: float | None = None) -> Rates:
        if debiasing not in self._rates:
            try:
                raw = background_loop().run(
                    client.estimate(self.backend, error_mitigation=debiasing), deadline)
            except TimeoutError:
                raise JobTimeoutError("ionq.batch: the deadline passed while reading "
                                      f"{self.backend}'s prices (GET /jobs/estimate); no job "
                                      "was created") from None
            self._rates[debiasing] = Rates.parse(self.backend, raw)
        return self._rates[debiasing]

    def unit(self, client: IonQClient) -> str | None:
        """The unit of the backend's rate card (``usd``, ``credit``; read if need be), or None
        when it cannot be read."""
        try:
            return self._rates_for(client, False).unit
        except IonQBatchError as exc:
            log.warning("ionq.batch: cannot read %s's rate card (%s); the session's cost limit "
                        "is in your account's unit", self.backend, exc)
            return None

    def price(self, client: IonQClient, plan: Plan, deadline: float | None = None) -> Estimate:
        """The plan's cost from its exact gate counts (the simulator is free); rate cards are
        read by ``deadline``."""
        jobs = []
        for job in plan.jobs:
            rates = self._rates_for(client, job.debiasing, deadline) if self.is_qpu else None
            jobs.append([(c, job.shots or 1, rates) for c in job.circuits])
        return estimate(jobs)

    def check(self, client: IonQClient, plan: Plan, deadline: float | None = None
              ) -> Estimate | None:
        """The plan's cost, or a CostLimitError if it would break a limit.

        Without limits, a rate card that cannot be read (an error, or only
        ``compute_second`` prices) only costs the estimate: a warning, and None.
        """
        if self.max_cost is None and self.budget is None:
            try:
                return self.price(client, plan, deadline)
            except JobTimeoutError:
                raise
            except IonQBatchError as exc:
                if not self._warned:
                    self._warned = True
                    log.warning("ionq.batch: cannot price jobs on %s (%s); running without "
                                "estimates (max_cost and budget would need them)",
                                self.backend, exc)
                return None
        cost = self.price(client, plan, deadline)
        why = None
        if self.max_cost is not None and cost.total > self.max_cost:
            why = f"exceeds max_cost={self.max_cost}"
        elif self.budget is not None and self.spent + cost.total > self.budget:
            why = (f"exceeds what is left of budget={self.budget} "
                   f"({self.budget - self.spent:.2f} {cost.unit})")
        if why is not None:
            raise CostLimitError(f"ionq.batch: this execute() would cost {cost}, which {why}; "
                                 "nothing was sent", estimate=cost)
        return cost

    def charge(self, cost: Estimate, created: Sequence[int]) -> None:
        """Count the jobs of the plan ``cost`` priced that were created (by position) as
        spent."""
        self.spent += sum(cost.per_job[k] for k in created)


def session_settings(options: JobOptions, max_jobs: int | None, max_minutes: int | None,
                     max_cost: float | None, unit: str | None = None) -> dict[str, Any]:
    """``settings`` of ``POST /sessions`` for a device's backend, refused if it has no QPU.
    ``max_cost`` is in ``unit``, the rate card's (``usd`` or ``credit``); without one the
    unit is left out, as IonQ's document allows (its default is the account's)."""
    if not options.is_qpu:
        raise ConfigurationError(
            f"ionq.batch: sessions reserve a QPU; {options.backend} has none")
    settings: dict[str, Any] = {}
    if max_jobs is not None:
        settings["job_count_limit"] = max_jobs
    if max_minutes is not None:
        settings["duration_limit_min"] = max_minutes
    if max_cost is not None:
        settings["cost_limit"] = {"value": max_cost, **({"unit": unit} if unit else {})}
    return settings


@contextmanager
def open_session(client: IonQClient, journal: Journal | None, backend: str,
                 settings: dict[str, Any], resume: bool) -> Iterator[SessionRecord]:
    """An IonQ session on ``backend`` for the block, ended on the way out (errors and Ctrl-C
    too). A session the journal says a crashed run left open is resumed if IonQ still has it
    active (or ended, with ``resume=False``)."""
    loop = background_loop()
    record = _journaled_session(client, journal, backend, resume)
    if record is None:
        record = loop.run(client.create_session(backend, settings))
        if journal is not None:
            journal.session_opened(record.id, backend)
    try:
        yield record
    finally:
        try:
            loop.run(client.end_session(record.id))
        finally:
            if journal is not None:
                journal.session_closed(record.id)


def _journaled_session(client: IonQClient, journal: Journal | None, backend: str,
                       resume: bool) -> SessionRecord | None:
    found = journal.open_session(backend) if journal is not None else None
    if found is None or journal is None:
        return None
    loop = background_loop()
    try:
        record: SessionRecord | None = loop.run(client.get_session(found))
    except APIError as exc:
        if exc.status != 404:
            raise
        record = None
    if record is not None and record.active and resume:
        log.warning("ionq.batch: resuming IonQ session %s, left open by an earlier run", found)
        return record
    if record is not None and record.active:
        loop.run(client.end_session(found))
    journal.session_closed(found)
    return None
