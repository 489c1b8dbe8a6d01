"""Deferred execution: run a cost function several times, send its circuits as one batch.

An optimizer step needs the cost at several points (θ ± cΔ, θ). A cost may call QNodes many
times (a Python loop over samples) and combine the results classically, so its circuits are
only known by running it. :func:`evaluate_together` does that in three passes:

1. **record**: run the cost at every point; each execution on a :class:`RecordingDevice`
   (``ionq.batch``) is recorded and answered with placeholder results, nothing is sent;
2. **send**: all recorded circuits of a device go out in one ``execute()``: one IonQ job;
3. **replay**: run the cost again; each execution is answered from the batch when its tapes
   equal the recorded ones, and executed directly when they do not (the cost's control flow
   depended on the placeholder values). Such fallbacks are counted and reported.

The record pass is made invisible to the cost: NumPy's global generator, Python's ``random``
and torch's generator (when torch is imported; JAX has no global state) are restored before the
replay, so both passes draw the same numbers and the generators end where one evaluation leaves
them; from the first recorded execution on, standard output and error, ``warnings`` and
``logging`` are silenced; placeholders are the real results the same call got last time (when
their shapes match), else values with no exact zeros.

Devices that are not recording devices ignore the session and execute for real; if nothing was
recorded, the record pass was a real evaluation and its values are the answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import random
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .bound import fingerprint


@runtime_checkable
class RecordingDevice(Protocol):
    """What a device offers to take part in a recorded optimizer step."""

    @property
    def last_execution(self) -> Any:
        """What its last execution cost: ``circuits``, ``jobs``, ``queue_s``, ``execution_s``
        and ``round_trip_s`` attributes (or None before the first)."""

    def execute_now(self, circuits: Sequence[Any]) -> tuple[Any, ...]:
        """Execute for real, whatever session is active."""

    def placeholder_results(self, circuits: Sequence[Any]) -> tuple[Any, ...]:
        """Results shaped like real ones, with no exact zeros, without executing anything."""


@dataclass
class Cost:
    """What the executions of one step cost, summed (circuits, jobs) or maximal (times)."""

    circuits: int = 0
    jobs: int = 0
    queue_s: float = 0.0
    execution_s: float = 0.0
    round_trip_s: float = 0.0

    def add(self, run: Any) -> None:
        if run is None:
            return
        self.circuits += run.circuits
        self.jobs += run.jobs
        self.queue_s = max(self.queue_s, run.queue_s)
        self.execution_s = max(self.execution_s, run.execution_s)
        self.round_trip_s = max(self.round_trip_s, run.round_trip_s)


@dataclass
class _Call:
    device: RecordingDevice
    tapes: tuple[Any, ...]
    results: tuple[Any, ...] | None = None


Memory = dict[tuple[int, int], tuple[Any, ...]]  # (point, call) → its last real results


def _shape(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return tuple(_shape(v) for v in value)
    if isinstance(value, dict):  # counts
        return ("counts", len(value))
    return np.shape(value)


@dataclass
class Session:
    """What one :func:`evaluate_together` has seen, per evaluation point."""

    points: int
    memory: Memory = field(default_factory=dict)
    mode: str = "record"  # then "replay", or "direct" (every execution runs at once)
    point: int = 0
    calls: list[list[_Call]] = field(default_factory=list)
    cursor: int = 0
    fallbacks: int = 0
    cost: Cost = field(default_factory=Cost)
    quiet: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    silenced: bool = False

    def __post_init__(self) -> None:
        self.calls = [[] for _ in range(self.points)]

    def intercept(self, device: RecordingDevice, tapes: Sequence[Any]) -> tuple[Any, ...]:
        """What a recording device's ``execute`` returns while this session is active."""
        tapes = tuple(tapes)
        if self.mode == "direct":
            return self.run(device, tapes)
        if self.mode == "record":
            self.quiet_from_now_on()
            key = (self.point, len(self.calls[self.point]))
            self.calls[self.point].append(_Call(device, tapes))
            fresh = device.placeholder_results(tapes)
            last = self.memory.get(key)
            return last if last is not None and _shape(last) == _shape(fresh) else fresh
        recorded = self.calls[self.point]
        if self.cursor < len(recorded):
            call = recorded[self.cursor]
            self.cursor += 1
            if call.device is device and list(map(fingerprint, call.tapes)) == \
                    list(map(fingerprint, tapes)):
                return call.results  # type: ignore[return-value]
        self.fallbacks += 1
        return self.run(device, tapes)

    def run(self, device: RecordingDevice, tapes: Sequence[Any]) -> tuple[Any, ...]:
        """Execute now, counting what it cost."""
        results = device.execute_now(tapes)
        self.cost.add(device.last_execution)
        return results

    def quiet_from_now_on(self) -> None:
        """Silence output, warnings and logging until the record pass ends."""
        if self.silenced:
            return
        self.silenced = True
        self.quiet.enter_context(contextlib.redirect_stdout(io.StringIO()))
        self.quiet.enter_context(contextlib.redirect_stderr(io.StringIO()))
        self.quiet.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        previous = logging.root.manager.disable
        logging.disable(logging.CRITICAL)
        self.quiet.callback(logging.disable, previous)

    @property
    def recorded(self) -> int:
        return sum(len(c.tapes) for calls in self.calls for c in calls)

    @property
    def devices(self) -> list[RecordingDevice]:
        seen: dict[int, RecordingDevice] = {}
        for calls in self.calls:
            for call in calls:
                seen.setdefault(id(call.device), call.device)
        return list(seen.values())

    def send(self) -> None:
        """Execute every device's recorded circuits in one call per device."""
        by_device: dict[int, list[tuple[int, int, _Call]]] = {}
        for point, calls in enumerate(self.calls):
            for index, call in enumerate(calls):
                by_device.setdefault(id(call.device), []).append((point, index, call))
        for entries in by_device.values():
            results = self.run(entries[0][2].device, [t for _, _, c in entries for t in c.tapes])
            k = 0
            for point, index, call in entries:
                call.results = tuple(results[k:k + len(call.tapes)])
                self.memory[(point, index)] = call.results
                k += len(call.tapes)


@dataclass
class RandomStates:
    """The global generators a cost may draw from: NumPy's legacy one, Python's, torch's."""

    numpy: Any
    python: Any
    torch: Any

    @classmethod
    def save(cls) -> RandomStates:
        torch = sys.modules.get("torch")
        return cls(np.random.get_state(), random.getstate(),
                   torch.get_rng_state() if torch is not None else None)

    def restore(self) -> None:
        np.random.set_state(self.numpy)
        random.setstate(self.python)
        torch = sys.modules.get("torch")
        if torch is not None and self.torch is not None:
            torch.set_rng_state(self.torch)


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
    cost: Cost = field(default_factory=Cost)  # every execution of the evaluations, fallbacks too
    why: str | None = None  # why some evaluations were not answered from the batch


def evaluate_together(fn: Callable[..., Any],
                      points: Sequence[tuple[Sequence[Any], dict[str, Any]]],
                      memory: Memory | None = None) -> Evaluations:
    """``fn(*args, **kwargs)`` at every point, its ``ionq.batch`` circuits sent as one batch.

    ``memory`` (kept by the caller across steps) supplies the record pass's placeholders.
    """
    if active() is not None:  # nested: let the outer session batch everything
        return Evaluations([fn(*a, **kw) for a, kw in points], 0, 0)
    session = Session(len(points), memory if memory is not None else {})
    states = RandomStates.save()
    first: list[Any] = []
    failure: Exception | None = None
    with _activated(session), session.quiet:
        try:
            for i, (args, kwargs) in enumerate(points):
                session.point = i
                first.append(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - maybe the placeholders: evaluate plainly
            failure = exc
    if session.recorded == 0 and failure is None:  # the record pass ran for real
        return Evaluations(first, 0, 0)
    states.restore()
    if failure is not None:
        session.mode = "direct"
        with _activated(session):
            values = [fn(*a, **kw) for a, kw in points]
        return Evaluations(values, 0, len(points), session.devices, session.cost,
                           f"the cost raised {failure!r} on placeholder results")
    session.send()
    session.mode = "replay"
    with _activated(session):
        values = []
        for i, (args, kwargs) in enumerate(points):
            session.point, session.cursor = i, 0
            values.append(fn(*args, **kwargs))
    why = (f"{session.fallbacks} execution(s) sent circuits other than those recorded"
           if session.fallbacks else None)
    return Evaluations(values, session.recorded, session.fallbacks, session.devices,
                       session.cost, why)
