"""What executions cost: one record for times, one for an ``execute()``, and their sums.

The client times jobs (:class:`Timing`), the execution core adds what a batch cost
(:class:`ExecutionStats`), and an optimizer step sums the executions it made. Plain data: no
PennyLane, no aiohttp, so every layer may read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Timing:
    """Where a job's time went: IonQ's queue and execution, and the client's round trip
    (seconds). For several jobs sent together, the slowest of each (:meth:`worst`)."""

    queue_s: float = 0.0
    execution_s: float = 0.0
    round_trip_s: float = 0.0

    @property
    def fixed_s(self) -> float:
        """The part of the round trip that does not grow with the job's size."""
        return max(0.0, self.round_trip_s - self.execution_s)

    @classmethod
    def worst(cls, timings: Iterable[Timing]) -> Timing:
        """The longest queue, execution and round trip among ``timings`` (jobs sent together
        wait for the slowest)."""
        out = cls()
        for t in timings:
            out = cls(max(out.queue_s, t.queue_s), max(out.execution_s, t.execution_s),
                      max(out.round_trip_s, t.round_trip_s))
        return out


@dataclass(frozen=True)
class ExecutionStats:
    """What one ``execute()`` cost (or, summed with ``+``, several): circuits, jobs and
    requests, IonQ's times (the slowest job), debiasing and money.

    ``estimated_cost`` is the estimate made before sending (QPUs); ``billed_cost`` what IonQ
    billed the jobs that delivered, in the rate card's unit.
    """

    circuits: int = 0
    circuits_sent: int = 0
    shots: int = 0  # over every circuit (0 when exact)
    jobs: int = 0
    job_ids: tuple[str, ...] = ()
    http_requests: int = 0
    http_retries: int = 0
    timing: Timing = field(default_factory=Timing)
    debiased_jobs: int = 0
    estimated_cost: float = 0.0
    billed_cost: float = 0.0
    structure_cache_hits: int = 0
    structure_cache_misses: int = 0

    def __add__(self, other: ExecutionStats) -> ExecutionStats:
        """Counts and money add up; times are the slowest of either (executions one after
        another would add, but a step's executions are mostly sent together)."""
        summed = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)
                  if f.name != "timing"}
        return ExecutionStats(**summed, timing=Timing.worst((self.timing, other.timing)))
