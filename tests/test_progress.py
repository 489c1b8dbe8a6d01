"""What a user sees while jobs wait: silence for quick jobs, one line every few seconds."""

from __future__ import annotations

import io

import pennylane as qml
import pytest

from pennylane_ionq_batch.emulator import EmulatorServer, LatencyModel
from pennylane_ionq_batch.progress import JobProgress, WaitReporter, describe

from .conftest import LOCAL


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def feed(reporter: WaitReporter, clock: Clock, polls: list[tuple[float, str]],
         wait: float | None = None) -> None:
    for elapsed, status in polls:
        clock.now = elapsed
        reporter(JobProgress("0123456789abcdef", status, elapsed, wait, circuits=3))


def test_a_quick_job_is_silent() -> None:
    out, clock = io.StringIO(), Clock()
    reporter = WaitReporter(out, clock=clock)
    feed(reporter, clock, [(0.1, "submitted"), (0.4, "ready"), (1.5, "completed")])
    assert out.getvalue() == ""


def test_a_waiting_job_on_a_terminal_is_one_line_rewritten() -> None:
    out, clock = Terminal(), Clock()
    reporter = WaitReporter(out, clock=clock, quiet_for=2.0, every=2.0)
    feed(reporter, clock, [(0.5, "ready"), (2.5, "ready"), (3.0, "ready"), (4.6, "ready"),
                           (7.0, "started"), (8.0, "completed")], wait=30.0)
    lines = out.getvalue().split("\r")[1:]
    assert lines == [
        "ionq.batch: job 01234567… (3 circuits) queued, predicted wait 30 s, 2 s elapsed\x1b[K",
        "ionq.batch: job 01234567… (3 circuits) queued, predicted wait 30 s, 5 s elapsed\x1b[K",
        "ionq.batch: job 01234567… (3 circuits) running, 7 s elapsed\x1b[K",
        "ionq.batch: job 01234567… (3 circuits) completed, 8 s elapsed\x1b[K\n"]


def test_elsewhere_a_new_line_at_most_every_thirty_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    reporter = WaitReporter(out, clock=clock, every_plain=30.0)
    feed(reporter, clock, [(float(t), "ready") for t in range(2, 70, 4)] + [(70.0, "failed")])
    assert [line.split(", ")[-1] for line in out.getvalue().splitlines()] == \
        ["2 s elapsed", "34 s elapsed", "66 s elapsed", "70 s elapsed"]


def test_several_jobs_are_summed_up() -> None:
    jobs = {i: JobProgress(i, s, 12.0) for i, s in (("a", "ready"), ("b", "ready"),
                                                    ("c", "started"))}
    assert describe(jobs, 12.0) == "ionq.batch: 3 jobs: 2 queued, 1 running, 12 s elapsed"


def test_the_device_reports_each_poll_of_a_queued_job() -> None:
    """The emulator's legacy records carry IonQ's predicted wait; each poll is reported, and
    the last report says the job completed."""
    seen: list[JobProgress] = []
    server = EmulatorServer(latency=LatencyModel(queue_per_job=1.0),
                            contract="legacy").start_in_thread()
    try:
        dev = qml.device("ionq.batch", wires=1, api_url=server.url, api_key="k",
                         client_options=LOCAL, progress=seen.append)
        tape = qml.tape.QuantumScript([qml.RX(0.2, 0)], [qml.expval(qml.Z(0))])
        qml.execute([tape, tape], dev)
    finally:
        server.stop_thread()
    assert len(seen) >= 2 and seen[-1].status == "completed" and seen[-1].done
    queued = [p for p in seen if p.status == "ready"]
    assert queued and all(p.predicted_wait_s is not None and p.predicted_wait_s <= 1.0
                          for p in queued)
    assert [p.elapsed_s for p in seen] == sorted(p.elapsed_s for p in seen)
    assert {p.job_id for p in seen} == {dev.last_execution.job_ids[0]}


@pytest.mark.parametrize("value", ["yes", 2.5])
def test_progress_must_be_a_flag_or_a_function(value: object) -> None:
    with pytest.raises(ValueError, match="progress must be True, False or a function"):
        qml.device("ionq.batch", wires=1, backend="emulator", progress=value)
