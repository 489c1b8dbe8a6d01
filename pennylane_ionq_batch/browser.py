"""A job browser: your IonQ jobs, their circuits, status, timings, cost and results.

The same as ``ionq-batch jobs list | show ID | results ID | cost ID | cancel ID``. Reads IonQ's
API (``GET /jobs``, ``GET /jobs/{id}``, results, ``GET /jobs/{id}/cost``) and, when given, the
job journal (which jobs this machine sent, and what became of them). Never imports PennyLane.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .client import IonQClient, JobRecord, Journal, RequestStats
from .client.jobs import fetch_histograms, job_timing
from .client.records import TERMINAL, JobCost
from .exceptions import ConfigurationError, JobError
from .runtime import background_loop

MAX_PAGES = 40  # of 25 jobs each


@dataclass(frozen=True)
class JobSummary:
    """One line of ``jobs list``."""

    id: str
    name: str | None
    backend: str
    status: str
    circuits: int
    shots: int | None
    submitted_at: str
    journal: str | None  # this machine's journal state for it, if any


class Browser:
    """Jobs on IonQ (and in a local journal), for people and scripts.

    ``Browser(client)`` with an :class:`~pennylane_ionq_batch.client.IonQClient`; every method
    runs on the package's background event loop, so it can be called from plain code.
    """

    def __init__(self, client: IonQClient, journal: Journal | None = None) -> None:
        self.client, self.journal = client, journal

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session (and the journal, if one was given)."""
        background_loop().run_cleanup(self.client.close())
        if self.journal is not None:
            self.journal.close()

    def _run(self, coro: Any) -> Any:
        return background_loop().run(coro)

    def jobs(self, limit: int = 20, backend: str | None = None) -> list[JobSummary]:
        """The newest jobs (not their circuits' child jobs), newest first."""
        states = {e.job_id: e.state for e in self.journal.entries()} if self.journal else {}
        out: list[JobSummary] = []
        cursor = None
        for _ in range(MAX_PAGES):  # child jobs are listed too: skip them, within reason
            if len(out) >= limit:
                break
            page = self._run(self.client.list_jobs(target=backend, cursor=cursor))
            out += [_summary(r, states.get(r.id)) for r in page.jobs if r.parent_job_id is None]
            if page.next is None:
                break
            cursor = page.next
        return out[:limit]

    def show(self, job_id: str) -> dict[str, Any]:
        """What is known of a job: IonQ's record, its timings and, once it ended, its cost."""
        record: JobRecord = self._run(self.client.get_job(job_id))
        timing = job_timing(record, 0.0)
        info: dict[str, Any] = {
            "id": record.id, "name": record.name, "backend": record.backend,
            "status": record.status, "circuits": max(1, len(record.child_job_ids)),
            "shots": record.shots, "submitted": record.submitted_at,
            "started": record.started_at, "execution seconds": timing.execution_s,
            "failure": f"{record.failure_code}: {record.failure_message}"
            if record.failure_code else None}
        if record.status in ("completed", "failed", "canceled"):
            cost = self.cost(job_id)
            info["cost"] = (f"{cost.billed:.2f} {cost.unit}" if cost.billed is not None
                            else f"estimated {cost.estimated:.2f} {cost.unit}"
                            if cost.estimated is not None else None)
        if self.journal is not None:
            info["journal"] = next((e.state for e in self.journal.entries()
                                    if e.job_id == job_id), None)
        return info

    def results(self, job_id: str, *, sharpen: bool = False) -> list[dict[str, float]]:
        """A completed job's probabilities, one dictionary per circuit (IonQ's keys: decimal
        basis states, qubit 0 the least significant bit). ``sharpen`` reads a debiased job's
        results sharpened (plurality voting across its variants)."""
        record: JobRecord = self._run(self.client.get_job(job_id))
        if record.status != "completed":
            raise JobError(f"job {job_id} {_no_results(record)}", job_id=job_id)
        if sharpen and not record.debiased:
            raise ConfigurationError(f"job {job_id} was not debiased, so it has no sharpened "
                                     "results (sharpening votes across debiasing variants)")
        children = record.child_job_ids
        return list(self._run(fetch_histograms(self.client, record, RequestStats(),
                                               circuits=max(1, len(children)),
                                               multi=bool(children), sharpen=sharpen)))

    def cost(self, job_id: str) -> JobCost:
        """``GET /jobs/{id}/cost``: the estimate, and the bill once the job has ended."""
        cost: JobCost = self._run(self.client.get_cost(job_id))
        return cost

    def cancel(self, job_id: str) -> str:
        """Cancel a job that has not ended; return its status before. A job that has ended
        cannot be canceled: a :class:`~.exceptions.JobError` says how it ended."""
        record: JobRecord = self._run(self.client.get_job(job_id))
        if record.status in TERMINAL:
            raise JobError(f"job {job_id} has already {_ended(record.status)}: nothing to "
                           "cancel", job_id=job_id)
        self._run(self.client.cancel_job(job_id))
        after: JobRecord = self._run(self.client.get_job(job_id))
        if after.status != "canceled":
            raise JobError(f"job {job_id} was {record.status}; IonQ did not cancel it (it is "
                           f"{after.status} now)", job_id=job_id)
        return record.status


def _ended(status: str) -> str:
    return {"completed": "completed", "failed": "failed", "canceled": "been canceled"}[status]


def _no_results(record: JobRecord) -> str:
    """Why a job has no results to read, in words."""
    if record.status == "canceled":
        return "was canceled: it has no results"
    if record.status == "failed":
        why = f" ({record.failure_code}: {record.failure_message})" if record.failure_code \
            else ""
        return f"failed{why}: it has no results"
    return f"is {record.status}: its results come when it completes"


def _summary(record: JobRecord, journal_state: str | None) -> JobSummary:
    return JobSummary(record.id, record.name, record.backend, record.status,
                      max(1, len(record.child_job_ids)), record.shots,
                      record.submitted_at.isoformat(timespec="seconds")
                      if record.submitted_at else "", journal_state)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """Rows as aligned text columns."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)

