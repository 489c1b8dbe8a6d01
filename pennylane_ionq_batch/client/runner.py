"""Running a batch of jobs: concurrently, journaled, canceled on timeout or interrupt.

The journal (optional) makes a re-run of the same batch adopt jobs a crashed or interrupted
run left behind. On a timeout or Ctrl-C the jobs this call is waiting for are canceled
remotely — unless ``cancel_on_interrupt=False``, which leaves them running (and journaled)
for a later run to collect.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..exceptions import (
    AmbiguousSubmitError,
    APIError,
    IonQBatchError,
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
)
from .http import IonQClient, RequestStats
from .jobs import (
    Histogram,
    JobOutcome,
    JobRequest,
    fetch_histograms,
    find_job,
    job_timing,
    submit,
    wait_for_completion,
)
from .journal import Journal

log = logging.getLogger("pennylane_ionq_batch.client")


@dataclass(frozen=True)
class RunPolicy:
    """How a batch runs: its deadline, what an interrupt does, where jobs are journaled."""

    timeout: float | None = None
    cancel_on_interrupt: bool = True
    journal: Journal | None = None


async def cancel_quietly(client: IonQClient, job_id: str, stats: RequestStats) -> None:
    """Best-effort remote cancel (used on timeout and interrupt); logs instead of raising."""
    try:
        await client.request("PUT", f"/jobs/{job_id}/status/cancel", stats=stats)
        log.warning("ionq.batch: canceled IonQ job %s", job_id)
    except IonQBatchError as exc:
        log.warning("ionq.batch: could not cancel IonQ job %s: %s", job_id, exc)


async def _adopt(client: IonQClient, job: JobRequest, journal: Journal,
                 stats: RequestStats) -> tuple[JobRequest, str | None]:
    """A journaled, unfinished job with this job's fingerprint: (that job, its id)."""
    entry = journal.open_entry(job.fingerprint)
    if entry is None:
        return job, None
    earlier = dataclasses.replace(job, name=entry.name)
    if entry.job_id is not None:
        if not await _exists(client, entry.job_id, stats):
            journal.finished(entry.name, "absent")  # deleted since: run the circuits anew
            return job, None
        log.warning("ionq.batch: adopting job %s from the journal (%s) instead of sending "
                    "the same circuits again", entry.job_id, journal.path)
        return earlier, entry.job_id
    # Sent, but the run ended before IonQ's answer was written down: look it up by name.
    sent_at = datetime.fromtimestamp(entry.updated, UTC)
    found, certain = await find_job(client, earlier, sent_at, stats)
    if found is not None:
        journal.submitted(entry.name, found)
        log.warning("ionq.batch: adopting job %s (found by its name %s)", found, entry.name)
        return earlier, found
    if not certain:
        raise AmbiguousSubmitError(
            f"ionq.batch: the journal ({journal.path}) says job {entry.name!r} was being sent "
            "when an earlier run stopped, and IonQ's job list cannot rule out that it exists; "
            "not sending the same circuits again. Look for a job with this name (GET /jobs), "
            "or mark it done with journal.finished(name, 'absent').", job_name=entry.name)
    journal.finished(entry.name, "absent")
    return job, None


async def _exists(client: IonQClient, job_id: str, stats: RequestStats) -> bool:
    try:
        await client.request("GET", f"/jobs/{job_id}", stats=stats)
    except APIError as exc:
        if exc.status == 404:
            return False
        raise
    return True


async def run_job(client: IonQClient, job: JobRequest, outcome: JobOutcome,
                  policy: RunPolicy) -> list[Histogram]:
    """Submit one job (or adopt a journaled one) and return its histograms."""
    start, stats, journal = time.monotonic(), outcome.stats, policy.journal
    job_id = None
    if journal is not None:
        job, job_id = await _adopt(client, job, journal, stats)
    if job_id is None:
        if journal is not None:
            journal.sending(job.fingerprint, job.name)
        try:
            job_id = await submit(client, job, stats)
        except APIError as exc:  # a definite refusal (4xx): nothing was created
            if journal is not None:
                journal.finished(job.name, "rejected")
            raise exc
        if journal is not None:
            journal.submitted(job.name, job_id)
    outcome.job_ids.append(job_id)
    try:
        record = await wait_for_completion(client, job_id, stats)
        histograms = await fetch_histograms(client, record, job, stats)
    except (JobFailedError, JobCanceledError) as exc:
        if journal is not None:
            journal.finished(job.name, "failed" if isinstance(exc, JobFailedError)
                             else "canceled")
        raise
    except (asyncio.CancelledError, TimeoutError):
        if policy.cancel_on_interrupt:
            await asyncio.shield(cancel_quietly(client, job_id, stats))
            if journal is not None:
                journal.finished(job.name, "canceled")
        else:
            log.warning("ionq.batch: job %s left running; run the same execute() again%s to "
                        "collect its results", job_id, f" (journal {journal.path})"
                        if journal is not None else ", or fetch them by id")
        raise
    if journal is not None:
        journal.finished(job.name, "delivered")
    outcome.timings.append(job_timing(record, time.monotonic() - start))
    return histograms


async def run_jobs(client: IonQClient, jobs: Sequence[JobRequest],
                   policy: RunPolicy = RunPolicy()) -> JobOutcome:
    """Run jobs concurrently; histograms come back concatenated in job order.

    Raises:
        JobTimeoutError: the deadline passed; the jobs were canceled unless the policy keeps
            them.
    """
    outcome = JobOutcome(histograms=[])
    tasks: list[asyncio.Task[list[Histogram]]] = []
    try:
        async with asyncio.timeout(policy.timeout):
            tasks = [asyncio.create_task(run_job(client, j, outcome, policy)) for j in jobs]
            results = await asyncio.gather(*tasks)
    except TimeoutError as exc:
        fate = "were canceled" if policy.cancel_on_interrupt else "are still running"
        raise JobTimeoutError(
            f"ionq.batch: jobs {outcome.job_ids} did not finish within {policy.timeout} s and "
            f"{fate}", job_id=",".join(outcome.job_ids)) from exc
    finally:
        for t in tasks:  # one job failed: do not leave the others running unobserved
            if not t.done():
                t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    for hists in results:
        outcome.histograms.extend(hists)
    return outcome


__all__ = ["RunPolicy", "cancel_quietly", "run_job", "run_jobs"]
