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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..exceptions import (
    AmbiguousSubmitError,
    APIError,
    IonQBatchError,
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
)
from ..progress import JobProgress, ProgressCallback
from ..stats import Timing
from .http import IonQClient, RequestStats
from .http import deadline as client_deadline
from .jobs import fetch_histograms, job_timing, locate, submit, wait_for_completion
from .journal import Journal
from .plan import JobRequest
from .records import Histogram

log = logging.getLogger("pennylane_ionq_batch.client")


@dataclass(frozen=True)
class RunPolicy:
    """How a batch runs: its deadline, what an interrupt does, where jobs are journaled."""

    timeout: float | None = None
    cancel_on_interrupt: bool = True
    journal: Journal | None = None
    read_cost: bool = False  # GET /jobs/{id}/cost once a job has delivered (QPUs bill)
    progress: ProgressCallback | None = None  # hears of every status poll


@dataclass
class JobOutcome:
    """What a finished batch returns: one histogram per circuit, plus what it cost.

    ``job_ids`` and ``timings`` follow the order of the jobs given, whatever order they
    finished in; ``job_ids`` holds only jobs that were created, ``created`` their positions.
    """

    histograms: list[Histogram]
    job_ids: list[str] = field(default_factory=list)
    stats: RequestStats = field(default_factory=RequestStats)
    timings: list[Timing] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    billed: list[float] = field(default_factory=list)  # with RunPolicy.read_cost
    sending: set[str] = field(default_factory=set)  # names of jobs whose POST is unanswered


async def _journal(journal: Journal | None, method: str, *args: str) -> None:
    """A journal write, off the event loop (SQLite may wait for another process's lock)."""
    if journal is not None:
        await asyncio.to_thread(getattr(journal, method), *args)


CANCEL_SECONDS = 1.0  # a cancel after the deadline gets this long, so the deadline holds


async def cancel_quietly(client: IonQClient, job_id: str, stats: RequestStats) -> None:
    """Best-effort remote cancel (used on timeout and interrupt), given ``CANCEL_SECONDS``;
    logs instead of raising."""
    try:
        async with asyncio.timeout(CANCEL_SECONDS):
            await client.cancel_job(job_id, stats)
        log.warning("ionq.batch: canceled IonQ job %s", job_id)
    except (IonQBatchError, TimeoutError) as exc:
        why = exc if isinstance(exc, IonQBatchError) else f"no answer within {CANCEL_SECONDS} s"
        log.warning("ionq.batch: could not cancel IonQ job %s (%s); it may still run: "
                    "ionq-batch jobs cancel %s", job_id, why, job_id)


async def _adopt(client: IonQClient, job: JobRequest, journal: Journal,
                 stats: RequestStats) -> tuple[JobRequest, str | None]:
    """A journaled, unfinished job with this job's fingerprint: (that job, its id)."""
    entry = await asyncio.to_thread(journal.open_entry, job.fingerprint)
    if entry is None:
        return job, None
    earlier = dataclasses.replace(job, name=entry.name)
    if entry.job_id is not None:
        if not await _exists(client, entry.job_id, stats):
            await _journal(journal, "finished", entry.name, "absent")  # deleted since: rerun
            return job, None
        log.warning("ionq.batch: adopting job %s from the journal (%s) instead of sending "
                    "the same circuits again", entry.job_id, journal.path)
        return earlier, entry.job_id
    # Sent, but the run ended before IonQ's answer was written down: look it up by name.
    sent_at = datetime.fromtimestamp(entry.updated, UTC)
    found, certain = await locate(client, earlier, sent_at, stats)
    if found is not None:
        await _journal(journal, "submitted", entry.name, found)
        log.warning("ionq.batch: adopting job %s (found by its name %s)", found, entry.name)
        return earlier, found
    if not certain:
        raise AmbiguousSubmitError(
            f"ionq.batch: the journal ({journal.path}) says job {entry.name!r} was being sent "
            "when an earlier run stopped, and IonQ's job list cannot rule out that it exists; "
            "not sending the same circuits again. Look for a job with this name (GET /jobs), "
            "or mark it done with journal.finished(name, 'absent').", job_name=entry.name)
    await _journal(journal, "finished", entry.name, "absent")
    return job, None


async def _exists(client: IonQClient, job_id: str, stats: RequestStats) -> bool:
    try:
        await client.get_job(job_id, stats)
    except APIError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _stopped(policy: RunPolicy, job: JobRequest, job_id: str, start: float, why: str) -> None:
    """Tell the progress reporter this client no longer waits for the job."""
    if policy.progress is not None:
        policy.progress(JobProgress(job_id, why, time.monotonic() - start,
                                    circuits=job.n_circuits))


async def run_job(client: IonQClient, job: JobRequest, outcome: JobOutcome, index: int,
                  policy: RunPolicy) -> list[Histogram]:
    """Submit job ``index`` of the batch (or adopt a journaled one); return its histograms."""
    start, stats, journal = time.monotonic(), outcome.stats, policy.journal
    job_id = None
    if journal is not None:
        job, job_id = await _adopt(client, job, journal, stats)
    if job_id is None:
        await _journal(journal, "sending", job.fingerprint, job.name)
        outcome.sending.add(job.name)
        try:
            job_id = await submit(client, job, stats)
        except APIError:  # a definite refusal (4xx): nothing was created
            outcome.sending.discard(job.name)
            await _journal(journal, "finished", job.name, "rejected")
            raise
        outcome.sending.discard(job.name)
        await _journal(journal, "submitted", job.name, job_id)
    outcome.job_ids[index] = job_id
    try:
        record = await wait_for_completion(client, job_id, stats, sent=start,
                                           kind=(job.backend, job.n_circuits, job.shots),
                                           progress=policy.progress, circuits=job.n_circuits)
        histograms = await fetch_histograms(client, record, stats, circuits=job.n_circuits,
                                             multi=job.multi, sharpen=job.sharpen,
                                             aggregation=job.aggregation,
                                             qubits=max((c.qubits for c in job.circuits),
                                                        default=None),
                                             measured_shots=job.shots)
    except (JobFailedError, JobCanceledError) as exc:
        await _journal(journal, "finished", job.name,
                       "failed" if isinstance(exc, JobFailedError) else "canceled")
        raise
    except (asyncio.CancelledError, TimeoutError):
        _stopped(policy, job, job_id, start,
                 "canceled" if policy.cancel_on_interrupt else "left running")
        if policy.cancel_on_interrupt:
            await asyncio.shield(cancel_quietly(client, job_id, stats))
            if journal is not None:
                await asyncio.shield(_journal(journal, "finished", job.name, "canceled"))
        else:
            log.warning("ionq.batch: job %s left running; run the same execute() again%s to "
                        "collect its results", job_id, f" (journal {journal.path})"
                        if journal is not None else ", or fetch them by id")
        raise
    except IonQBatchError:
        _stopped(policy, job, job_id, start, "stopped")  # no more waiting to show
        raise
    await _journal(journal, "finished", job.name, "delivered")
    outcome.timings[index] = job_timing(record, time.monotonic() - start)
    if policy.read_cost:
        try:
            outcome.billed.append((await client.get_cost(job_id, stats)).billed or 0.0)
        except IonQBatchError as exc:  # the results are in hand: a missing bill is not fatal
            log.warning("ionq.batch: could not read the cost of job %s: %s", job_id, exc)
    return histograms


async def run_jobs(client: IonQClient, jobs: Sequence[JobRequest],
                   policy: RunPolicy = RunPolicy(), outcome: JobOutcome | None = None,
                   deadline: float | None = None) -> JobOutcome:
    """Run jobs concurrently; histograms come back concatenated in job order.

    ``outcome`` (optional) is filled in place, so the caller sees which jobs were created
    even when the batch fails. Everything ends by ``deadline`` (``time.monotonic()``; by
    default ``policy.timeout`` from now).

    Raises:
        JobTimeoutError: the deadline passed; the jobs were canceled unless the policy keeps
            them. It names them, and any job whose ``POST`` got no answer.
    """
    if deadline is None and policy.timeout is not None:
        deadline = time.monotonic() + policy.timeout
    outcome = outcome if outcome is not None else JobOutcome(histograms=[])
    outcome.job_ids[:] = [""] * len(jobs)
    outcome.timings[:] = [Timing()] * len(jobs)
    tasks: list[asyncio.Task[list[Histogram]]] = []
    try:
        async with client_deadline(deadline):
            tasks = [asyncio.create_task(run_job(client, j, outcome, i, policy))
                     for i, j in enumerate(jobs)]
            results = await asyncio.gather(*tasks)
    except TimeoutError:
        raise _timed_out(policy, outcome) from None
    finally:
        for t in tasks:  # one job failed: do not leave the others running unobserved
            if not t.done():
                t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        outcome.created[:] = [k for k, i in enumerate(outcome.job_ids) if i]
        outcome.job_ids[:] = [i for i in outcome.job_ids if i]
    for hists in results:
        outcome.histograms.extend(hists)
    return outcome


def _timed_out(policy: RunPolicy, outcome: JobOutcome) -> JobTimeoutError:
    """What the deadline left behind, in words: the jobs' fate, and any POST unanswered."""
    sent = [i for i in outcome.job_ids if i]
    fate = "were canceled" if policy.cancel_on_interrupt else "are still running"
    what = (f"jobs {sent} did not finish and {fate}" if sent
            else "no job was created")
    unsure = ""
    if outcome.sending:
        names = ", ".join(sorted(outcome.sending))
        unsure = (f"; the job(s) {names} had been sent without an answer, so they may or may "
                  "not exist: look for them by name (ionq-batch jobs list) before sending the "
                  "same circuits again")
    limit = f" (timeout={policy.timeout:g} s)" if policy.timeout is not None else ""
    return JobTimeoutError(f"ionq.batch: the deadline{limit} passed: {what}{unsure}",
                           job_ids=sent)


__all__ = ["JobOutcome", "RunPolicy", "cancel_quietly", "run_job", "run_jobs"]
