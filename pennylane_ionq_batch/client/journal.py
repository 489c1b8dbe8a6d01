"""An on-disk journal of jobs in flight, so that a crash or Ctrl-C does not buy a job twice.

Each job is written down before it is sent (its fingerprint — a hash of everything that
decides its results — and its unique name), then its id once IonQ answers, then its fate.
Running the same batch again finds the unfinished entry and adopts that job: it waits for it
and fetches its results instead of paying for a new one. Entries whose results were
delivered are closed, so asking for the same circuits again later runs them again.

Each entry also records which process sent it. A job is adopted only when that process is
gone (or is this one): two runs of the same circuits at the same time on one machine each pay
for their own job and get their own samples. An entry another machine wrote is not adopted
(its process cannot be checked from here).

SQLite from the standard library; one file, safe across threads and processes. Nothing secret
is stored (no API key, no circuit: hashes, names, ids and states), but job and session ids are
yours: the file is created readable by you only (0600, in a 0700 directory).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

OPEN_STATES = ("sending", "submitted")  # a job that may still deliver results


def _start_time(pid: int) -> str:
    """When process ``pid`` started (Linux: its start time in clock ticks; "" elsewhere), so
    a pid the system reused is not taken for the process that wrote an entry."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def this_process() -> str:
    """``host/pid/start``: who writes an entry."""
    pid = os.getpid()
    return f"{socket.gethostname()}/{pid}/{_start_time(pid)}"


def process_state(owner: str | None) -> str:
    """Whether the process that wrote an entry is ``"this"`` one, ``"alive"``, ``"gone"``, or
    ``"unknown"`` (another machine, or a system where it cannot be told)."""
    if not owner:
        return "gone"  # written before owners were recorded
    host, _, rest = owner.partition("/")
    pid_text, _, start = rest.partition("/")
    if host != socket.gethostname() or os.name == "nt" or not pid_text.isdigit():
        return "unknown"
    pid = int(pid_text)
    if owner == this_process():
        return "this"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:  # another user's process
        pass
    return "alive" if not start or _start_time(pid) == start else "gone"


def default_path() -> Path:
    """``$XDG_CACHE_HOME/pennylane-ionq-batch/jobs.sqlite3`` (``~/.cache`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pennylane-ionq-batch" / "jobs.sqlite3"


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    name: str
    job_id: str | None
    state: str
    updated: float
    owner: str | None = None  # this_process() of whoever sent it

_COLUMNS = "fingerprint, name, job_id, state, updated, owner"


class Journal:
    """Jobs by fingerprint. Methods are thread-safe; the file is shared between processes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=0o700)  # created private, not chmod-ed
        try:  # created private too (SQLite gives its -wal and -shm files the same mode)
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            pass
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._connect()

    def _connect(self) -> sqlite3.Connection:
        """The connection, opened on first use and again after :meth:`close` (lock held)."""
        if self._db is None:
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                       isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS jobs (name TEXT PRIMARY KEY, fingerprint TEXT NOT "
                "NULL, job_id TEXT, state TEXT NOT NULL, updated REAL NOT NULL, owner TEXT)")
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            if "owner" not in columns:  # a journal written by an earlier version
                self._db.execute("ALTER TABLE jobs ADD COLUMN owner TEXT")
            self._db.execute("CREATE INDEX IF NOT EXISTS by_fingerprint ON jobs (fingerprint)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, backend TEXT NOT "
                "NULL, state TEXT NOT NULL, updated REAL NOT NULL)")
        return self._db

    def __repr__(self) -> str:
        return f"<Journal {self.path}>"

    def close(self) -> None:
        """Close the file; the journal reopens it if used again."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def open_entries(self, fingerprint: str) -> list[Entry]:
        """The unfinished jobs with this fingerprint, newest first."""
        with self._lock:
            rows = self._connect().execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE fingerprint=? AND state IN {OPEN_STATES} "
                "ORDER BY updated DESC", (fingerprint,)).fetchall()
        return [Entry(*row) for row in rows]

    def open_entry(self, fingerprint: str) -> Entry | None:
        """The newest unfinished job with this fingerprint that this process may adopt: its
        sender is gone, or is this process (see :func:`process_state`)."""
        for entry in self.open_entries(fingerprint):
            if process_state(entry.owner) in ("gone", "this"):
                return entry
        return None

    def sending(self, fingerprint: str, name: str) -> None:
        """Written before ``POST /jobs``: a crash from here on leaves a name to look up."""
        self._write("INSERT OR REPLACE INTO jobs VALUES (?, ?, NULL, 'sending', ?, ?)",
                    (name, fingerprint, time.time(), this_process()))

    def submitted(self, name: str, job_id: str) -> None:
        self._write("UPDATE jobs SET job_id=?, state='submitted', updated=? WHERE name=?",
                    (job_id, time.time(), name))

    def finished(self, name: str, state: str) -> None:
        """``delivered`` (results handed over), ``failed``, ``canceled`` or ``absent``."""
        self._write("UPDATE jobs SET state=?, updated=? WHERE name=?",
                    (state, time.time(), name))

    def session_opened(self, session_id: str, backend: str) -> None:
        """An IonQ session this client opened: a crashed run can resume inside it or end it."""
        self._write("INSERT OR REPLACE INTO sessions VALUES (?, ?, 'open', ?)",
                    (session_id, backend, time.time()))

    def session_closed(self, session_id: str) -> None:
        self._write("UPDATE sessions SET state='ended', updated=? WHERE id=?",
                    (time.time(), session_id))

    def open_session(self, backend: str) -> str | None:
        """The newest session on ``backend`` that was opened and not seen to end."""
        with self._lock:
            row = self._connect().execute(
                "SELECT id FROM sessions WHERE backend=? AND state='open' ORDER BY updated DESC "
                "LIMIT 1", (backend,)).fetchone()
        return row[0] if row else None

    def entries(self) -> list[Entry]:
        with self._lock:
            rows = self._connect().execute(
                f"SELECT {_COLUMNS} FROM jobs ORDER BY updated").fetchall()
        return [Entry(*r) for r in rows]

    def _write(self, sql: str, args: tuple[object, ...]) -> None:
        with self._lock:
            self._connect().execute(sql, args)
