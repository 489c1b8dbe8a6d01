"""The retry and polling policy: pure functions."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from pennylane_ionq_batch.client.records import JobRecord
from pennylane_ionq_batch.client.retry import (
    MAX_RETRY_AFTER,
    Completions,
    backoff_delay,
    first_poll_delay,
    next_poll_delay,
    parse_retry_after,
    should_retry,
)
from pennylane_ionq_batch.config import ClientConfig


class TestShouldRetry:
    @pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 520, 529])
    def test_get_retries_transient_statuses(self, status: int) -> None:
        """GETs retry 408/409/429/5xx/52x."""
        assert should_retry("GET", status)

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 413])
    def test_client_errors_are_final(self, status: int) -> None:
        """4xx other than 408/409/429 are never retried."""
        assert not should_retry("GET", status)
        assert not should_retry("POST", status)

    @pytest.mark.parametrize("status", [500, 502, 503, 504, 409, 408])
    def test_post_is_not_retried_when_the_job_may_exist(self, status: int) -> None:
        """A POST answered with 5xx may have created the job: no blind retry."""
        assert not should_retry("POST", status)

    def test_post_429_is_retried(self) -> None:
        """429 means the job was refused, so re-sending cannot duplicate it."""
        assert should_retry("POST", 429)


class TestRetryAfter:
    def test_seconds(self) -> None:
        assert parse_retry_after("2.5") == 2.5

    def test_http_date(self) -> None:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        assert parse_retry_after("Thu, 01 Jan 2026 00:00:07 GMT", now) == 7.0

    @pytest.mark.parametrize("value", [None, "", "soon"])
    def test_absent_or_garbage(self, value: str | None) -> None:
        assert parse_retry_after(value) is None


class TestBackoff:
    def test_retry_after_wins_and_is_capped(self) -> None:
        rng = random.Random(0)
        assert backoff_delay(3, 1.5, rng, base=0.1, cap=1) == 1.5
        assert backoff_delay(0, 10_000, rng, base=0.1, cap=1) == MAX_RETRY_AFTER

    def test_full_jitter_within_capped_exponential(self) -> None:
        rng = random.Random(0)
        for attempt in range(10):
            d = backoff_delay(attempt, None, rng, base=0.5, cap=8.0)
            assert 0 <= d <= min(8.0, 0.5 * 2**attempt)

    def test_jitter_spreads_delays(self) -> None:
        rng = random.Random(1)
        assert len({backoff_delay(4, None, rng, base=1, cap=30) for _ in range(20)}) == 20


def record(status: str, **fields: object) -> JobRecord:
    return JobRecord.parse({"id": "j", "status": status, **fields})


class TestPollDelay:
    def test_follows_predicted_queue_and_execution(self) -> None:
        job = record("ready", predicted_wait_time_ms=3000, predicted_execution_duration_ms=500)
        assert next_poll_delay(job, 0, poll_min=0.05, poll_max=60) == pytest.approx(3.5)

    def test_capped_by_poll_max(self) -> None:
        job = record("ready", predicted_wait_time_ms=86_400_000)
        assert next_poll_delay(job, 0, poll_min=0.05, poll_max=10) == 10

    def test_started_counts_from_start_time(self) -> None:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        started = (now - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
        job = record("started", started_at=started, predicted_execution_duration_ms=3000)
        assert next_poll_delay(job, 0, poll_min=0.05, poll_max=60, now=now) == pytest.approx(2.0)

    def test_null_predictions_space_polls_by_elapsed_time(self) -> None:
        """The live service sends null predictions: the interval is a quarter of the wait."""
        job = record("ready", predicted_wait_time_ms=None, predicted_execution_duration_ms=None,
                     started_at=None)
        assert next_poll_delay(job, 0.0, poll_min=0.25, poll_max=10) == 0.25
        assert next_poll_delay(job, 8.0, poll_min=0.25, poll_max=10) == 2.0
        assert next_poll_delay(job, 3600.0, poll_min=0.25, poll_max=10) == 10

    def test_at_most_four_status_requests_in_a_jobs_first_second(self) -> None:
        """With the default bounds and no predictions, polls at 0, .25, .5, .75 s, then 1 s."""
        config = ClientConfig(api_key="k")
        job = record("started")
        t, polls = 0.0, []
        while t < 3.0:
            polls.append(t)
            t += next_poll_delay(job, t, poll_min=config.poll_min, poll_max=config.poll_max)
        assert sum(p < 1.0 for p in polls) == 4
        gaps = [b - a for a, b in zip(polls, polls[1:], strict=False)]
        assert gaps == sorted(gaps)  # a capped backoff: never faster later

    def test_a_wrong_prediction_cannot_cause_a_poll_storm(self) -> None:
        job = record("started", predicted_execution_duration_ms=1, started_at=None)
        delays = [next_poll_delay(job, e, poll_min=0.1, poll_max=5) for e in range(0, 100, 5)]
        assert delays[0] == 0.1 and delays == sorted(delays) and delays[-1] == 5


def polls_until(done: float, expected: tuple[float, ...] = (), poll_min: float = 0.025,
                latency: float = 0.0) -> list[float]:
    """Poll times (s after sending) of a job that completes at ``done``, null predictions; a
    poll sent at t sees the job as it is at t + ``latency``."""
    job, t, polls = record("started"), first_poll_delay(0.0, expected, poll_min), []
    while True:
        polls.append(t)
        if t + latency >= done:
            return polls
        t += next_poll_delay(job, t, poll_min=poll_min, poll_max=10, expected=expected)


class TestCompletions:
    def test_expected_times_bring_polls_forward(self) -> None:
        plain = polls_until(0.75)
        assert plain[-1] == pytest.approx(0.9313, abs=1e-3)  # a quarter of the wait is lost
        assert polls_until(0.75, (0.8,))[-1] == pytest.approx(0.8)
        assert polls_until(0.75, (0.7, 0.8))[-2:] == pytest.approx([0.7, 0.8])
        assert polls_until(0.72, (0.7, 0.71))[-2:] == pytest.approx([0.7, 0.725])  # poll_min
        assert polls_until(0.75, (0.0,)) == plain  # nothing ahead: the usual schedule

    def test_a_short_job_is_polled_first_when_the_last_one_ended(self) -> None:
        assert polls_until(0.004, (0.003, 0.006), poll_min=0.25) == pytest.approx([0.003,
                                                                                   0.253])
        assert polls_until(0.004, (0.005, 0.006), poll_min=0.25) == pytest.approx([0.005])
        # never later than poll_min, where the usual schedule polls a second time
        assert polls_until(0.3, (60.0,), poll_min=0.25)[0] == 0.25

    @pytest.mark.parametrize("latency", [0.0, 0.01, 0.03])
    def test_steady_jobs_are_noticed_soon_and_never_at_more_cost(self, latency: float) -> None:
        memory, lags, counts = Completions(), [], []
        for _ in range(10):
            polls = polls_until(0.75, memory.expected("step"), latency=latency)
            memory.remember("step", max((p for p in polls if p + latency < 0.75), default=None),
                            polls[-1])
            lags.append(polls[-1] + latency - 0.75)
            counts.append(len(polls))
        assert max(lags[4:]) <= 0.025 + latency and max(counts) <= counts[0] + 1
        if latency == 0.0:  # the usual schedule alone loses a quarter of the wait here
            assert lags[0] > 0.15

    def test_a_job_slower_than_expected_is_still_found(self) -> None:
        polls = polls_until(3.0, (0.7, 0.76))
        assert polls[-1] >= 3.0 and polls[-1] < 3.0 * 1.25 + 0.025

    def test_bounded(self) -> None:
        memory = Completions(maxsize=2)
        for kind in "abc":
            memory.remember(kind, 1.0, 2.0)
        assert memory.expected("a") == () and memory.expected("c") == (1.5, 2.0)
