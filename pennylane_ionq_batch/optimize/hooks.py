"""Batch-size hooks: how many perturbation pairs (or samples) the next step should hold.

A hook is any object with ``next_batch_size(stats: StepStats) -> int``. It is called after
every step with what the device measured. Two policies ship:

- :class:`LatencyBalanced` (the default): IonQ charges every job a fixed latency (request
  overhead and queue) on top of its execution, so a step should hold enough work that its
  execution is comparable to that fixed part. It grows the batch while the fixed latency
  dominates and shrinks it when execution dominates, within IonQ's per-job limits.
- :class:`Tiered`: queue under 1 s → 20, 1–3 s → 10, over 3 s → 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..config import MAX_CIRCUITS_PER_JOB
from ..stats import Timing


@dataclass(frozen=True)
class StepStats:
    """What one optimizer step cost, as measured by the device(s): circuits and jobs over
    every execution of the step, and IonQ's times (the slowest job)."""

    step: int
    batch_size: int  # what the step held (perturbation pairs or samples)
    circuits: int
    jobs: int
    timing: Timing = field(default_factory=Timing)
    losses: tuple[float, ...] = field(default_factory=tuple)  # loss history so far


@runtime_checkable
class BatchSizeHook(Protocol):
    def next_batch_size(self, stats: StepStats) -> int:
        """The batch size for the next step."""


@dataclass
class LatencyBalanced:
    """Aim for execution ≈ ``ratio`` × the fixed per-job latency; move halfway each step."""

    minimum: int = 1
    maximum: int = 200
    ratio: float = 1.0

    def next_batch_size(self, stats: StepStats) -> int:
        size = max(1, stats.batch_size)
        circuits_per_unit = max(1, stats.circuits // size)
        ceiling = min(self.maximum, MAX_CIRCUITS_PER_JOB // circuits_per_unit)
        target: float
        timing = stats.timing
        if timing.execution_s <= 0:  # nothing measured yet (or free): grow while latency rules
            target = size * 2 if timing.fixed_s > 0 else size
        else:
            per_unit = timing.execution_s / size
            target = self.ratio * timing.fixed_s / per_unit
        new = math.ceil((size + target) / 2)
        return int(min(max(new, self.minimum), max(self.minimum, ceiling)))


@dataclass
class Tiered:
    """Queue under 1 s → 20, 1–3 s → 10, over 3 s → 5 (the issue's simple policy)."""

    def next_batch_size(self, stats: StepStats) -> int:
        if stats.timing.queue_s < 1.0:
            return 20
        if stats.timing.queue_s <= 3.0:
            return 10
        return 5
