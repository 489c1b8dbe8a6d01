"""Record and replay: run a function several times, send its circuits as one batch.

An optimizer step needs the cost at several points (θ ± cΔ, θ). A cost may call QNodes many
times (a Python loop over samples) and combine the results classically, so its circuits are
only known by running it. :func:`evaluate_together` does that in three passes:

1. **record**: run the function at every point; each execution on a :class:`RecordingDevice`
   (``ionq.batch``) is recorded and answered with placeholder results, nothing is sent;
2. **send**: all recorded circuits of a device go out in one ``execute()``: one IonQ job;
3. **replay**: run the function again; each execution is answered from the batch when its
   tapes equal the recorded ones, and executed directly when they do not (the function's
   control flow depended on the placeholder values). Such fallbacks are counted and reported.

The contract has three parties, all named here:

- the **driver**, :func:`evaluate_together` (used by ``BatchSPSAOptimizer``);
- **recording devices** (:class:`RecordingDevice`): while :func:`active` returns a recording,
  their ``execute`` hands the circuits to :meth:`Recording.intercept` instead of running them;
- **step-scoped caches**: anything between the function and the device that could answer the
  replay pass differently from the record pass (the device's preprocessing cache learns a
  structure between the two) keeps the step's answers in :func:`step_memo`, a dictionary that
  lives exactly as long as the recording.

The record pass is made invisible to the function: NumPy's global generator, Python's
``random`` and torch's generator (when torch is imported; JAX has no global state) are restored
before the replay, so both passes draw the same numbers and the generators end where one
evaluation leaves them; placeholders are the real results the same call got last time (when
their shapes match), else values with no exact zeros. From the first recorded execution on,
the recording thread's standard output and error and its ``logging`` records are dropped;
other threads print and log as usual. Warnings are the exception: Python's warning filters are
process-wide (``warnings.catch_warnings`` is not thread-safe, and a warning shown "once" in the
record pass would never be shown in the replay), so the record pass ignores warnings for the
whole process while it runs.

Devices that are not recording devices ignore the recording and execute for real; if nothing
was recorded, the record pass was a real evaluation and its values are the answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import sys
import threading
import warnings
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO, runtime_checkable

import numpy as np

from .stats import ExecutionStats


@runtime_checkable
class RecordingDevice(Protocol):
    """A device that takes part in a recorded step (see the module docstring for the other
    parties: the driver and step-scoped caches such as the device's preprocessing cache)."""

    def execute_now(self, circuits: Sequence[Any]) -> tuple[tuple[Any, ...], ExecutionStats]:
        """Execute for real, whatever recording is active: the results, and what it cost."""

    def placeholder_results(self, circuits: Sequence[Any]) -> tuple[Any, ...]:
        """Results shaped like real ones, with no exact zeros, without executing anything."""

    def fingerprint(self, circuit: Any) -> Hashable:
        """Equal for circuits that give equal results (how the replay pass is matched to
        the record pass), cheaper than ``tape.hash`` where the device can make it so."""


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


class _ThreadFilter(logging.Filter):
    """Drops the records one thread logs."""

    def __init__(self, thread: int) -> None:
        super().__init__()
        self.thread = thread

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread


class _SplitStream:
    """Stands in for ``sys.stdout``/``sys.stderr``: one thread's writes are dropped, every
    other thread's go to the stream it replaces."""

    def __init__(self, stream: TextIO, thread: int) -> None:
        self.stream, self.thread = stream, thread

    def write(self, text: str) -> int:
        if threading.get_ident() == self.thread:
            return len(text)
        return self.stream.write(text)

    def flush(self) -> None:
        if threading.get_ident() != self.thread:
            self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _restore_stream(name: str, split: _SplitStream) -> None:
    if getattr(sys, name) is split:  # unless the function replaced it since, and kept it
        setattr(sys, name, split.stream)


def _silence_thread(stack: contextlib.ExitStack) -> None:
    """Drop this thread's output and log records, and every warning, until ``stack`` closes."""
    thread = threading.get_ident()
    for name in ("stdout", "stderr"):
        split = _SplitStream(getattr(sys, name), thread)
        setattr(sys, name, split)
        stack.callback(_restore_stream, name, split)
    quiet = _ThreadFilter(thread)
    loggers = [logging.root, *(lg for lg in logging.root.manager.loggerDict.values()
                               if isinstance(lg, logging.Logger))]
    for handler in {h for lg in loggers for h in lg.handlers}:
        handler.addFilter(quiet)
        stack.callback(handler.removeFilter, quiet)
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")


@dataclass
class Recording:
    """What one :func:`evaluate_together` has seen, per evaluation point."""

    points: int
    memory: Memory = field(default_factory=dict)
    mode: str = "record"  # then "replay", or "direct" (every execution runs at once)
    point: int = 0
    calls: list[list[_Call]] = field(default_factory=list)
    cursor: int = 0
    fallbacks: int = 0
    stats: ExecutionStats = field(default_factory=ExecutionStats)
    quiet: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    silenced: bool = False
    memos: dict[int, dict[Any, Any]] = field(default_factory=dict)  # see step_memo()

    def __post_init__(self) -> None:
        self.calls = [[] for _ in range(self.points)]

    def intercept(self, device: RecordingDevice, tapes: Sequence[Any]) -> tuple[Any, ...]:
        """What a recording device's ``execute`` returns while this recording is active."""
        tapes = tuple(tapes)
        if self.mode == "direct":
            return self.run(device, tapes)
        if self.mode == "record":
            if not self.silenced:
                self.silenced = True
                _silence_thread(self.quiet)
            key = (self.point, len(self.calls[self.point]))
            self.calls[self.point].append(_Call(device, tapes))
            fresh = device.placeholder_results(tapes)
            last = self.memory.get(key)
            return last if last is not None and _shape(last) == _shape(fresh) else fresh
        recorded = self.calls[self.point]
        if self.cursor < len(recorded):
            call = recorded[self.cursor]
            self.cursor += 1
            if call.device is device and len(call.tapes) == len(tapes) and all(
                    device.fingerprint(a) == device.fingerprint(b)
                    for a, b in zip(call.tapes, tapes, strict=True)):
                return call.results  # type: ignore[return-value]
        self.fallbacks += 1
        return self.run(device, tapes)

    def run(self, device: RecordingDevice, tapes: Sequence[Any]) -> tuple[Any, ...]:
        """Execute now, counting what it cost."""
        results, stats = device.execute_now(tapes)
        self.stats = self.stats + stats
        return results

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


_ACTIVE: contextvars.ContextVar[Recording | None] = contextvars.ContextVar(
    "ionq_batch_recording", default=None)


def active() -> Recording | None:
    """The recording of the innermost :func:`evaluate_together`, if any."""
    return _ACTIVE.get()


def step_memo(owner: object) -> dict[Any, Any] | None:
    """A dictionary private to ``owner`` for as long as the active recording lives (None
    outside one): where a step-scoped cache keeps what it answered in the record pass, so the
    replay pass gets the very same answers."""
    recording = _ACTIVE.get()
    if recording is None:
        return None
    return recording.memos.setdefault(id(owner), {})


@contextmanager
def _activated(recording: Recording) -> Iterator[Recording]:
    token = _ACTIVE.set(recording)
    try:
        yield recording
    finally:
        _ACTIVE.reset(token)


@dataclass(frozen=True)
class Evaluations:
    values: list[Any]
    circuits: int  # sent together
    fallbacks: int  # executions that could not be answered from the batch
    devices: list[Any] = field(default_factory=list)  # the devices that sent them
    stats: ExecutionStats = field(default_factory=ExecutionStats)  # every execution, fallbacks too
    why: str | None = None  # why some evaluations were not answered from the batch


def evaluate_together(fn: Callable[..., Any],
                      points: Sequence[tuple[Sequence[Any], dict[str, Any]]],
                      memory: Memory | None = None,
                      reset: Callable[[], None] | None = None) -> Evaluations:
    """``fn(*args, **kwargs)`` at every point, its ``ionq.batch`` circuits sent as one batch.

    ``memory`` (kept by the caller across steps) supplies the record pass's placeholders;
    ``reset`` undoes what the record pass changed besides the global random generators (an
    optimizer's state, when ``fn`` is its step), before ``fn`` runs again.
    """
    if active() is not None:  # nested: let the outer recording batch everything
        return Evaluations([fn(*a, **kw) for a, kw in points], 0, 0)
    recording = Recording(len(points), memory if memory is not None else {})
    states = RandomStates.save()
    first: list[Any] = []
    failure: Exception | None = None
    with _activated(recording), recording.quiet:
        try:
            for i, (args, kwargs) in enumerate(points):
                recording.point = i
                first.append(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - maybe the placeholders: evaluate plainly
            failure = exc
    if recording.recorded == 0 and failure is None:  # the record pass ran for real
        return Evaluations(first, 0, 0)
    states.restore()
    if reset is not None:
        reset()
    if failure is not None:
        recording.mode = "direct"
        with _activated(recording):
            values = [fn(*a, **kw) for a, kw in points]
        return Evaluations(values, 0, len(points), recording.devices, recording.stats,
                           f"the cost raised {failure!r} on placeholder results")
    recording.send()
    recording.mode = "replay"
    with _activated(recording):
        values = []
        for i, (args, kwargs) in enumerate(points):
            recording.point, recording.cursor = i, 0
            values.append(fn(*args, **kwargs))
    why = (f"{recording.fallbacks} execution(s) sent circuits other than those recorded"
           if recording.fallbacks else None)
    return Evaluations(values, recording.recorded, recording.fallbacks, recording.devices,
                       recording.stats, why)
