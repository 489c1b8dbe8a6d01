"""The one place HTTP happens: a pooled aiohttp session, ``IonQClient.request``, and one typed
method per IonQ endpoint over it.

aiohttp exceptions are translated into this package's error tree here and nowhere else.
Endpoints and fields follow IonQ's API document (v0.4, September 2026); docs/ionq-api.md lists
each one this client uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import json
import logging
import netrc
import os
import platform
import random
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import aiohttp
import orjson

from .._version import __version__
from ..config import ClientConfig, is_loopback, redact
from ..exceptions import (
    APIError,
    ConfigurationError,
    IonQBatchError,
    MaybeSentError,
    ResponseError,
    RetriableAPIError,
    TransportError,
)
from .records import (
    BackendRecord,
    Histogram,
    JobCost,
    JobPage,
    JobRecord,
    SessionRecord,
    parse_histogram,
)
from .retry import Completions, backoff_delay, parse_retry_after, should_retry

log = logging.getLogger("pennylane_ionq_batch.client")
USER_AGENT = (f"pennylane-ionq-batch/{__version__} python/{platform.python_version()} "
              f"aiohttp/{aiohttp.__version__}")
PAGE_SIZE = 25  # GET /jobs: IonQ's document allows at most 25 per page
# The most a JSON document of IonQ's API can legitimately be (a record of a 5,000-circuit job
# lists 5,000 child ids: about 200 kB); results say their own limit (results_limit).
MAX_DOCUMENT_BYTES = 8 << 20
ERROR_BODY_BYTES = 64 << 10  # of an error answer, only its message is read

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ionq_batch_deadline", default=None)


@contextlib.asynccontextmanager
async def deadline(at: float | None) -> AsyncIterator[None]:
    """Everything inside ends by ``at`` (``time.monotonic()``; None: no deadline): it is
    canceled then (TimeoutError), and no retry waits past it."""
    token = _DEADLINE.set(at)
    try:
        async with asyncio.timeout_at(at):
            yield
    finally:
        _DEADLINE.reset(token)


def results_limit(circuits: int, qubits: int | None, shots: int | None) -> int:
    """The most a job's results can weigh: each circuit's distribution has at most 2^qubits
    entries (and at most ``shots`` when measured), each a key and a number; ``qubits`` None:
    not known (a job looked up by id), at most 2^24 entries, 1 GiB."""
    entries = 2 ** min(qubits, 40) if qubits is not None else 1 << 24
    if shots is not None:
        entries = min(entries, shots)
    return max(MAX_DOCUMENT_BYTES, 4096 + circuits * (256 + 64 * entries))


def segment(value: str, what: str) -> str:
    """An id as one opaque path segment (quoted), refused (ConfigurationError, before any
    request) if it could mean another path: empty, ``.`` or ``..``, with a slash or a control
    character."""
    if not isinstance(value, str) or value in ("", ".", "..") or not value.isprintable() \
            or "/" in value or "\\" in value:
        raise ConfigurationError(f"ionq.batch: {value!r} is not a {what}")
    return quote(value, safe="")


def split_credentials(url: str | None) -> tuple[str | None, dict[str, str]]:
    """A proxy URL without its user and password, and those as a ``Proxy-Authorization``
    header: sent on the proxy's ``CONNECT``, never part of a URL an error could show."""
    if url is None:
        return None, {}
    parts = urlsplit(url)
    if not parts.username:
        return url, {}
    host = parts.netloc.rpartition("@")[2]
    auth = aiohttp.encode_basic_auth(unquote(parts.username), unquote(parts.password or ""))
    return parts._replace(netloc=host).geturl(), {"Proxy-Authorization": auth}


@dataclass
class RequestStats:
    """Counts of what one batch cost on the wire (read by the device for ``qml.Tracker``)."""

    requests: int = 0
    retries: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def count(self, method: str) -> None:
        self.requests += 1
        self.by_method[method] = self.by_method.get(method, 0) + 1


def environment_proxy(url: str) -> str | None:
    """The proxy the environment gives for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``), with the
    proxy's credentials from ``~/.netrc`` (or ``$NETRC``) when its URL carries none.

    Resolved here rather than by aiohttp's ``trust_env``, which would also apply a netrc entry
    as credentials for IonQ itself and then refuse our ``Authorization: apiKey`` header.
    """
    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if not parts.hostname or urllib.request.proxy_bypass(parts.hostname):  # NO_PROXY
        return None
    proxy = proxies.get(parts.scheme)
    if not proxy:
        return None
    target = urlsplit(proxy)
    if target.username or not target.hostname:
        return proxy
    try:
        entry = netrc.netrc(os.environ.get("NETRC")).authenticators(target.hostname)
    except (OSError, netrc.NetrcParseError):
        entry = None
    if not entry or not entry[0]:
        return proxy
    credentials = f"{quote(entry[0], safe='')}:{quote(entry[2] or '', safe='')}"
    return target._replace(netloc=f"{credentials}@{target.netloc}").geturl()


def _ssl_setting(config: ClientConfig) -> ssl.SSLContext | bool:
    if not config.verify_ssl:
        return False
    if config.ca_bundle is not None:
        return ssl.create_default_context(cafile=str(config.ca_bundle))
    return True


class IonQClient:
    """Async client of IonQ's REST API v0.4; one pooled session for its whole life.

    Use ``async with IonQClient(config) as client`` or call ``await client.close()``.
    A session may be injected (tests, or sharing a pool).
    """

    def __init__(
        self, config: ClientConfig, *, session: aiohttp.ClientSession | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._session = session
        self._owns_session = session is None
        self._rng = rng or random.Random()
        self.completions = Completions()  # how long jobs took: when to poll the next
        parts = urlsplit(config.api_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        proxy = config.proxy
        if proxy is None and config.trust_env and not is_loopback(config.api_url):
            proxy = environment_proxy(config.api_url)
        self._proxy, self._proxy_headers = split_credentials(proxy)

    def __repr__(self) -> str:  # never shows the key
        return f"IonQClient(api_url={self.config.api_url!r})"

    async def __aenter__(self) -> IonQClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            cfg = self.config
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=cfg.max_connections,
                                               ssl=_ssl_setting(cfg)),
                # connect covers a proxy's CONNECT too; sock_read is the idle limit of a
                # read; total bounds a request that trickles
                timeout=aiohttp.ClientTimeout(total=cfg.request_timeout,
                                              connect=cfg.connect_timeout,
                                              sock_connect=cfg.connect_timeout,
                                              sock_read=cfg.read_timeout),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,  # the proxy is resolved in __init__ (see environment_proxy)
            )
            self._owns_session = True
        return self._session

    def url(self, path: str) -> str:
        """``/jobs`` → under the base URL; ``/v0.4/jobs/...`` (IonQ's legacy links) → the host."""
        base = self.config.api_url
        version_prefix = urlsplit(base).path.rstrip("/")
        if version_prefix and path.startswith(version_prefix + "/"):
            return self._origin + path
        return base + path

    def retry_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before retry ``attempt`` (capped, jittered, at least ``Retry-After``)."""
        return backoff_delay(attempt, retry_after, self._rng, base=self.config.backoff_base,
                             cap=self.config.backoff_cap)

    async def request(
        self, method: str, path: str, *, body: bytes | None = None,
        params: Mapping[str, str] | None = None, stats: RequestStats | None = None,
        max_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> Any:
        """Send one API call with retries; return the decoded JSON body (at most
        ``max_bytes`` of it: more is refused unread).

        Retries never wait past the active :func:`deadline`.

        Raises:
            APIError: a non-retriable error status (IonQ's message included).
            RetriableAPIError: a retriable status still failing after ``max_retries``.
            ResponseError: a redirect, a body too large or not JSON.
            MaybeSentError: no answer after the request was sent (never retried for POST).
            TransportError: no connection could be made, after retries.
        """
        headers = {"Authorization": f"apiKey {self.config.api_key}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        url = self.url(path)
        if self._proxy_headers and url.startswith("http:"):  # no CONNECT: the proxy reads it
            headers.update(self._proxy_headers)
        for attempt in range(self.config.max_retries + 1):
            if stats is not None:
                stats.count(method)
                stats.retries += attempt > 0
            retry_after: float | None = None
            try:
                # aiohttp writes bodies over 1 MiB given as bytes in one blocking call; a
                # file-like object is streamed (multi-circuit jobs reach 10 MB).
                data = io.BytesIO(body) if body is not None and len(body) > 2**20 else body
                async with self._get_session().request(
                    method, url, data=data, params=params, headers=headers, proxy=self._proxy,
                    proxy_headers=self._proxy_headers or None, allow_redirects=False,
                ) as resp:
                    if resp.status < 300:
                        raw = await _read(resp, max_bytes, method, path)
                        return _decode(raw, resp.status, method, path)
                    if resp.status < 400:
                        raise ResponseError(
                            resp.status, f"answered with a redirect to "
                            f"{redact(resp.headers.get('Location', '(nowhere)'))}; IonQ's API "
                            "does not redirect, so it was not followed (check api_url, and the "
                            "proxy if there is one)", method=method, path=path)
                    text = (await _read(resp, ERROR_BODY_BYTES, method, path, cut=True)
                            ).decode("utf-8", "replace")
                    api_error = _api_error(resp.status, text, resp.headers, method, path)
                if not should_retry(method, api_error.status):
                    raise api_error
                retry_after = api_error.retry_after
                error: IonQBatchError = RetriableAPIError(
                    api_error.status, f"{api_error.api_message} (gave up after "
                    f"{attempt} retries)", error_type=api_error.error_type, method=method,
                    path=path, retry_after=retry_after, request_id=api_error.request_id)
                reason = f"HTTP {api_error.status}"
            except aiohttp.ClientError as exc:
                error, reason, sent = self._transport_error(exc, method, path)
                if (sent and method == "POST") or isinstance(error, ConfigurationError):
                    raise error from None  # may exist / retrying cannot help
            except TimeoutError:  # the whole request's time (request_timeout) ran out
                reason = f"no complete answer within {self.config.request_timeout:g} s"
                error = MaybeSentError(f"{method} {path}: {reason} from {self._origin}")
                if method == "POST":
                    raise error from None
            if attempt == self.config.max_retries:
                raise error from None
            delay = self.retry_delay(attempt, retry_after)
            at = _DEADLINE.get()
            if at is not None and time.monotonic() + delay >= at:
                raise _past_deadline(error, delay) from None
            (log.warning if delay >= 5 else log.info)(
                "ionq.batch: %s %s: %s, retrying in %.1f s (retry %d of %d)", method, path,
                reason, delay, attempt + 1, self.config.max_retries)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _transport_error(self, exc: aiohttp.ClientError, method: str, path: str
                         ) -> tuple[IonQBatchError, str, bool]:
        """aiohttp's error as ours: (error, reason for the log, whether the request may have
        reached IonQ). aiohttp's own error is not chained: it carries the request's headers
        (the key, the proxy's credentials) and URLs."""
        where = f"{method} {path}"
        if isinstance(exc, aiohttp.ClientHttpProxyError):  # the proxy refused CONNECT
            if exc.status == 407:
                return ConfigurationError(
                    f"ionq.batch: the proxy {redact(self._proxy or '')} asks for credentials "
                    "(407): put them in the proxy URL (http://user:password@host:port), or in "
                    "~/.netrc for that host"), "proxy refused", False
            return TransportError(f"{where}: the proxy {redact(self._proxy or '')} answered "
                                  f"{exc.status} {exc.message}; nothing reached IonQ"), \
                f"proxy answered {exc.status}", False
        if isinstance(exc, aiohttp.ClientSSLError):
            return ConfigurationError(
                f"ionq.batch: TLS with {self._origin} failed ({_reason(exc)}); if a corporate "
                "proxy inspects TLS, pass its CA certificates: client_options={'ca_bundle': "
                "'corp-ca.pem'}"), "TLS failed", False
        if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)):
            via = f" through the proxy {redact(self._proxy)}" if self._proxy else ""
            return TransportError(f"{where}: cannot connect to {self._origin}{via} "
                                  f"({_reason(exc)})"), "cannot connect", False
        return MaybeSentError(f"{where}: no answer from {self._origin} ({_reason(exc)})"), \
            type(exc).__name__, True

    # -- one method per endpoint ---------------------------------------------------------------
    async def _about(self, job_id: str, method: str, path: str, stats: RequestStats | None,
                     **kw: Any) -> Any:
        """A request about one job: an error it raises names that job."""
        try:
            return await self.request(method, path, stats=stats, **kw)
        except (APIError, MaybeSentError) as exc:
            if isinstance(exc, APIError):
                exc.job_id = exc.job_id or job_id
            raise

    async def create_job(self, body: bytes, stats: RequestStats | None = None) -> str:
        """``POST /jobs`` → the new job's id (201 ``{id, status, session_id}``)."""
        reply = await self.request("POST", "/jobs", body=body, stats=stats)
        if not isinstance(reply, dict) or not isinstance(reply.get("id"), str):
            raise ResponseError(201, f"POST /jobs answered without a job id: {reply!r:.200}",
                                method="POST", path="/jobs")
        return reply["id"]

    async def get_job(self, job_id: str, stats: RequestStats | None = None) -> JobRecord:
        """``GET /jobs/{id}``."""
        raw = await self._about(job_id, "GET", f"/jobs/{segment(job_id, 'job id')}", stats)
        return JobRecord.parse(raw, job_id=job_id)

    async def list_jobs(self, stats: RequestStats | None = None, *, target: str | None = None,
                        cursor: str | None = None, limit: int = PAGE_SIZE) -> JobPage:
        """One page of ``GET /jobs`` (newest first), at most 25 jobs; ``cursor`` is ``next``."""
        params = {"limit": str(min(limit, PAGE_SIZE))}
        if target is not None:
            params["target"] = target
        if cursor is not None:
            params["next"] = cursor
        return JobPage.parse(await self.request("GET", "/jobs", params=params, stats=stats))

    async def get_artifact(self, job_id: str, artifact_id: str,
                           stats: RequestStats | None = None, *,
                           max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
        """``GET /jobs/{id}/artifacts/{artifactId}``: artifact ids are opaque strings
        (results: ``max_bytes`` from :func:`results_limit`)."""
        return await self._about(job_id, "GET", f"/jobs/{segment(job_id, 'job id')}/artifacts/"
                                 f"{segment(artifact_id, 'artifact id')}", stats,
                                 max_bytes=max_bytes)

    async def get_link(self, job_id: str, path: str, stats: RequestStats | None = None, *,
                       params: Mapping[str, str] | None = None,
                       max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
        """A link the job record gave (``results.probabilities.url``, an absolute path)."""
        return await self._about(job_id, "GET", path, stats, params=params,
                                 max_bytes=max_bytes)

    async def get_probabilities(self, job_id: str, stats: RequestStats | None = None, *,
                                sharpen: bool = False,
                                max_bytes: int = MAX_DOCUMENT_BYTES) -> Histogram:
        """``GET /jobs/{id}/results/probabilities[?sharpen=true]`` of a single-circuit job."""
        raw = await self._about(job_id, "GET", f"/jobs/{segment(job_id, 'job id')}/results/"
                                "probabilities", stats, params=_sharpen(sharpen),
                                max_bytes=max_bytes)
        return parse_histogram(raw, job_id)

    async def cancel_job(self, job_id: str, stats: RequestStats | None = None) -> None:
        """``PUT /jobs/{id}/status/cancel``."""
        await self._about(job_id, "PUT", f"/jobs/{segment(job_id, 'job id')}/status/cancel", stats)

    async def get_cost(self, job_id: str, stats: RequestStats | None = None) -> JobCost:
        """``GET /jobs/{id}/cost``."""
        raw = await self._about(job_id, "GET", f"/jobs/{segment(job_id, 'job id')}/cost", stats)
        return JobCost.parse(raw, job_id)

    async def estimate(self, backend: str, *, error_mitigation: bool = False,
                       qubits: int = 1, shots: int = 1, gates_1q: int = 0,
                       gates_2q: int = 0) -> Any:
        """``GET /jobs/estimate`` (its rate card is what :mod:`..pricing` reads)."""
        return await self.request("GET", "/jobs/estimate", params={
            "backend": backend, "type": "ionq.circuit.v1", "qubits": str(qubits),
            "shots": str(shots), "1q_gates": str(gates_1q), "2q_gates": str(gates_2q),
            "error_mitigation": "true" if error_mitigation else "false"})

    async def create_session(self, backend: str, settings: Mapping[str, Any]) -> SessionRecord:
        """``POST /sessions`` with ``backend`` and ``settings`` (limits). IonQ answers 404 to
        an account without sessions: an APIError says so."""
        body = orjson.dumps({"backend": backend, "settings": dict(settings)})
        try:
            return SessionRecord.parse(await self.request("POST", "/sessions", body=body))
        except APIError as exc:
            if exc.status != 404:
                raise
            raise APIError(404, "sessions are not enabled for this account (IonQ answered "
                           f"404: {exc.api_message}); ask IonQ to enable them, or run without "
                           "dev.session()", error_type=exc.error_type, method="POST",
                           path="/sessions", request_id=exc.request_id) from None

    async def get_session(self, session_id: str) -> SessionRecord:
        """``GET /sessions/{id}``."""
        return SessionRecord.parse(await self.request(
            "GET", f"/sessions/{segment(session_id, 'session id')}"))

    async def end_session(self, session_id: str) -> SessionRecord:
        """``POST /sessions/{id}/end``."""
        return SessionRecord.parse(await self.request(
            "POST", f"/sessions/{segment(session_id, 'session id')}/end"))

    async def list_backends(self, stats: RequestStats | None = None) -> list[BackendRecord]:
        """``GET /backends``: the catalogue (public; the key is sent but not needed)."""
        raw = await self.request("GET", "/backends", stats=stats)
        if isinstance(raw, dict) and isinstance(raw.get("backends"), list):
            raw = raw["backends"]  # some deployments wrap the array
        if not isinstance(raw, list):
            raise ResponseError(200, f"GET /backends: expected a list, got {raw!r:.200}",
                                method="GET", path="/backends")
        return [BackendRecord.parse(r) for r in raw]


def _past_deadline(error: IonQBatchError, delay: float) -> IonQBatchError:
    """``error``, said to end the request because its next retry would pass the deadline."""
    why = f"not retried: the next try, in {delay:.1f} s, would pass the deadline"
    if isinstance(error, RetriableAPIError):
        return RetriableAPIError(error.status, f"{error.api_message.rsplit(' (gave up', 1)[0]}"
                                 f" ({why})", error_type=error.error_type, method=error.method,
                                 path=error.path, retry_after=error.retry_after,
                                 request_id=error.request_id)
    error.add_note(why)
    return error


def _reason(exc: BaseException) -> str:
    """An aiohttp error in a few words, without URLs or credentials."""
    text = str(exc) or type(exc).__name__
    return redact(f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text)


async def _read(resp: aiohttp.ClientResponse, limit: int, method: str, path: str, *,
                cut: bool = False) -> bytes:
    """The body, refused (or, with ``cut``, truncated) beyond ``limit`` bytes, read as it
    arrives so an oversized answer never sits in memory whole."""
    declared = resp.content_length
    if declared is not None and declared > limit and not cut:
        raise ResponseError(resp.status, f"the answer is {declared:,} bytes; more than this "
                            f"request can return ({limit:,})", method=method, path=path)
    chunks, size = [], 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            if cut:
                chunks.append(chunk[:limit - size])
                break
            raise ResponseError(resp.status, f"the answer exceeds {limit:,} bytes, more than "
                                "this request can return", method=method, path=path)
        chunks.append(chunk)
    return b"".join(chunks)


def _sharpen(sharpen: bool) -> dict[str, str] | None:
    return {"sharpen": "true"} if sharpen else None


def _decode(raw: bytes, status: int, method: str, path: str) -> Any:
    """A success body as JSON (orjson: results of big batches parse several times faster)."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ResponseError(status, f"the answer is not valid JSON ({exc}): {raw[:200]!r}",
                            method=method, path=path) from exc


def _api_error(status: int, text: str, headers: Mapping[str, str], method: str,
               path: str) -> APIError:
    try:
        body: Any = json.loads(text) if text else None
    except (ValueError, RecursionError):
        body = text
    return APIError.from_body(status, body, method=method, path=path,
                              retry_after=parse_retry_after(headers.get("Retry-After")),
                              request_id=headers.get("x-request-id"))
