"""The one place HTTP happens: a pooled aiohttp session and ``IonQClient.request``.

aiohttp exceptions are translated into this package's error tree here and nowhere else.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from ..config import ClientConfig
from ..exceptions import APIError, RetriableAPIError, TransportError
from .retry import backoff_delay, parse_retry_after, should_retry

log = logging.getLogger("pennylane_ionq_batch.client")
USER_AGENT = "pennylane-ionq-batch"


@dataclass
class RequestStats:
    """Counts of what one batch cost on the wire (read by the device for ``qml.Tracker``)."""

    requests: int = 0
    retries: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    def count(self, method: str) -> None:
        self.requests += 1
        self.by_method[method] = self.by_method.get(method, 0) + 1


class MaybeSentError(TransportError):
    """The request went out but no answer came back (timeout or dropped connection)."""


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
        parts = urlsplit(config.api_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"

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
                connector=aiohttp.TCPConnector(limit=cfg.max_connections),
                timeout=aiohttp.ClientTimeout(sock_connect=cfg.connect_timeout,
                                              sock_read=cfg.read_timeout),
                headers={"User-Agent": USER_AGENT},
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
    ) -> Any:
        """Send one API call with retries; return the decoded JSON body.

        Raises:
            APIError: a non-retriable error status (IonQ's message included).
            RetriableAPIError: a retriable status still failing after ``max_retries``.
            MaybeSentError: no answer after the request was sent (never retried for POST).
            TransportError: no connection could be made, after retries.
        """
        headers = {"Authorization": f"apiKey {self.config.api_key}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        url = self.url(path)
        for attempt in range(self.config.max_retries + 1):
            last = attempt == self.config.max_retries
            if stats is not None:
                stats.count(method)
                if attempt:
                    stats.retries += 1
            try:
                # aiohttp writes bodies over 1 MiB given as bytes in one blocking call; a
                # file-like object is streamed (multi-circuit jobs reach 10 MB).
                data = io.BytesIO(body) if body is not None and len(body) > 2**20 else body
                async with self._get_session().request(
                    method, url, data=data, params=params, headers=headers
                ) as resp:
                    if resp.status < 400:
                        return _decode(await resp.read(), resp.status, method, path)
                    error = _api_error(resp.status, await resp.text(), resp.headers, method,
                                       path)
            except aiohttp.ClientConnectorError as exc:
                # No connection was made, so nothing was sent: safe to retry any method.
                if last:
                    raise TransportError(f"cannot connect to {self._origin}: {exc}") from exc
                delay = backoff_delay(attempt, None, self._rng, base=self.config.backoff_base,
                                      cap=self.config.backoff_cap)
                log.info("ionq.batch: %s %s: cannot connect, retrying in %.2f s", method, path,
                         delay)
                await asyncio.sleep(delay)
                continue
            except (TimeoutError, aiohttp.ClientError) as exc:
                kind = type(exc).__name__
                if method == "POST" or last:
                    raise MaybeSentError(
                        f"{method} {path}: no answer from {self._origin} ({kind})") from exc
                delay = backoff_delay(attempt, None, self._rng, base=self.config.backoff_base,
                                      cap=self.config.backoff_cap)
                log.info("ionq.batch: %s %s: %s, retrying in %.2f s", method, path, kind, delay)
                await asyncio.sleep(delay)
                continue
            if not should_retry(method, error.status):
                raise error
            if last:
                raise RetriableAPIError(
                    error.status, f"{error.api_message} (gave up after "
                    f"{self.config.max_retries} retries)", error_type=error.error_type,
                    method=method, path=path, retry_after=error.retry_after)
            delay = backoff_delay(attempt, error.retry_after, self._rng,
                                  base=self.config.backoff_base, cap=self.config.backoff_cap)
            log.info("ionq.batch: %s %s: HTTP %d, retrying in %.2f s", method, path,
                     error.status, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _decode(raw: bytes, status: int, method: str, path: str) -> Any:
    """A success body as JSON (orjson: results of big batches parse several times faster)."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise APIError(status, f"the answer is not valid JSON ({exc}): {raw[:200]!r}",
                       method=method, path=path) from exc


def _api_error(status: int, text: str, headers: Mapping[str, str], method: str,
               path: str) -> APIError:
    try:
        body: Any = json.loads(text) if text else None
    except ValueError:
        body = text
    return APIError.from_body(status, body, method=method, path=path,
                              retry_after=parse_retry_after(headers.get("Retry-After")))
