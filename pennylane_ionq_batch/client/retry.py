"""Retry and polling policy as pure functions (no I/O, injected randomness), unit-tested.

Which answers are retried (reference §9): GET/PUT/DELETE on 408, 409 (Cloudflare), 429, 5xx and
520–529, and on connection errors. ``POST /jobs`` is not idempotent: it is retried only on 429
(the request was refused, so no job exists) and when no connection was made at all.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, *range(520, 530)})
MAX_RETRY_AFTER = 120.0


def should_retry(method: str, status: int) -> bool:
    """Whether an error status may be retried for this HTTP method."""
    if method.upper() == "POST":
        return status == 429
    return status in RETRY_STATUSES


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(
    attempt: int, retry_after: float | None, rng: random.Random, *, base: float, cap: float
) -> float:
    """Delay before retry number ``attempt`` (0-based).

    A server's ``Retry-After`` wins (capped at two minutes); otherwise capped exponential
    backoff with full jitter, which spreads concurrent clients apart.
    """
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    return rng.uniform(0.0, min(cap, base * 2.0**attempt))


def _remaining_seconds(job: Mapping[str, Any], now: datetime) -> float | None:
    """What the job's own predictions say is left until it completes."""
    wait_ms = job.get("predicted_wait_time_ms") or 0
    exec_ms = job.get("predicted_execution_duration_ms") or 0
    status = job.get("status")
    if status in ("submitted", "ready"):
        return (float(wait_ms) + float(exec_ms)) / 1000.0
    if status in ("started", "running") and exec_ms:
        started = job.get("started_at")
        try:
            t0 = datetime.fromisoformat(str(started).replace("Z", "+00:00"))
        except ValueError:
            return float(exec_ms) / 1000.0
        return float(exec_ms) / 1000.0 - (now - t0).total_seconds()
    return None


# Each unguided poll waits 1.25× the previous one: a job is noticed at most ~25% after it
# finished (1.5× allowed 50%), in O(log) polls.
POLL_GROWTH = 1.25


def next_poll_delay(
    job: Mapping[str, Any], polls: int, *, poll_min: float, poll_max: float,
    now: datetime | None = None,
) -> float:
    """Seconds until the next status poll.

    Guided by the job's predicted wait and execution time, never faster than a backoff that
    grows ``POLL_GROWTH``× per poll from ``poll_min`` (so a wrong prediction cannot cause a
    poll storm), and never slower than ``poll_max`` (so a finished job is noticed).
    """
    floor = poll_min * POLL_GROWTH**polls
    guess = _remaining_seconds(job, now or datetime.now(UTC))
    delay = max(floor, guess if guess is not None else 0.0)
    return min(max(delay, poll_min), poll_max)
