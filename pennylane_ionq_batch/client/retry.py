"""Retry and polling policy as pure functions (no I/O, injected randomness), unit-tested.

Which answers are retried (IonQ's error codes; docs/ionq-api.md): GET/PUT/DELETE on 408, 409
(Cloudflare), 429, 5xx and 520–529, and on connection errors. ``POST /jobs`` is not idempotent:
it is retried only on 429 (the request was refused, so no job exists) and when no connection was
made at all.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .records import JobRecord

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, *range(520, 530)})
MAX_RETRY_AFTER = 60.0  # a Retry-After beyond this is waited this long (IonQ's SDK: 300 s)


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

    A server's ``Retry-After`` wins (capped at a minute); otherwise capped exponential
    backoff with full jitter, which spreads concurrent clients apart.
    """
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    return rng.uniform(0.0, min(cap, base * 2.0**attempt))


def remaining_seconds(job: JobRecord, now: datetime) -> float | None:
    """What the job's own predictions say is left until it completes; None when IonQ leaves
    them null (the live service does)."""
    wait_ms, exec_ms = job.predicted_wait_ms, job.predicted_execution_ms
    if job.status in ("submitted", "ready") and (wait_ms is not None or exec_ms is not None):
        return ((wait_ms or 0.0) + (exec_ms or 0.0)) / 1000.0
    if job.status in ("started", "running") and exec_ms:
        if job.started_at is None:
            return exec_ms / 1000.0
        return exec_ms / 1000.0 - (now - job.started_at).total_seconds()
    return None


# Without predictions, the interval is this fraction of the time already waited: a finished
# job is noticed at most ~25% after it finished, in O(log) polls, and never sooner than
# poll_min apart (0.25 s by default: at most four status requests in a job's first second).
POLL_FRACTION = 0.25


def next_poll_delay(
    job: JobRecord, elapsed: float, *, poll_min: float, poll_max: float,
    now: datetime | None = None, expected: Sequence[float] = (),
) -> float:
    """Seconds until the next status poll of ``job``, ``elapsed`` seconds after it was sent.

    Guided by the job's predicted wait and execution time when IonQ gives them, never faster
    than ``POLL_FRACTION`` of the elapsed time (so a wrong prediction cannot cause a poll
    storm), and never slower than ``poll_max`` (so a finished job is noticed). The times in
    ``expected`` (from :class:`Completions`) bring the next poll forward to the first of them
    still ahead, but not closer than ``poll_min``: a poll more per expected time at most.
    """
    floor = max(poll_min, POLL_FRACTION * elapsed)
    guess = remaining_seconds(job, now or datetime.now(UTC))
    delay = min(max(floor, guess if guess is not None else 0.0), poll_max)
    ahead = [t for t in expected if t > elapsed]
    if ahead:
        return min(delay, max(min(ahead) - elapsed, poll_min))
    return delay


def first_poll_delay(elapsed: float, expected: Sequence[float], poll_min: float) -> float:
    """Seconds before a job's first status poll: none, or until its first expected time but
    at most ``poll_min`` (the usual schedule's second poll), so a job that ends sooner than the
    last one did is noticed no later than it would have been."""
    return min(max(0.0, min(expected, default=0.0) - elapsed), poll_min)


class Completions:
    """When recent jobs of each kind completed, in seconds after they were sent.

    A job completed after the last poll that saw it active and by the one that saw it done;
    the next job of its kind is polled halfway between and, if still running, at the end.
    Training sends the same job step after step, so the bracket halves each step and
    completions are noticed soon after they happen, where a quarter of the wait
    (``POLL_FRACTION``) could be lost otherwise: IonQ's live records carry no predictions.
    Bounded: the least recently completed kinds go first.
    """

    def __init__(self, maxsize: int = 64) -> None:
        self.maxsize = maxsize
        self._brackets: dict[Hashable, tuple[float, float]] = {}

    def expected(self, kind: Hashable) -> tuple[float, ...]:
        """When to poll a job of ``kind`` besides the usual schedule (seconds after sending)."""
        bracket = self._brackets.get(kind)
        return () if bracket is None else ((bracket[0] + bracket[1]) / 2, bracket[1])

    def remember(self, kind: Hashable, active: float | None, done: float) -> None:
        """A job of ``kind`` was last seen running ``active`` seconds after it was sent (None:
        never), and completed by ``done``."""
        before = self._brackets.pop(kind, None)
        if active is None:  # done at its first poll: what the last job showed still holds
            active = before[0] if before is not None and before[0] < done else 0.0
        self._brackets[kind] = (active, done)
        while len(self._brackets) > self.maxsize:
            del self._brackets[next(iter(self._brackets))]
