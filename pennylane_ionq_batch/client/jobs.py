"""One job's life on the wire: submit it safely, find it again, wait for it, read its results.

Results are read from whatever the completed job's record offers (IonQ's API document,
September 2026, and the recorded contract of the live service): the legacy
``results.probabilities.url`` when present, else the result descriptors through
``GET /jobs/{id}/artifacts/{artifactId}``, else each circuit's ``/results/probabilities``.
No route the record did not name is built by hand. Multi-circuit results are mapped to
circuits through the parent's ``child_job_ids``, never through dictionary order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..exceptions import (
    AmbiguousSubmitError,
    APIError,
    IonQBatchError,
    JobCanceledError,
    JobError,
    JobFailedError,
    MaybeSentError,
)
from ..progress import JobProgress, ProgressCallback
from ..stats import Timing
from .http import IonQClient, RequestStats, results_limit
from .plan import JobRequest
from .records import ACTIVE, AGGREGATE, PROBABILITIES, Histogram, JobRecord, parse_histogram
from .retry import first_poll_delay, next_poll_delay

log = logging.getLogger("pennylane_ionq_batch.client")

# How far IonQ's clock may be from ours when a lookup decides it has gone past the jobs
# submitted around our request (timestamps come from IonQ, ``sent_at`` from this machine).
CLOCK_SKEW = timedelta(seconds=120)
MAX_LOOKUP_PAGES = 2_000  # a safety net only: 50,000 jobs, children included
PROGRESS_TICK = 2.0  # seconds between progress reports while a job waits between polls


def job_timing(record: JobRecord, round_trip_s: float) -> Timing:
    """Queue = started − submitted; execution = IonQ's ``execution_duration_ms``.

    The live service leaves ``started_at`` null; the queue is then the round trip less the
    execution (it includes the requests' own latency).
    """
    execution = (record.execution_ms or 0.0) / 1000
    if record.submitted_at and record.started_at:
        queue = (record.started_at - record.submitted_at).total_seconds()
    else:
        queue = round_trip_s - execution
    return Timing(max(0.0, queue), execution, round_trip_s)


async def find_job(client: IonQClient, job: JobRequest, sent_at: datetime,
                   stats: RequestStats) -> tuple[str | None, bool]:
    """Look for ``job`` by its name token in one reading of ``GET /jobs``: (its id or None,
    whether that answer is certain).

    Pages hold at most 25 jobs and may include the child jobs of multi-circuit jobs (skipped).
    "Not there" is certain when the listing was read to its end, or when it reached jobs
    submitted well before our request while going strictly newest-first (the order IonQ lists
    in, which this checks rather than assumes).
    """
    cursor: str | None = None
    previous: datetime | None = None
    newest_first = True  # until a page shows otherwise; then only the list's end is proof
    seen: set[str] = set()
    for _ in range(MAX_LOOKUP_PAGES):
        page = await client.list_jobs(stats, target=job.backend, cursor=cursor)
        for record in page.jobs:
            if record.parent_job_id is None and job.name in (record.name, record.token):
                return record.id, True
        for record in page.jobs:  # the whole page, then judge: one old job proves nothing
            submitted = record.submitted_at
            if submitted is None or (previous is not None and submitted > previous):
                newest_first = False
            previous = submitted or previous
        if newest_first and previous is not None and sent_at - previous > CLOCK_SKEW:
            return None, True
        if page.next is None:
            return None, True
        if page.next in seen:  # a cursor that goes round in circles proves nothing
            return None, False
        seen.add(page.next)
        cursor = page.next
    return None, False


async def locate(client: IonQClient, job: JobRequest, sent_at: datetime,
                 stats: RequestStats) -> tuple[str | None, bool]:
    """:func:`find_job`, and when the job seems absent, once more after ``lookup_delay``.

    A listing may lag behind creation; only two readings that both miss the job count as
    proof that it does not exist (a second paid job is worse than a short wait).
    """
    found, certain = await find_job(client, job, sent_at, stats)
    if found is not None or not certain:
        return found, certain
    await asyncio.sleep(client.config.lookup_delay)
    return await find_job(client, job, sent_at, stats)


async def submit(client: IonQClient, job: JobRequest, stats: RequestStats) -> str:
    """``POST /jobs``, safely: after an answer that might mean the job exists (no answer, or
    5xx), look it up by its name token and adopt it; send again only when the lookup proves
    it was not created (up to ``max_retries`` times, with backoff). Anything less certain
    raises :class:`AmbiguousSubmitError`.
    """
    attempts = client.config.max_retries + 1
    for attempt in range(1, attempts + 1):
        sent_at = datetime.now(UTC)
        try:
            job_id = await client.create_job(job.body, stats)
        except (MaybeSentError, APIError) as exc:
            if isinstance(exc, APIError) and exc.status < 500:
                raise
            what = "no answer" if isinstance(exc, MaybeSentError) else f"answer {exc.status}"
            try:
                found, certain = await locate(client, job, sent_at, stats)
            except IonQBatchError as lookup_error:
                raise _ambiguous(job, what, f"the lookup failed too: {lookup_error}") from exc
            if found is not None:
                log.warning("ionq.batch: POST /jobs got %s, but job %s exists (id %s): "
                            "adopted, not sent again", what, job.name, found)
                return found
            if not certain or attempt == attempts:
                raise _ambiguous(job, what, "a lookup could not rule out that it exists"
                                 if not certain else f"{attempt} attempts failed") from exc
            log.warning("ionq.batch: POST /jobs got %s and job %s does not exist; sending "
                        "it again (attempt %d)", what, job.name, attempt + 1)
            stats.retries += 1
            await asyncio.sleep(client.retry_delay(
                attempt, exc.retry_after if isinstance(exc, APIError) else None))
            continue
        log.info("ionq.batch: submitted job %s (%d circuits)", job_id, job.n_circuits)
        return job_id
    raise AssertionError("unreachable")  # pragma: no cover


def _ambiguous(job: JobRequest, what: str, why: str) -> AmbiguousSubmitError:
    return AmbiguousSubmitError(
        f"ionq.batch: POST /jobs got {what}, so job {job.name!r} may or may not have been "
        f"created ({why}). It was not sent again, to avoid paying twice; look for a job with "
        "this name (GET /jobs) before submitting again.", job_name=job.name)


def _raise_if_ended(record: JobRecord) -> None:
    if record.status == "failed":
        raise JobFailedError(record.id, record.failure_code, record.failure_message)
    if record.status == "canceled":
        raise JobCanceledError(f"IonQ job {record.id} was canceled", job_id=record.id)
    if record.status != "completed" and record.status not in ACTIVE:
        raise JobError(f"IonQ job {record.id} has unexpected status {record.status!r}",
                       job_id=record.id)


async def wait_for_completion(client: IonQClient, job_id: str, stats: RequestStats, *,
                              sent: float | None = None, kind: Hashable | None = None,
                              progress: ProgressCallback | None = None, circuits: int = 1
                              ) -> JobRecord:
    """Poll ``GET /jobs/{id}`` until a terminal status; return the completed job's record.

    ``sent`` is the ``time.monotonic()`` at which the job was sent: polls are spaced by how
    long the job has been waiting (see :func:`~.retry.next_poll_delay`). Jobs of the same
    ``kind`` are expected to take as long as the last one did (:class:`~.retry.Completions`).
    ``progress`` hears of every poll (:mod:`..progress`).
    """
    start = time.monotonic() if sent is None else sent
    expected = client.completions.expected(kind) if kind is not None else ()
    last_status, active = None, None
    await asyncio.sleep(first_poll_delay(time.monotonic() - start, expected,
                                         client.config.poll_min))
    while True:
        polled = time.monotonic() - start
        record = await client.get_job(job_id, stats)
        if record.status != last_status:
            wait = record.predicted_wait_ms
            log.info("ionq.batch: job %s is %s%s", job_id, record.status,
                     f" (predicted wait {wait / 1000:.1f} s)" if wait is not None else "")
            last_status = record.status
        wait = None if record.predicted_wait_ms is None else record.predicted_wait_ms / 1000
        if progress is not None:
            progress(JobProgress(job_id, record.status, polled, wait, circuits))
        _raise_if_ended(record)
        if record.status == "completed":
            if kind is not None:
                client.completions.remember(kind, active, polled)  # both: when sent
            return record
        active = polled
        delay = next_poll_delay(record, time.monotonic() - start,
                                poll_min=client.config.poll_min,
                                poll_max=client.config.poll_max, expected=expected)
        if progress is None:
            await asyncio.sleep(delay)
            continue
        until = time.monotonic() + delay
        while (left := until - time.monotonic()) > 0:  # the elapsed time ticks between polls
            await asyncio.sleep(min(left, PROGRESS_TICK))
            elapsed = time.monotonic() - start
            progress(JobProgress(job_id, record.status, elapsed,
                                 None if wait is None else max(0.0, wait - (elapsed - polled)),
                                 circuits))


async def fetch_histograms(client: IonQClient, record: JobRecord, stats: RequestStats, *,
                           circuits: int, multi: bool, sharpen: bool = False,
                           aggregation: str | None = None, qubits: int | None = None,
                           measured_shots: int | None = None) -> list[Histogram]:
    """Probabilities of each of the ``circuits`` circuits of a completed job (a multi-circuit
    job if ``multi``), in submission order; ``sharpen`` reads debiased results sharpened,
    ``aggregation`` as that aggregation of the debiasing variants (the artifact each circuit's
    record names). ``qubits`` (of the widest circuit) and ``measured_shots`` (of a job that
    measures, not the ideal simulator's) bound what an answer may weigh, when known
    (:func:`~.http.results_limit`)."""
    one = results_limit(1, qubits, measured_shots)
    if record.results is None:
        why = ("it was a dry run (IonQ prices and compiles, but does not run, a dry_run job)"
               if record.dry_run else "its record names no results")
        raise JobError(f"IonQ job {record.id} completed without results: {why}",
                       job_id=record.id)
    children = record.child_job_ids
    if multi and len(children) != circuits:
        raise JobError(f"IonQ job {record.id}: {len(children)} child_job_ids for "
                       f"{circuits} circuits", job_id=record.id)
    if aggregation is not None:
        records = [record] if not multi else await asyncio.gather(
            *(client.get_job(child, stats) for child in children))
        return list(await asyncio.gather(*(_aggregated(client, r, aggregation, stats, one)
                                           for r in records)))
    if not multi:
        return [parse_histogram(await _single(client, record, sharpen, stats, one), record.id)]
    data = await _aggregate(client, record, sharpen, stats,
                            results_limit(circuits, qubits, measured_shots))
    if data is None:  # the record offers no aggregate: each circuit's own results
        return list(await asyncio.gather(*(
            _child(client, record.id, i, child, sharpen, stats, one)
            for i, child in enumerate(children))))
    if not isinstance(data, dict):
        raise JobError(f"IonQ job {record.id}: malformed aggregate {data!r:.200}",
                       job_id=record.id)
    for index, child in enumerate(children):
        if child not in data:  # a circuit without results: say why, by its job
            await _raise_child_failure(client, record.id, index, child, stats)
    if len(data) != len(children):
        raise JobError(f"IonQ job {record.id}: results for {len(data)} circuits, "
                       f"{len(children)} were sent", job_id=record.id)
    return [parse_histogram(data[child], child) for child in children]


def sharpen_params(sharpen: bool) -> dict[str, str] | None:
    return {"sharpen": "true"} if sharpen else None


async def _single(client: IonQClient, record: JobRecord, sharpen: bool,
                  stats: RequestStats, limit: int) -> Any:
    results = record.results
    assert results is not None
    if results.legacy_url is not None:
        return await client.get_link(record.id, results.legacy_url, stats,
                                     params=sharpen_params(sharpen), max_bytes=limit)
    if PROBABILITIES in results.artifacts and not sharpen:
        return await client.get_artifact(record.id, results.artifacts[PROBABILITIES], stats,
                                         max_bytes=limit)
    return await client.get_probabilities(record.id, stats, sharpen=sharpen, max_bytes=limit)


async def _aggregate(client: IonQClient, record: JobRecord, sharpen: bool,
                     stats: RequestStats, limit: int) -> Any | None:
    """The aggregate ``{child id: probabilities}`` the record names, else None.

    Sharpened results exist only per circuit (``/results/probabilities?sharpen=true``).
    """
    results = record.results
    assert results is not None
    if sharpen:
        return None
    if results.legacy_url is not None:
        data = await client.get_link(record.id, results.legacy_url, stats, max_bytes=limit)
        if isinstance(data, dict) and data and set(data) <= set(record.child_job_ids):
            return data
        # not an aggregate keyed by child jobs (what the legacy link gave older clients):
        # read what IonQ's document names instead
        log.info("ionq.batch: job %s: results.probabilities.url gave no aggregate; reading "
                 "the result descriptors", record.id)
    if AGGREGATE in results.artifacts:
        return await client.get_artifact(record.id, results.artifacts[AGGREGATE], stats,
                                         max_bytes=limit)
    return None


async def _aggregated(client: IonQClient, record: JobRecord, aggregation: str,
                      stats: RequestStats, limit: int) -> Histogram:
    """One circuit's results as the aggregation artifact its record names."""
    artifact = record.aggregations.get(aggregation)
    if artifact is None:
        offered = ", ".join(record.aggregations) or "none"
        raise JobError(f"IonQ job {record.id} offers no {aggregation!r} aggregation of its "
                       f"debiased results (offered: {offered})", job_id=record.id)
    return parse_histogram(await client.get_artifact(record.id, artifact, stats,
                                                     max_bytes=limit), record.id)


async def _child(client: IonQClient, parent: str, index: int, child: str, sharpen: bool,
                 stats: RequestStats, limit: int) -> Histogram:
    try:
        return await client.get_probabilities(child, stats, sharpen=sharpen, max_bytes=limit)
    except APIError as exc:
        if exc.status != 404:
            raise
        await _raise_child_failure(client, parent, index, child, stats)
        raise  # pragma: no cover - _raise_child_failure always raises


async def _raise_child_failure(client: IonQClient, parent: str, index: int, child: str,
                               stats: RequestStats) -> None:
    record = await client.get_job(child, stats)
    if record.status == "failed":
        raise JobFailedError(child, record.failure_code,
                             f"circuit {index} of job {parent}: {record.failure_message}")
    raise JobError(f"IonQ job {parent}: circuit {index} (job {child}, status "
                   f"{record.status!r}) has no results", job_id=child)

