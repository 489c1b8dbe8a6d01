"""IonQ v0.4 routes on aiohttp.web: thin handlers over the JobStore, plus auth, latency, faults.

By default the routes and records follow IonQ's API document (October 2026) and the live
service as IonQ's own tests record it: results as artifact descriptors read through
``/jobs/{id}/artifacts/{artifactId}`` (opaque ids), ``GET /jobs`` pages of at most 25 with
opaque cursors and child jobs listed, predicted times null, ``started_at`` and
``execution_duration_ms`` filled in once a job has run, simulator costs without an estimate,
qis circuits without ``qubits`` and empty circuits refused. ``contract="october"`` also
refuses what the document no longer lists in job creation (``settings.compilation``);
``contract="legacy"`` adds the older shapes: ``results.probabilities.url``, the
``/results/probabilities/aggregated`` route and filled-in predictions.

Non-IonQ routes live under ``/_emulator`` (request log), so tests and benchmarks in other
processes can read what the emulator saw.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import web

from ..backends import BACKENDS, NOISE_MODELS
from .billing import PriceTable, SessionError, Sessions
from .models import FaultModel, LatencyModel
from .store import AGGREGATIONS, CONTRACTS, JobStore
from .validate import MAX_WORK, PayloadError, gate_counts, parse_job, work

PREFIX = "/v0.4"
MAX_BODY = 10_000_000
PAGE_LIMIT = 25  # GET /jobs: pagination-limit, maximum 25
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class RequestLog:
    """What the emulator has seen: requests by method and route, jobs and circuits created."""

    requests: Counter[str] = field(default_factory=Counter)
    jobs_created: int = 0
    circuits_created: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    sequence: list[str] = field(default_factory=list)  # "METHOD route" in arrival order
    times: list[float] = field(default_factory=list)  # time.time() of each, same order

    def as_dict(self) -> dict[str, Any]:
        return {"requests": dict(self.requests), "total_requests": sum(self.requests.values()),
                "jobs_created": self.jobs_created, "circuits_created": self.circuits_created,
                "faults": dict(self.faults), "sequence": list(self.sequence),
                "times": list(self.times)}

    def count(self, method: str, route: str) -> int:
        return self.requests[f"{method} {route}"]


@dataclass
class EmulatorState:
    store: JobStore
    latency: LatencyModel
    faults: FaultModel
    api_key: str | None
    rng: np.random.Generator
    contract: str = "current"
    prices: PriceTable = field(default_factory=PriceTable)
    sessions: Sessions = field(default_factory=Sessions)
    log: RequestLog = field(default_factory=RequestLog)
    sessions_enabled: bool = True  # False: an account without sessions (IonQ answers 404)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    cursors: dict[str, tuple[str, int]] = field(default_factory=dict)  # next → (query, offset)

    def fault(self, kind: str) -> bool:
        """Draw fault ``kind``; count it in the log when it happens."""
        if self.faults.draw(kind, self.rng, self.log.faults[kind]):
            self.log.faults[kind] += 1
            return True
        return False


STATE = web.AppKey("state", EmulatorState)


def error(status: int, name: str, message: str, **extra: Any) -> web.Response:
    """IonQ's error body: ``{"error", "message", "statusCode"}``."""
    body = {"error": name, "message": message, "statusCode": status, **extra}
    return web.json_response(body, status=status)


def _route_name(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else request.path


def _drop(request: web.Request) -> web.Response:
    """Close the connection without an answer (the client sees a dropped connection)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=599)


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer carries an ``x-request-id``, as IonQ's do (its SDK reports them)."""
    response = await handler(request)
    response.headers["x-request-id"] = uuid.uuid4().hex
    return response


@web.middleware
async def emulate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log, charge latency, inject faults, check the key, then handle."""
    st = request.app[STATE]
    route = _route_name(request)
    st.log.requests[f"{request.method} {route}"] += 1
    st.log.sequence.append(f"{request.method} {route}")
    st.log.times.append(time.time())
    if st.latency.per_request:
        await asyncio.sleep(st.latency.per_request * st.latency.time_scale)
    if route.startswith("/_emulator"):  # the emulator's own routes: no faults, the key
        return _unauthorized(request, st) or await handler(request)
    for status in ("429", "500", "502", "503"):
        if st.fault(status):
            headers = {"Retry-After": str(st.faults.retry_after)} if status == "429" else {}
            resp = error(int(status), "Too Many Requests" if status == "429"
                         else "Internal Server Error", f"emulated fault {status}")
            resp.headers.update(headers)
            return resp
    if st.fault("drop"):
        return _drop(request)
    if st.fault("slow"):
        await asyncio.sleep(st.faults.slow_seconds)
    if not route.startswith(f"{PREFIX}/backends"):  # public, as IonQ's are
        refused = _unauthorized(request, st)
        if refused is not None:
            return refused
    return await handler(request)


def _unauthorized(request: web.Request, st: EmulatorState) -> web.Response | None:
    """IonQ's 401 unless the request carries ``apiKey <key>`` (the emulator's key, if set)."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme != "apiKey" or not key or (st.api_key is not None and key != st.api_key):
        return error(401, "Unauthorized Error", "Invalid key provided. Send the header "
                     "'Authorization: apiKey <key>'.")
    return None


async def create_job(request: web.Request) -> web.Response:
    st = request.app[STATE]
    if request.content_length is not None and request.content_length > MAX_BODY:
        return error(413, "Payload Too Large", f"request body exceeds {MAX_BODY} bytes")
    try:
        raw = await request.read()
    except ConnectionResetError:  # the client gave up while sending: no job, nobody to answer
        return error(400, "Bad Request", "the request body was not received")
    if len(raw) > MAX_BODY:
        return error(413, "Payload Too Large", f"request body exceeds {MAX_BODY} bytes")
    try:
        payload = json.loads(raw)
    except ValueError:
        return error(400, "Bad Request", "request body is not valid JSON")
    except RecursionError:
        return error(400, "Bad Request", "request body nests JSON deeper than the emulator "
                     f"reads ({sys.getrecursionlimit()} levels)")
    try:
        parsed = parse_job(payload)
        if st.contract == "october" and "compilation" in (parsed.settings or {}):
            raise PayloadError("'settings.compilation' is not a job creation field in IonQ's "
                               "October 2026 document", ["settings"])
        cost = work(parsed, st.store.noisy(parsed))
        if cost > MAX_WORK:
            raise PayloadError(f"simulating this job takes {cost:.3g} amplitude updates "
                               f"(gates × 2^qubits per circuit); the emulator does at most "
                               f"{MAX_WORK:.3g}", ["input"])
    except PayloadError as exc:
        return error(400, "Bad Request", str(exc), validation={"keys": exc.keys,
                                                                 "source": "body"})
    n1q, n2q = gate_counts(g for c in parsed.circuits for g in c.gates)
    queue_s, exec_s = st.latency.job_seconds(len(parsed.circuits), n1q, n2q)
    if parsed.session_id is not None:
        try:
            st.sessions.admit(parsed.session_id, parsed.backend, st.prices.job(parsed),
                              time.time())
        except SessionError as exc:
            return error(400, "Bad Request", str(exc), validation={"keys": ["session_id"],
                                                                    "source": "body"})
        queue_s = 0.0  # a session's jobs do not queue behind other users' jobs
    fail = None
    if st.fault("fail"):
        fail = {"code": "SimulationError", "message": "emulated fault: job failed"}
    job = st.store.create(parsed, queue_s, exec_s, fail)
    if st.fault("cancel"):
        job.forced_status = "canceled"
    if job.child_ids and st.fault("fail-child"):
        index = int(st.rng.integers(len(job.child_ids)))
        st.store.get(job.child_ids[index]).failure = {  # type: ignore[union-attr]
            "code": "SimulationError", "message": f"emulated fault: circuit {index} failed"}
    st.log.jobs_created += 1
    st.log.circuits_created += len(parsed.circuits)
    seed = int(st.rng.integers(2**31))
    task = asyncio.create_task(asyncio.to_thread(st.store.simulate, job, seed))
    st.background.add(task)
    task.add_done_callback(st.background.discard)
    if st.fault("drop-after-create"):
        return _drop(request)
    return web.json_response({"id": job.id, "status": "submitted", "session_id": None},
                             status=201)


def _job_or_404(request: web.Request) -> Any:
    st = request.app[STATE]
    job = st.store.get(request.match_info["job_id"])
    if job is None:
        return None, error(404, "Not Found Error", f"job {request.match_info['job_id']} "
                           "not found")
    return job, None


async def get_job(request: web.Request) -> web.Response:
    job, err = _job_or_404(request)
    if err:
        return err
    st = request.app[STATE]
    return web.json_response(st.store.record(job, time.time(), PREFIX, st.contract))


async def list_jobs(request: web.Request) -> web.Response:
    """Newest first, at most 25 a page, every job (children too) unless filtered; ``next`` is
    an opaque cursor. A job appears ``latency.listing_lag`` seconds after its creation."""
    st = request.app[STATE]
    q = request.query
    now = time.time()
    try:
        limit = int(q.get("limit", PAGE_LIMIT))
    except ValueError:
        return error(400, "Bad Request", "'limit' must be an integer", validation={
            "keys": ["limit"], "source": "params"})
    if not 1 <= limit <= PAGE_LIMIT:
        return error(400, "Bad Request", f"'limit' must be from 1 to {PAGE_LIMIT}",
                     validation={"keys": ["limit"], "source": "params"})
    query = "&".join(f"{k}={v}" for k, v in sorted(q.items()) if k not in ("limit", "next"))
    offset = 0
    if "next" in q:
        if q["next"] not in st.cursors or st.cursors[q["next"]][0] != query:
            return error(400, "Bad Request", "'next' is not a cursor of this listing",
                         validation={"keys": ["next"], "source": "params"})
        offset = st.cursors[q["next"]][1]
    parent = q.get("parent_job_id")
    session = request.match_info.get("session_id") or q.get("session_id")
    ids = set(q.getall("ids", []))
    status = q.get("status")
    targets = set(q["target"].split(",")) if "target" in q else None
    visible = now - st.latency.listing_lag * st.latency.time_scale
    jobs = [j for j in reversed(st.store.all()) if j.created <= visible
            and (parent is None or j.parent_id == parent)
            and (session is None or j.parsed.session_id == session)
            and (not ids or j.id in ids) and (targets is None or j.parsed.backend in targets)
            and (status is None or st.store.status(j, now) == status)]
    page = jobs[offset: offset + limit]
    nxt = None
    if offset + limit < len(jobs):
        nxt = str(uuid.uuid4())
        st.cursors[nxt] = (query, offset + limit)
    return web.json_response({"jobs": [st.store.record(j, now, PREFIX, st.contract)
                                       for j in page], "next": nxt})


async def cancel_job(request: web.Request) -> web.Response:
    job, err = _job_or_404(request)
    if err:
        return err
    request.app[STATE].store.cancel(job.id, time.time())
    return web.json_response({"id": job.id, "status": "canceled"})


async def _ids_body(request: web.Request) -> list[str] | web.Response:
    try:
        ids = (await request.json())["ids"]
        assert isinstance(ids, list) and all(isinstance(i, str) for i in ids)
    except (ValueError, KeyError, TypeError, AssertionError):
        return error(400, "Bad Request", "body must be {\"ids\": [job ids]}")
    return ids


async def bulk_cancel(request: web.Request) -> web.Response:
    ids = await _ids_body(request)
    if isinstance(ids, web.Response):
        return ids
    for i in ids:
        request.app[STATE].store.cancel(i, time.time())
    return web.json_response({"ids": ids, "status": "canceled"})


async def delete_job(request: web.Request) -> web.Response:
    job, err = _job_or_404(request)
    if err:
        return err
    request.app[STATE].store.delete(job.id)
    return web.json_response({"id": job.id, "status": "deleted"})


async def bulk_delete(request: web.Request) -> web.Response:
    ids = await _ids_body(request)
    if isinstance(ids, web.Response):
        return ids
    for i in ids:
        request.app[STATE].store.delete(i)
    return web.json_response({"ids": ids, "status": "deleted"})


def _completed_job(request: web.Request) -> tuple[Any, web.Response | None]:
    """The job named in the URL if it has completed with results, else IonQ's 404."""
    job, err = _job_or_404(request)
    if err:
        return None, err
    status = request.app[STATE].store.status(job, time.time())
    if status != "completed":
        return None, error(404, "Not Found Error", f"job {job.id} has no results: it is {status}")
    if job.parsed.dry_run:
        return None, error(404, "Not Found Error", f"job {job.id} is a dry run: no results")
    return job, None


async def probabilities(request: web.Request) -> web.Response:
    """A single-circuit job's (or one child's) probabilities; ``sharpen`` is accepted (the
    emulator does not debias, so sharpened and averaged results are the same)."""
    job, err = _completed_job(request)
    if err:
        return err
    st = request.app[STATE]
    if job.child_ids:
        if st.contract == "legacy":
            return web.json_response(st.store.results_payload(job))
        return error(400, "Bad Request", f"job {job.id} is a multi-circuit job: read its "
                     "results artifact, or each child's probabilities")
    return web.json_response(st.store.results_payload(job))


async def aggregated(request: web.Request) -> web.Response:
    """``/results/probabilities/aggregated``: legacy contract only (not in the document)."""
    job, err = _completed_job(request)
    if err:
        return err
    if not job.child_ids:
        return error(400, "Bad Request", f"job {job.id} is not a multi-circuit job")
    return web.json_response(request.app[STATE].store.results_payload(job))


async def artifact(request: web.Request) -> web.Response:
    """``/jobs/{id}/artifacts/{artifactId}``: the results the job's descriptor names."""
    job, err = _completed_job(request)
    if err:
        return err
    named = {job.artifact_id, *(f"{job.artifact_id}.{name}" for name in AGGREGATIONS)}
    if request.match_info["artifact"] not in named:
        return error(404, "Not Found Error", f"job {job.id} has no artifact "
                     f"{request.match_info['artifact']!r}")
    return web.json_response(request.app[STATE].store.results_payload(job))


async def job_cost(request: web.Request) -> web.Response:
    """``GET /jobs/{id}/cost``: the emulator's price table applied to the job."""
    job, err = _job_or_404(request)
    if err:
        return err
    st = request.app[STATE]
    price = st.prices.job(job.parsed) if job.parent_id is None else 0.0
    body: dict[str, Any] = {"dry_run": job.parsed.dry_run}
    if job.parsed.backend in st.prices.prices or st.contract == "legacy":
        # jobs never priced against a contract (the simulator's) carry no estimate
        body["estimated_cost"] = {"value": price, "unit": st.prices.unit}
    status = st.store.status(job, time.time())
    if status in ("completed", "failed", "canceled"):
        billed = price if status == "completed" and not job.parsed.dry_run else 0.0
        body["cost"] = {"value": billed, "unit": st.prices.unit}
    return web.json_response(body)


async def estimate(request: web.Request) -> web.Response:
    """``GET /jobs/estimate``: the rate card, and the price of one such circuit job."""
    st = request.app[STATE]
    q = request.query
    try:
        backend = q["backend"]
        qubits, shots = int(q.get("qubits", 25)), int(q.get("shots", 1000))
        n1q, n2q = int(q.get("1q_gates", 0)), int(q.get("2q_gates", 0))
    except (KeyError, ValueError):
        return error(400, "Bad Request", "'backend' is required; qubits, shots, 1q_gates and "
                     "2q_gates are integers", validation={"keys": ["backend"],
                                                          "source": "params"})
    if backend not in BACKENDS:
        return error(400, "Bad Request", f"unknown backend {backend!r}")
    mitigation = q.get("error_mitigation", "false").lower() == "true"
    queue_s, exec_s = st.latency.job_seconds(1, n1q, n2q)
    return web.json_response({
        "estimate_context": {"backend": backend, "type": q.get("type", "ionq.circuit.v1"),
                             "qubits": qubits, "shots": shots, "1q_gates": n1q, "2q_gates": n2q,
                             "error_mitigation": mitigation, "organization": None,
                             "project": None},
        "estimated_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "estimated_unit": st.prices.unit,
        "rate_card": st.prices.rate_card(backend, mitigation),
        "estimated_total_cost": st.prices.circuit(backend, shots, n1q, n2q, mitigation),
        "estimated_execution_time": round(exec_s * 1000),
        "current_predicted_queue_time": round(queue_s * 1000)})


async def create_session(request: web.Request) -> web.Response:
    st = request.app[STATE]
    if not st.sessions_enabled:
        return error(404, "Not Found Error", "Cannot POST /v0.4/sessions")
    try:
        body = await request.json()
    except ValueError:
        return error(400, "Bad Request", "request body is not valid JSON")
    backend = body.get("backend") if isinstance(body, dict) else None
    settings = body.get("settings") or {} if isinstance(body, dict) else {}
    allowed = {"job_count_limit", "duration_limit_min", "cost_limit"}
    if backend not in BACKENDS or not isinstance(settings, dict) or set(settings) - allowed:
        return error(400, "Bad Request", "body must be {backend, settings?: {job_count_limit, "
                     "duration_limit_min, cost_limit: {unit, value}}} with a known backend")
    if not BACKENDS[backend].is_qpu:
        return error(400, "Bad Request", f"sessions reserve a QPU; {backend} has none")
    session = st.sessions.create(backend, settings, time.time())
    return web.json_response(session.record(time.time()), status=201)


def _session_or_404(request: web.Request) -> Any:
    session = request.app[STATE].sessions.get(request.match_info["session_id"])
    if session is None:
        return None, error(404, "Not Found Error", "session "
                           f"{request.match_info['session_id']} not found")
    return session, None


async def get_session(request: web.Request) -> web.Response:
    session, err = _session_or_404(request)
    return err or web.json_response(session.record(time.time()))


async def end_session(request: web.Request) -> web.Response:
    session, err = _session_or_404(request)
    if err:
        return err
    request.app[STATE].sessions.end(session, time.time())
    return web.json_response(session.record(time.time()))


async def list_sessions(request: web.Request) -> web.Response:
    st = request.app[STATE]
    active = request.query.get("active")
    sessions = [s for s in st.sessions.all()
                if active is None or (s.ended is None) == (active.lower() == "true")]
    return web.json_response({"organization_id": "emulator",
                              "sessions": [s.record(time.time()) for s in sessions]})


async def session_jobs(request: web.Request) -> web.Response:
    _, err = _session_or_404(request)
    return err or await list_jobs(request)


def _backend_record(name: str, st: EmulatorState) -> dict[str, Any]:
    spec = BACKENDS[name]
    record: dict[str, Any] = {
        "backend": name, "status": "available", "qubits": spec.qubits,
        "average_queue_time": round(st.latency.queue_per_job * st.latency.time_scale * 1000),
        "last_updated": None, "degraded": False, "has_access": True,
        "supported_native_gates": list(spec.native_gates),
        "supported_error_mitigations": ["debiasing"] if spec.is_qpu else [],
        "emulated_qubits": min(spec.qubits, st.store.max_qubits),
    }
    if name == "simulator":
        record["noise_models"] = sorted(NOISE_MODELS)
    return record


async def backends(request: web.Request) -> web.Response:
    st = request.app[STATE]
    return web.json_response([_backend_record(b, st) for b in BACKENDS])


async def backend(request: web.Request) -> web.Response:
    name = request.match_info["backend"]
    if name not in BACKENDS:
        return error(404, "Not Found Error", f"backend {name!r} not found")
    return web.json_response(_backend_record(name, request.app[STATE]))


async def whoami(request: web.Request) -> web.Response:
    return web.json_response({"key_id": "emulator", "key_name": "emulator",
                              "project_id": "emulator"})


async def read_log(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].log.as_dict())


async def reset_log(request: web.Request) -> web.Response:
    request.app[STATE].log = RequestLog()
    return web.json_response({"status": "reset"})


def create_app(store: JobStore, *, latency: LatencyModel | None = None,
               faults: FaultModel | None = None, api_key: str | None = None,
               seed: int | None = None, contract: str = "current",
               prices: PriceTable | None = None, sessions: bool = True) -> web.Application:
    """Build the emulator application around a job store (``contract``: see the module)."""
    if contract not in CONTRACTS:
        raise ValueError(f"contract must be one of {CONTRACTS}, got {contract!r}")
    app = web.Application(middlewares=[request_ids, emulate],
                          client_max_size=MAX_BODY + 1_000_000)
    app[STATE] = EmulatorState(store=store, latency=latency or LatencyModel(),
                               faults=faults or FaultModel(), api_key=api_key,
                               rng=np.random.default_rng(seed), contract=contract,
                               prices=prices or PriceTable(), sessions_enabled=sessions)
    r = app.router
    r.add_post(f"{PREFIX}/jobs", create_job)
    r.add_get(f"{PREFIX}/jobs", list_jobs)
    r.add_delete(f"{PREFIX}/jobs", bulk_delete)
    r.add_put(f"{PREFIX}/jobs/status/cancel", bulk_cancel)
    r.add_get(f"{PREFIX}/jobs/estimate", estimate)  # before /jobs/{job_id}
    r.add_get(f"{PREFIX}/jobs/{{job_id}}", get_job)
    r.add_delete(f"{PREFIX}/jobs/{{job_id}}", delete_job)
    r.add_put(f"{PREFIX}/jobs/{{job_id}}/status/cancel", cancel_job)
    r.add_get(f"{PREFIX}/jobs/{{job_id}}/results/probabilities", probabilities)
    if contract == "legacy":
        r.add_get(f"{PREFIX}/jobs/{{job_id}}/results/probabilities/aggregated", aggregated)
    r.add_get(f"{PREFIX}/jobs/{{job_id}}/artifacts/{{artifact}}", artifact)
    r.add_get(f"{PREFIX}/jobs/{{job_id}}/cost", job_cost)
    r.add_post(f"{PREFIX}/sessions", create_session)
    r.add_get(f"{PREFIX}/sessions", list_sessions)
    r.add_get(f"{PREFIX}/sessions/{{session_id}}", get_session)
    r.add_post(f"{PREFIX}/sessions/{{session_id}}/end", end_session)
    r.add_get(f"{PREFIX}/sessions/{{session_id}}/jobs", session_jobs)
    r.add_get(f"{PREFIX}/backends", backends)
    r.add_get(f"{PREFIX}/backends/{{backend}}", backend)
    r.add_get(f"{PREFIX}/whoami", whoami)
    r.add_get("/_emulator/log", read_log)
    r.add_post("/_emulator/log/reset", reset_log)
    return app
