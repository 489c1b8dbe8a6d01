"""Jobs: plan chunks under IonQ's limits, build bodies, submit, wait, fetch and map results.

A batch of circuits becomes as few ``POST /jobs`` as the per-job limits allow (5,000 circuits,
150,000 gates, 10 MB); the chunks are sent and awaited concurrently. Results are mapped to
circuits through the parent's ``child_job_ids``, never through dictionary order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import MAX_BODY_BYTES, MAX_CIRCUITS_PER_JOB, MAX_GATES_PER_JOB, JobOptions
from ..exceptions import (
    AmbiguousSubmitError,
    APIError,
    IonQBatchError,
    JobCanceledError,
    JobError,
    JobFailedError,
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
    backend: str = "simulator"
    fingerprint: str = ""  # a hash of everything that decides the results (not the name)


@dataclass(frozen=True)
class JobTiming:
    """Where one job's time went: IonQ's queue and execution, and the client's round trip."""

    queue_s: float
    execution_s: float
    round_trip_s: float


def job_timing(record: dict[str, Any], round_trip_s: float) -> JobTiming:
    """Queue = started − submitted; execution = IonQ's ``execution_duration_ms``."""
    submitted = _timestamp(record.get("submitted_at"))
    started = _timestamp(record.get("started_at"))
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
    same = {**head, "name": None, "metadata": {**head["metadata"], "client_token": None}}
    fingerprint = hashlib.sha256(json.dumps(same, sort_keys=True).encode() + inner).hexdigest()
    return JobRequest(body=body, name=name, n_circuits=len(circuits), multi=multi,
                      backend=options.backend, fingerprint=fingerprint)


LOOKUP_PAGES = 20  # pages of GET /jobs searched for a job after an ambiguous POST
CLOCK_SKEW_S = 600.0  # how far IonQ's clock may be from ours when comparing submitted_at


async def find_job(client: IonQClient, job: JobRequest, sent_at: datetime,
                   stats: RequestStats) -> tuple[str | None, bool]:
    """Look for ``job`` by its name token: (its id or None, whether that answer is certain).

    "Not there" is certain when the listing was read to its end, or when it reached jobs
    submitted well before our request while going strictly newest-first (the order IonQ
    lists in, which this checks rather than assumes).
    """
    params: dict[str, str] = {"target": job.backend, "limit": "100"}
    previous: datetime | None = None
    newest_first = True  # until a page shows otherwise; then only the list's end is proof
    for _ in range(LOOKUP_PAGES):
        page = await client.request("GET", "/jobs", params=params, stats=stats)
        records = page.get("jobs") if isinstance(page, dict) else None
        if not isinstance(records, list):
            return None, False
        records = [r for r in records if isinstance(r, dict)]
        for record in records:
            token = (record.get("metadata") or {}).get("client_token")
            if record.get("name") == job.name or token == job.name:
                return str(record["id"]), True
        for record in records:  # the whole page, then judge: one old job proves nothing
            submitted = _timestamp(record.get("submitted_at"))
            if submitted is None or (previous is not None and submitted > previous):
                newest_first = False
            previous = submitted or previous
        if (newest_first and previous is not None
                and (sent_at - previous).total_seconds() > CLOCK_SKEW_S):
            return None, True
        if not page.get("next"):
            return None, True
        params = {**params, "next": str(page["next"])}
    return None, False


def _timestamp(value: Any) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return stamp if stamp is None or stamp.tzinfo else stamp.replace(tzinfo=UTC)


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
            reply = await client.request("POST", "/jobs", body=job.body, stats=stats)
        except (MaybeSentError, APIError) as exc:
            if isinstance(exc, APIError) and exc.status < 500:
                raise
            what = "no answer" if isinstance(exc, MaybeSentError) else f"answer {exc.status}"
            try:
                found, certain = await find_job(client, job, sent_at, stats)
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
        if not isinstance(reply, dict) or not isinstance(reply.get("id"), str):
            raise AmbiguousSubmitError(
                f"ionq.batch: POST /jobs gave a malformed answer for job {job.name!r}: "
                f"{reply!r:.200}", job_name=job.name)
        log.info("ionq.batch: submitted job %s (%d circuits)", reply["id"], job.n_circuits)
        return reply["id"]
    raise AssertionError("unreachable")  # pragma: no cover


def _ambiguous(job: JobRequest, what: str, why: str) -> AmbiguousSubmitError:
    return AmbiguousSubmitError(
        f"ionq.batch: POST /jobs got {what}, so job {job.name!r} may or may not have been "
        f"created ({why}). It was not sent again, to avoid paying twice; look for a job with "
        "this name (GET /jobs) before submitting again.", job_name=job.name)


async def _about(job_id: str, request: Awaitable[Any]) -> Any:
    """Await a request about one job; an APIError it raises names that job."""
    try:
        return await request
    except APIError as exc:
        exc.job_id = exc.job_id or job_id
        raise


async def wait_for_completion(
    client: IonQClient, job_id: str, stats: RequestStats
) -> dict[str, Any]:
    """Poll ``GET /jobs/{id}`` until a terminal status; return the completed job record."""
    polls = 0
    last_status = None
    while True:
        record = await _about(job_id, client.request("GET", f"/jobs/{job_id}", stats=stats))
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
    data = await _about(job_id, client.request("GET", _results_path(record, job.multi),
                                               stats=stats))
    if not job.multi:
        return [_check_histogram(data, job_id)]
    children = record.get("child_job_ids") or record.get("children") or []
    if isinstance(data, dict) and len(children) == job.n_circuits:
        for index, child in enumerate(children):
            if child not in data:  # a circuit without results: say why, by its job
                await _raise_child_failure(client, job_id, index, child, stats)
    if len(children) != job.n_circuits or not isinstance(data, dict) or set(data) != set(children):
        raise JobError(
            f"IonQ job {job_id}: results do not match its {job.n_circuits} circuits "
            f"(child_job_ids: {len(children)}, result keys: "
            f"{len(data) if isinstance(data, dict) else type(data).__name__})", job_id=job_id)
    return [_check_histogram(data[child], job_id) for child in children]


async def _raise_child_failure(client: IonQClient, parent: str, index: int, child: str,
                               stats: RequestStats) -> None:
    record = await client.request("GET", f"/jobs/{child}", stats=stats)
    status = record.get("status") if isinstance(record, dict) else None
    if status == "failed":
        failure = record.get("failure") or {}
        raise JobFailedError(child, failure.get("code") or failure.get("error"),
                             f"circuit {index} of job {parent}: {failure.get('message')}")
    raise JobError(f"IonQ job {parent}: circuit {index} (job {child}, status {status!r}) has "
                   "no results", job_id=child)


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
