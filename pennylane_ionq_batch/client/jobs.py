"""Jobs: plan chunks under IonQ's limits, build bodies, submit, wait, fetch and map results.

A batch of circuits becomes as few ``POST /jobs`` as the per-job limits allow (5,000 circuits,
150,000 gates, 10 MB); the chunks are sent and awaited concurrently. Results are mapped to
circuits through the parent's ``child_job_ids``, never through dictionary order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..config import MAX_BODY_BYTES, MAX_CIRCUITS_PER_JOB, MAX_GATES_PER_JOB, JobOptions
from ..exceptions import (
    AmbiguousSubmitError,
    APIError,
    IonQBatchError,
    JobCanceledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
)
from ..payload import SerializedCircuit
from .http import IonQClient, MaybeSentError, RequestStats
from .retry import next_poll_delay

log = logging.getLogger("pennylane_ionq_batch.client")

Histogram = dict[str, float]
_BODY_OVERHEAD = 4096  # bytes reserved for everything in a body except the circuits


@dataclass(frozen=True)
class JobRequest:
    """One job to send: its complete body, name token and circuit count."""

    body: bytes
    name: str
    n_circuits: int
    multi: bool


@dataclass(frozen=True)
class JobTiming:
    """Where one job's time went: IonQ's queue and execution, and the client's round trip."""

    queue_s: float
    execution_s: float
    round_trip_s: float


def job_timing(record: dict[str, Any], round_trip_s: float) -> JobTiming:
    """Queue = started − submitted; execution = IonQ's ``execution_duration_ms``."""
    def stamp(key: str) -> datetime | None:
        value = record.get(key)
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    submitted, started = stamp("submitted_at"), stamp("started_at")
    queue = (started - submitted).total_seconds() if submitted and started else 0.0
    execution = float(record.get("execution_duration_ms") or 0) / 1000
    return JobTiming(max(0.0, queue), execution, round_trip_s)


@dataclass
class JobOutcome:
    """What a finished batch returns: one histogram per circuit, plus what it cost."""

    histograms: list[Histogram]
    job_ids: list[str] = field(default_factory=list)
    stats: RequestStats = field(default_factory=RequestStats)
    timings: list[JobTiming] = field(default_factory=list)


def plan_chunks(
    circuits: Sequence[SerializedCircuit], *, max_circuits: int = MAX_CIRCUITS_PER_JOB,
    max_gates: int = MAX_GATES_PER_JOB, max_bytes: int = MAX_BODY_BYTES,
) -> list[range]:
    """Split circuits, in order, into consecutive chunks that each fit one job."""
    chunks: list[range] = []
    start, gates, size = 0, 0, _BODY_OVERHEAD
    for i, c in enumerate(circuits):
        if c.gates > max_gates or len(c.body) + _BODY_OVERHEAD > max_bytes:
            raise IonQBatchError(
                f"ionq.batch: circuit {i} alone exceeds IonQ's per-job limits "
                f"({c.gates} gates, {len(c.body)} bytes; limits {max_gates} gates, {max_bytes} B)")
        if i > start and (i - start >= max_circuits or gates + c.gates > max_gates
                          or size + len(c.body) + 1 > max_bytes):
            chunks.append(range(start, i))
            start, gates, size = i, 0, _BODY_OVERHEAD
        gates += c.gates
        size += len(c.body) + 1
    if len(circuits) > start:
        chunks.append(range(start, len(circuits)))
    return chunks


def new_job_name(prefix: str) -> str:
    """A unique name token, so a job can be found again after a lost answer."""
    return f"{prefix}-{uuid.uuid4().hex}"


def build_job(
    options: JobOptions, circuits: Sequence[SerializedCircuit], *, shots: int | None,
) -> JobRequest:
    """Assemble the ``POST /jobs`` body without re-serialising the circuits."""
    name = new_job_name(options.job_name)
    multi = len(circuits) > 1
    head: dict[str, Any] = {
        "type": "ionq.multi-circuit.v1" if multi else "ionq.circuit.v1",
        "backend": options.backend,
        "name": name,
        "metadata": {**options.metadata, "client_token": name, "circuits": str(len(circuits))},
    }
    if shots is not None:  # IonQ rejects "shots": null; omit the key instead
        head["shots"] = shots
    if options.noise_model is not None:
        head["noise"] = {"model": options.noise_model}
        if options.noise_seed is not None:
            head["noise"]["seed"] = options.noise_seed
    settings = options.settings()
    if settings:
        head["settings"] = settings
    qubits = max(c.qubits for c in circuits)
    prefix = json.dumps(head, separators=(",", ":"))[:-1].encode()
    gateset = json.dumps(options.gateset).encode()
    if multi:
        inner = b'{"gateset":%s,"qubits":%d,"circuits":[%s]}' % (
            gateset, qubits, b",".join(c.body for c in circuits))
    else:  # a circuit object {"qubits":..,"circuit":[..]} is already input's shape
        inner = b'{"gateset":%s,%s' % (gateset, circuits[0].body.lstrip()[1:])
    body = prefix + b',"input":' + inner + b"}"
    return JobRequest(body=body, name=name, n_circuits=len(circuits), multi=multi)


async def submit(client: IonQClient, job: JobRequest, stats: RequestStats) -> str:
    """``POST /jobs``; never re-sent after an answer that might mean the job exists."""
    try:
        reply = await client.request("POST", "/jobs", body=job.body, stats=stats)
    except MaybeSentError as exc:
        raise AmbiguousSubmitError(
            f"ionq.batch: no answer to POST /jobs, so job {job.name!r} may or may not have been "
            f"created. It was not re-sent, to avoid paying twice; look for a job with this name "
            f"(GET /jobs) before submitting again. Cause: {exc}", job_name=job.name) from exc
    except APIError as exc:
        if exc.status >= 500:
            raise AmbiguousSubmitError(
                f"ionq.batch: POST /jobs answered {exc.status}, so job {job.name!r} may or may "
                f"not have been created. It was not re-sent; look for a job with this name "
                f"(GET /jobs) before submitting again. IonQ said: {exc.api_message}",
                job_name=job.name) from exc
        raise
    if not isinstance(reply, dict) or not isinstance(reply.get("id"), str):
        raise AmbiguousSubmitError(
            f"ionq.batch: POST /jobs gave a malformed answer for job {job.name!r}: {reply!r:.200}",
            job_name=job.name)
    log.info("ionq.batch: submitted job %s (%d circuits)", reply["id"], job.n_circuits)
    return reply["id"]


async def wait_for_completion(
    client: IonQClient, job_id: str, stats: RequestStats
) -> dict[str, Any]:
    """Poll ``GET /jobs/{id}`` until a terminal status; return the completed job record."""
    polls = 0
    last_status = None
    while True:
        record = await client.request("GET", f"/jobs/{job_id}", stats=stats)
        status = record.get("status") if isinstance(record, dict) else None
        if status != last_status:
            log.info("ionq.batch: job %s is %s (predicted wait %s ms)", job_id, status,
                     record.get("predicted_wait_time_ms") if isinstance(record, dict) else "?")
            last_status = status
        if status == "completed":
            return record
        if status == "failed":
            failure = record.get("failure") or {}
            raise JobFailedError(job_id, failure.get("code") or failure.get("error"),
                                 failure.get("message"))
        if status == "canceled":
            raise JobCanceledError(f"IonQ job {job_id} was canceled", job_id=job_id)
        if status not in ("submitted", "ready", "started", "running"):
            raise JobError(f"IonQ job {job_id} has unexpected status {status!r}", job_id=job_id)
        await asyncio.sleep(next_poll_delay(record, polls, poll_min=client.config.poll_min,
                                            poll_max=client.config.poll_max))
        polls += 1


def _results_path(record: dict[str, Any], multi: bool) -> str:
    legacy = ((record.get("results") or {}).get("probabilities") or {}).get("url")
    if isinstance(legacy, str) and legacy.startswith("/"):
        return legacy
    suffix = "/aggregated" if multi else ""
    return f"/jobs/{record['id']}/results/probabilities{suffix}"


async def fetch_histograms(
    client: IonQClient, record: dict[str, Any], job: JobRequest, stats: RequestStats
) -> list[Histogram]:
    """Probabilities of each circuit of a completed job, in submission order."""
    job_id = record["id"]
    data = await client.request("GET", _results_path(record, job.multi), stats=stats)
    if not job.multi:
        return [_check_histogram(data, job_id)]
    children = record.get("child_job_ids") or record.get("children") or []
    if len(children) != job.n_circuits or not isinstance(data, dict) or set(data) != set(children):
        raise JobError(
            f"IonQ job {job_id}: results do not match its {job.n_circuits} circuits "
            f"(child_job_ids: {len(children)}, result keys: "
            f"{len(data) if isinstance(data, dict) else type(data).__name__})", job_id=job_id)
    return [_check_histogram(data[child], job_id) for child in children]


def _check_histogram(data: Any, job_id: str) -> Histogram:
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and k.isdigit() and isinstance(v, (int, float)) for k, v in data.items()
    ):
        raise JobError(f"IonQ job {job_id}: malformed probabilities {data!r:.200}", job_id=job_id)
    return data


async def fetch_backend(client: IonQClient, name: str) -> dict[str, Any]:
    """``GET /backends/{name}``: the backend's record (``qubits``, ``supported_native_gates``)."""
    record = await client.request("GET", f"/backends/{name}")
    if not isinstance(record, dict):
        raise APIError(200, f"expected a backend record, got {type(record).__name__}",
                       method="GET", path=f"/backends/{name}")
    return record


async def cancel_quietly(client: IonQClient, job_id: str, stats: RequestStats) -> None:
    """Best-effort remote cancel (used on timeout and interrupt); logs instead of raising."""
    try:
        await client.request("PUT", f"/jobs/{job_id}/status/cancel", stats=stats)
        log.warning("ionq.batch: canceled IonQ job %s", job_id)
    except IonQBatchError as exc:
        log.warning("ionq.batch: could not cancel IonQ job %s: %s", job_id, exc)


async def run_job(
    client: IonQClient, job: JobRequest, stats: RequestStats, job_ids: list[str],
    timings: list[JobTiming] | None = None,
) -> list[Histogram]:
    """Submit one job and return its histograms; cancel it remotely if we are interrupted."""
    start = time.monotonic()
    job_id = await submit(client, job, stats)
    job_ids.append(job_id)
    try:
        record = await wait_for_completion(client, job_id, stats)
        histograms = await fetch_histograms(client, record, job, stats)
        if timings is not None:
            timings.append(job_timing(record, time.monotonic() - start))
        return histograms
    except (asyncio.CancelledError, TimeoutError):
        await asyncio.shield(cancel_quietly(client, job_id, stats))
        raise


async def run_jobs(
    client: IonQClient, jobs: Sequence[JobRequest], *, timeout: float | None = None
) -> JobOutcome:
    """Run jobs concurrently; histograms come back concatenated in job order.

    Raises:
        JobTimeoutError: ``timeout`` seconds passed; every job this call created is canceled.
    """
    outcome = JobOutcome(histograms=[])
    tasks: list[asyncio.Task[list[Histogram]]] = []
    try:
        async with asyncio.timeout(timeout):
            tasks = [asyncio.create_task(run_job(client, j, outcome.stats, outcome.job_ids,
                                                 outcome.timings)) for j in jobs]
            results = await asyncio.gather(*tasks)
    except TimeoutError as exc:
        raise JobTimeoutError(
            f"ionq.batch: jobs {outcome.job_ids} did not finish within {timeout} s and were "
            "canceled", job_id=",".join(outcome.job_ids)) from exc
    finally:
        for t in tasks:  # one job failed: do not leave the others running unobserved
            if not t.done():
                t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    for hists in results:
        outcome.histograms.extend(hists)
    return outcome
