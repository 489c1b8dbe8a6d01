"""What a user sees while IonQ jobs wait: one line, updated every few seconds.

The client reports every status poll as a :class:`JobProgress`; :class:`WaitReporter` (the
device's default, ``progress=True``) turns them into a line on standard error — rewritten in
place on a terminal or in a notebook, a new line at most every ``every_plain`` seconds
elsewhere (logs, CI) — and says nothing for jobs that finish within ``quiet_for`` seconds.
A device's ``progress`` may also be any callable taking a :class:`JobProgress` (the ``train``
command feeds its progress bar), or False. No PennyLane, no aiohttp.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

WAITING = frozenset({"submitted", "ready", "started", "running"})


@dataclass(frozen=True)
class JobProgress:
    """One status poll of one job."""

    job_id: str
    status: str  # IonQ's (submitted, ready, started, completed, failed, canceled), or
    # "left running" when this client stopped waiting without canceling it
    elapsed_s: float  # since the job was sent
    predicted_wait_s: float | None = None  # IonQ's prediction, when the record carries one
    circuits: int = 1

    @property
    def done(self) -> bool:
        """This client waits for it no longer."""
        return self.status not in WAITING


ProgressCallback = Callable[[JobProgress], None]
_WORDS = {"submitted": "submitted", "ready": "queued", "started": "running",
          "running": "running"}


def status_word(status: str) -> str:
    """How a person reads IonQ's status: ``ready`` is queued, ``started`` running."""
    return _WORDS.get(status, status)


def describe(jobs: dict[str, JobProgress], elapsed: float) -> str:
    """``ionq.batch: job 1a2b3c4d… queued, predicted wait 12 s, 34 s elapsed``, or a summary
    of several jobs."""
    if len(jobs) == 1:
        (p,) = jobs.values()
        wait = (f", predicted wait {p.predicted_wait_s:.0f} s"
                if p.predicted_wait_s is not None and p.status in ("submitted", "ready")
                else "")
        return (f"ionq.batch: job {p.job_id[:8]}… ({p.circuits} circuit"
                f"{'' if p.circuits == 1 else 's'}) {status_word(p.status)}{wait}, "
                f"{elapsed:.0f} s elapsed")
    counts: dict[str, int] = {}
    for p in jobs.values():
        word = status_word(p.status)
        counts[word] = counts.get(word, 0) + 1
    states = ", ".join(f"{n} {word}" for word, n in counts.items())
    return f"ionq.batch: {len(jobs)} jobs: {states}, {elapsed:.0f} s elapsed"


def _interactive(stream: TextIO) -> bool:
    """A terminal, or a Jupyter kernel's stream (both rewrite a line after a carriage return)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) or "ipykernel" in sys.modules


class WaitReporter:
    """Shows waiting jobs on ``stream`` (standard error by default), thread-safe.

    Silent until a job has waited ``quiet_for`` seconds; then at most one update every
    ``every`` seconds (``every_plain`` when the stream is not interactive), and a last line
    when the jobs it showed have ended.
    """

    def __init__(self, stream: TextIO | None = None, *, quiet_for: float = 2.0,
                 every: float = 2.0, every_plain: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self.quiet_for, self.every, self.every_plain = quiet_for, every, every_plain
        self._clock = clock
        self._jobs: dict[str, JobProgress] = {}
        self._shown_at: float | None = None
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def __call__(self, progress: JobProgress) -> None:
        with self._lock:
            self._jobs[progress.job_id] = progress
            elapsed = max(p.elapsed_s for p in self._jobs.values())
            finished = all(p.done for p in self._jobs.values())
            if finished:
                if self._shown_at is not None:
                    self._write(describe(self._jobs, elapsed), end=True)
                self._jobs.clear()
                self._shown_at = None
                return
            if elapsed < self.quiet_for:
                return
            now = self._clock()
            interactive = _interactive(self.stream)
            gap = self.every if interactive else self.every_plain
            if self._shown_at is None or now - self._shown_at >= gap:
                self._shown_at = now
                self._write(describe(self._jobs, elapsed), end=not interactive)

    def _write(self, line: str, *, end: bool) -> None:
        stream = self.stream
        if _interactive(stream):
            stream.write(f"\r{line}\x1b[K" + ("\n" if end else ""))
        else:
            stream.write(line + "\n")
        stream.flush()
