"""The emulator's latency and fault models: plain data with presets and a command-line parser."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

FAULT_KINDS = ("429", "500", "502", "503", "drop", "drop-after-create", "fail", "fail-child",
               "cancel", "slow")


@dataclass(frozen=True, kw_only=True)
class LatencyModel:
    """Seconds charged by the emulator, all multiplied by ``time_scale``.

    ``per_request`` delays every HTTP answer; a job waits ``queue_per_job`` in the queue, then runs
    ``per_circuit`` per circuit plus ``per_1q_gate`` per single-qubit gate (a native pulse) and
    ``per_2q_gate`` per entangling gate, ``parallel`` circuits at a time. Charging per gate is
    what makes a shorter compiled circuit finish sooner. ``listing_lag``: a new job appears in
    ``GET /jobs`` only this long after its creation (IonQ does not say how soon it does).
    """

    per_request: float = 0.0
    queue_per_job: float = 0.0
    per_circuit: float = 0.0
    per_1q_gate: float = 0.0
    per_2q_gate: float = 0.0
    parallel: int = 1
    listing_lag: float = 0.0
    time_scale: float = 1.0

    def job_seconds(self, circuits: int, gates_1q: int = 0,
                    gates_2q: int = 0) -> tuple[float, float]:
        """(queue, execution) seconds of a job."""
        run = (self.per_circuit * circuits + self.per_1q_gate * gates_1q
               + self.per_2q_gate * gates_2q) / max(1, self.parallel)
        return self.queue_per_job * self.time_scale, run * self.time_scale


LATENCY_PRESETS = {
    "instant": LatencyModel(),
    # Figures users of IonQ's cloud simulator reported (DESIGN.md): API overhead per request,
    # queue per job, execution per circuit; plus Aria's gate durations (characterization
    # timing: 135 µs per single-qubit pulse, 600 µs per MS gate).
    "ionq-cloud": LatencyModel(per_request=0.5, queue_per_job=1.3, per_circuit=0.25,
                               per_1q_gate=135e-6, per_2q_gate=600e-6),
    # A QPU's queue between jobs: ten minutes here (reported queues last hours to days); jobs
    # in an active session skip it. Scale it down with time_scale.
    "ionq-qpu": LatencyModel(per_request=0.5, queue_per_job=600.0, per_circuit=0.25,
                             per_1q_gate=135e-6, per_2q_gate=600e-6),
}


def latency_preset(name: str, time_scale: float = 1.0) -> LatencyModel:
    if name not in LATENCY_PRESETS:
        raise ValueError(f"unknown latency preset {name!r}; choose from {sorted(LATENCY_PRESETS)}")
    return dataclasses.replace(LATENCY_PRESETS[name], time_scale=time_scale)


@dataclass(frozen=True, kw_only=True)
class FaultModel:
    """Probabilities of injected faults, drawn from a seeded generator.

    ``429``/``500``/``502``/``503``: the request is answered with that status before it is
    handled (so a refused POST creates no job). ``drop``: the connection is closed before
    handling. ``drop-after-create``: a ``POST /jobs`` creates the job, then the connection is
    closed. ``fail``/``cancel``: a created job ends ``failed``/``canceled``. ``fail-child``:
    one circuit of a multi-circuit job fails (its child job ends ``failed`` and is missing
    from the aggregated results) while the others complete. ``slow``: the answer
    is delayed by ``slow_seconds``. ``limits`` caps how many times a kind happens (e.g. one
    dropped answer after creating a job).
    """

    rates: dict[str, float] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    retry_after: float = 0.05
    slow_seconds: float = 1.0

    def __post_init__(self) -> None:
        for kind, rate in self.rates.items():
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault {kind!r}; choose from {', '.join(FAULT_KINDS)}")
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {kind}={rate} must be within [0, 1]")
        for kind, limit in self.limits.items():
            if kind not in self.rates or not isinstance(limit, int) or limit < 0:
                raise ValueError(f"fault limit {kind}@{limit} needs a rate and a count ≥ 0")

    def draw(self, kind: str, rng: np.random.Generator, happened: int = 0) -> bool:
        """Whether fault ``kind`` happens now, given it ``happened`` times already."""
        rate = self.rates.get(kind, 0.0)
        if rate <= 0 or happened >= self.limits.get(kind, happened + 1):
            return False
        return bool(rng.random() < rate)


def parse_faults(spec: str) -> FaultModel:
    """Parse ``"429=0.1,500=0.05,drop-after-create=1@1"`` (``KIND=RATE[@TIMES]``)."""
    rates: dict[str, float] = {}
    limits: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kind, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"fault {part!r} must look like KIND=RATE or KIND=RATE@TIMES")
        rate, _, times = value.partition("@")
        try:
            rates[kind.strip()] = float(rate)
            if times:
                limits[kind.strip()] = int(times)
        except ValueError:
            raise ValueError(f"fault rate or count in {part!r} is not a number") from None
    return FaultModel(rates=rates, limits=limits)
