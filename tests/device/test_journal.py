"""The job journal: a crashed or interrupted run's jobs are adopted, never bought twice."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch import APIError, JobTimeoutError
from pennylane_ionq_batch.client import Journal
from pennylane_ionq_batch.client.journal import process_state, this_process
from pennylane_ionq_batch.emulator import EmulatorServer

from ..conftest import LOCAL, release, wait_for

BATCH = textwrap.dedent("""
    import pennylane as qml
    tapes = [qml.tape.QuantumScript([qml.RY(0.3 * k, 0), qml.CNOT([0, 1])],
                                    [qml.expval(qml.PauliZ(1))]) for k in range(4)]
""")


def tapes() -> list:
    scope: dict = {}
    exec(BATCH, scope)  # noqa: S102 - the same batch the child process runs
    return scope["tapes"]


def device(server: EmulatorServer, journal: Path, **kw: object) -> object:
    return qml.device("ionq.batch", wires=2, api_url=server.url, api_key="k",
                      journal=str(journal), client_options=LOCAL, **kw)


def expected() -> list:
    return qml.execute(tapes(), qml.device("default.qubit", wires=2))


def test_the_journal_is_private(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "new" / "jobs.sqlite3")
    journal.sending("fp", "name-1")
    assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600
    for extra in ("-wal", "-shm"):  # SQLite's side files take the database's mode
        side = journal.path.with_name(journal.path.name + extra)
        assert not side.exists() or stat.S_IMODE(os.stat(side).st_mode) == 0o600


def test_a_job_of_a_live_process_is_not_adopted(tmp_path: Path) -> None:
    """Only the jobs of a process that is gone (or of this one) are adopted."""
    path = tmp_path / "jobs.sqlite3"
    other = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pennylane_ionq_batch.client import Journal
        journal = Journal({str(path)!r})
        journal.sending("fp", "n")
        journal.submitted("n", "id-1")
        print("journaled", flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "journaled"
        journal = Journal(path)
        [entry] = journal.open_entries("fp")
        assert process_state(entry.owner) == "alive" and journal.open_entry("fp") is None
    finally:
        other.kill()
        other.communicate()
    assert process_state(entry.owner) == "gone" and journal.open_entry("fp").job_id == "id-1"
    assert process_state(this_process()) == "this"
    assert process_state(f"another-host/{os.getpid()}/1") == "unknown"


def test_two_processes_with_the_same_circuits_each_pay_for_their_own_job(
        tmp_path: Path, queued_emulator: EmulatorServer) -> None:
    """Two independent runs at once (an emulated QPU: samples differ) share a journal: two
    jobs, each its own samples; neither adopts the other's job."""
    journal = tmp_path / "jobs.sqlite3"
    script = BATCH + textwrap.dedent(f"""
        import json
        dev = qml.device("ionq.batch", wires=2, backend="qpu.aria-1", api_url=
                         {queued_emulator.url!r}, api_key="k", journal={str(journal)!r},
                         progress=False)
        tapes = [t.copy(shots=500) for t in tapes]
        print(json.dumps([float(r) for r in qml.execute(tapes, dev)]))
    """)
    children = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 text=True) for _ in range(2)]
    try:
        wait_for(lambda: queued_emulator.log.jobs_created == 2, "both children's jobs")
        release(queued_emulator)
        outputs = [json.loads(child.communicate(timeout=120)[0]) for child in children]
    finally:
        for child in children:
            child.kill()
            child.communicate()
    assert queued_emulator.log.jobs_created == 2 and outputs[0] != outputs[1]
    assert sorted(e.state for e in Journal(journal).entries()) == ["delivered", "delivered"]


def test_journal_records_each_step(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.sending("fp", "name-1")
    assert journal.open_entry("fp").state == "sending"
    journal.submitted("name-1", "id-1")
    assert journal.open_entry("fp").job_id == "id-1"
    journal.finished("name-1", "delivered")
    assert journal.open_entry("fp") is None and journal.entries()[0].state == "delivered"


def test_killed_process_is_resumed_without_a_new_job(tmp_path: Path,
                                                     queued_emulator: EmulatorServer) -> None:
    journal = tmp_path / "jobs.sqlite3"
    child = subprocess.Popen([sys.executable, "-c", BATCH + textwrap.dedent(f"""
        dev = qml.device("ionq.batch", wires=2, api_url={queued_emulator.url!r}, api_key="k",
                         journal={str(journal)!r})
        qml.execute(tapes, dev)
    """)], env={**os.environ})

    def submitted() -> bool:
        assert child.poll() is None, "the child ended before its job was journaled"
        return journal.exists() and any(e.state == "submitted"
                                        for e in Journal(journal).entries())

    try:
        wait_for(submitted, "the child's job in the journal")
    finally:
        child.kill()
        child.wait()
    [entry] = Journal(journal).entries()
    assert entry.state == "submitted" and entry.job_id
    assert queued_emulator.log.jobs_created == 1
    release(queued_emulator)
    results = qml.execute(tapes(), device(queued_emulator, journal))
    assert np.allclose(results, expected(), atol=1e-12)
    assert queued_emulator.log.jobs_created == 1  # adopted: zero new jobs
    assert queued_emulator.log.count("POST", "/v0.4/jobs") == 1
    assert Journal(journal).entries()[0].state == "delivered"


def test_timeout_without_cancel_leaves_the_job_to_collect(tmp_path: Path,
                                                          queued_emulator: EmulatorServer) -> None:
    journal = tmp_path / "jobs.sqlite3"
    dev = device(queued_emulator, journal, timeout=5.0, cancel_on_interrupt=False)
    with pytest.raises(JobTimeoutError, match="still running"):
        qml.execute(tapes(), dev)
    [job] = [j for j in queued_emulator.store.all() if j.parent_id is None]
    assert job.forced_status is None  # not canceled
    release(queued_emulator)
    results = qml.execute(tapes(), device(queued_emulator, journal))
    assert np.allclose(results, expected(), atol=1e-12)
    assert queued_emulator.log.jobs_created == 1


def test_timeout_cancels_by_default_and_a_rerun_pays_again(tmp_path: Path,
                                                           queued_emulator: EmulatorServer) -> None:
    journal = tmp_path / "jobs.sqlite3"
    with pytest.raises(JobTimeoutError, match="were canceled"):
        qml.execute(tapes(), device(queued_emulator, journal, timeout=5.0))
    assert Journal(journal).entries()[0].state == "canceled"
    assert queued_emulator.log.count("PUT", "/v0.4/jobs/{job_id}/status/cancel") == 1
    release(queued_emulator)
    qml.execute(tapes(), device(queued_emulator, journal))
    assert queued_emulator.log.jobs_created == 2


def test_journal_defaults(tmp_path: Path) -> None:
    qpu = qml.device("ionq.batch", wires=2, backend="qpu.aria-1", api_key="k")
    assert qpu.policy.journal is not None
    assert str(qpu.policy.journal.path).startswith(os.environ["XDG_CACHE_HOME"])
    assert qml.device("ionq.batch", wires=2, api_key="k").policy.journal is None
    assert qml.device("ionq.batch", wires=2, backend="emulator:qpu.aria-1").policy.journal \
        is None  # the embedded emulator's jobs end with the process


@pytest.mark.parametrize("cancel", [True, False])
def test_ctrl_c_cancels_or_leaves_the_job_and_says_how_to_resume(
        tmp_path: Path, queued_emulator: EmulatorServer, cancel: bool) -> None:
    journal = tmp_path / "jobs.sqlite3"
    child = subprocess.Popen([sys.executable, "-c", BATCH + textwrap.dedent(f"""
        dev = qml.device("ionq.batch", wires=2, api_url={queued_emulator.url!r}, api_key="k",
                         journal={str(journal)!r}, cancel_on_interrupt={cancel})
        qml.execute(tapes, dev)
    """)], stderr=subprocess.PIPE, text=True)
    readers: list[Journal] = []

    def submitted() -> bool:
        if child.poll() is not None:  # say why at once, rather than wait out the deadline
            raise AssertionError(f"the child ended ({child.returncode}) before its job was "
                                 f"journaled: {child.communicate()[1][-3000:]}")
        if not journal.exists():
            return False
        if not readers:
            readers.append(Journal(journal))
        return any(e.state == "submitted" for e in readers[0].entries())

    try:
        wait_for(submitted, "the child's job in the journal")
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=120)
    finally:
        child.kill()
        for reader in readers:
            reader.close()
    assert child.returncode != 0 and "KeyboardInterrupt" in stderr
    canceled = queued_emulator.log.count("PUT", "/v0.4/jobs/{job_id}/status/cancel")
    [entry] = Journal(journal).entries()
    if cancel:
        assert canceled == 1 and entry.state == "canceled"
    else:
        assert canceled == 0 and entry.state == "submitted"
        assert "run the same execute() again" in stderr and str(journal) in stderr
        release(queued_emulator)
        qml.execute(tapes(), device(queued_emulator, journal))  # collects it
        assert queued_emulator.log.jobs_created == 1


def test_a_refused_job_is_closed_and_a_deleted_one_is_run_again(
        tmp_path: Path, threaded_emulator: EmulatorServer) -> None:
    journal = tmp_path / "jobs.sqlite3"
    refused = qml.device("ionq.batch", wires=2, api_url=threaded_emulator.url, api_key="k",
                         journal=str(journal), client_options=LOCAL,
                         job_fields={"session_id": "no-such-session"})
    with pytest.raises(APIError, match="session 'no-such-session' not found"):  # a 400
        qml.execute(tapes(), refused)
    assert Journal(journal).entries()[0].state == "rejected"  # 400: nothing to adopt later

    other = tmp_path / "other.sqlite3"
    first = Journal(other)
    dev = device(threaded_emulator, other)
    qml.execute(tapes(), dev)
    [entry] = first.entries()
    first.submitted(entry.name, entry.job_id)  # as if the run had stopped before delivery
    threaded_emulator.store.delete(entry.job_id)
    results = qml.execute(tapes(), device(threaded_emulator, other))
    assert np.allclose(results, expected(), atol=1e-12)
    assert threaded_emulator.log.jobs_created == 2  # the deleted job could not be adopted
    assert {e.state for e in first.entries()} == {"absent", "delivered"}
