"""Deferred execution: run a cost function several times, send its circuits as one batch.

An optimizer step needs the cost at several points (θ ± cΔ, θ). A cost may call QNodes many
times (a Python loop over samples) and combine the results classically, so its circuits are
only known by running it. :func:`evaluate_together` does that in three passes:

1. **record**: run the cost at every point; each ``ionq.batch`` execution is recorded and
   answered with placeholder results (uniform probabilities), nothing is sent;
2. **send**: all recorded circuits of a device go out in one ``execute()``: one IonQ job;
3. **replay**: run the cost again; each execution is answered from the batch when its tapes
   equal the recorded ones, and executed directly when they do not (the cost's control flow
   depended on the placeholder values). Such fallbacks are counted, never hidden.

Devices other than ``ionq.batch`` ignore the session and execute for real in the record pass;
if nothing was recorded, those values are the answer and there is no replay.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("pennylane_ionq_batch")

Run = Callable[[Sequence[Any]], tuple[Any, ...]]


@dataclass
class _Call:
    device: Any
    tapes: tuple[Any, ...]
    run: Run
    results: tuple[Any, ...] | None = None


@dataclass
class Session:
    """What one :func:`evaluate_together` has seen, per evaluation point."""

    points: int
    mode: str = "record"
    point: int = 0
    calls: list[list[_Call]] = field(default_factory=list)
    cursor: int = 0
    fallbacks: int = 0

    def __post_init__(self) -> None:
        self.calls = [[] for _ in range(self.points)]

    def intercept(self, device: Any, tapes: Sequence[Any], run: Run,
                  placeholder: Callable[[Sequence[Any]], tuple[Any, ...]]) -> tuple[Any, ...]:
        """What a device's ``execute`` returns while this session is active."""
        tapes = tuple(tapes)
        if self.mode == "record":
            self.calls[self.point].append(_Call(device, tapes, run))
            return placeholder(tapes)
        recorded = self.calls[self.point]
        if self.cursor < len(recorded):
            call = recorded[self.cursor]
            self.cursor += 1
            if call.device is device and [t.hash for t in call.tapes] == [t.hash for t in tapes]:
                return call.results  # type: ignore[return-value]
        self.fallbacks += 1
        log.info("ionq.batch: a cost evaluation took a different path than recorded; "
                 "executing its %d circuit(s) directly", len(tapes))
        return run(tapes)

    @property
    def recorded(self) -> int:
        return sum(len(c.tapes) for calls in self.calls for c in calls)

    @property
    def devices(self) -> list[Any]:
        seen: dict[int, Any] = {}
        for calls in self.calls:
            for call in calls:
                seen.setdefault(id(call.device), call.device)
        return list(seen.values())

    def send(self) -> None:
        """Execute every device's recorded circuits in one call per device."""
        by_device: dict[int, list[_Call]] = {}
        for calls in self.calls:
            for call in calls:
                by_device.setdefault(id(call.device), []).append(call)
        for calls in by_device.values():
            results = calls[0].run([t for c in calls for t in c.tapes])
            k = 0
            for call in calls:
                call.results = tuple(results[k:k + len(call.tapes)])
                k += len(call.tapes)


_ACTIVE: contextvars.ContextVar[Session | None] = contextvars.ContextVar(
    "ionq_batch_session", default=None)


def active() -> Session | None:
    """The session of the innermost :func:`evaluate_together`, if any."""
    return _ACTIVE.get()


@contextmanager
def _activated(session: Session) -> Iterator[Session]:
    token = _ACTIVE.set(session)
    try:
        yield session
    finally:
        _ACTIVE.reset(token)


@dataclass(frozen=True)
class Evaluations:
    values: list[Any]
    circuits: int  # sent together
    fallbacks: int  # executions that could not be answered from the batch
    devices: list[Any] = field(default_factory=list)  # the devices that sent them


def evaluate_together(fn: Callable[..., Any],
                      points: Sequence[tuple[Sequence[Any], dict[str, Any]]]) -> Evaluations:
    """``fn(*args, **kwargs)`` at every point, its ``ionq.batch`` circuits sent as one batch."""
    if active() is not None:  # nested: let the outer session batch everything
        return Evaluations([fn(*a, **kw) for a, kw in points], 0, 0)
    session = Session(len(points))
    with _activated(session):
        recorded: list[Any] = []
        first: list[Any] | None = recorded
        try:
            for i, (args, kwargs) in enumerate(points):
                session.point = i
                recorded.append(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the cost needs real values: evaluate plainly
            log.info("ionq.batch: the cost failed on placeholder results (%r); evaluating it "
                     "without batching", exc)
            first = None
    if first is None:
        return Evaluations([fn(*a, **kw) for a, kw in points], 0, len(points))
    if session.recorded == 0:
        return Evaluations(first, 0, 0)
    session.send()
    session.mode = "replay"
    with _activated(session):
        values = []
        for i, (args, kwargs) in enumerate(points):
            session.point, session.cursor = i, 0
            values.append(fn(*args, **kwargs))
    return Evaluations(values, session.recorded, session.fallbacks, session.devices)
