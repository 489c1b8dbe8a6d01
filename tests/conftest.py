"""Shared fixtures: a clean environment, emulators on loopback, IonQ response factories."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pennylane_ionq_batch.emulator import EmulatorServer, LatencyModel
from pennylane_ionq_batch.emulator.app import STATE

API = "https://api.ionq.co/v0.4"
# Client settings for an emulator on loopback: it answers in microseconds, so polling it
# politely (as IonQ's service should be) would only make the tests slow.
LOCAL = {"poll_min": 0.005, "lookup_delay": 0.05}


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's IonQ key or URL, or writes to their cache directory."""
    for var in ("IONQ_API_KEY", "IONQ_API_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
async def emulator() -> Any:
    """An emulator on the test's own event loop."""
    async with EmulatorServer(seed=1) as server:
        yield server


@pytest.fixture
def threaded_emulator() -> Iterator[EmulatorServer]:
    """An emulator on its own thread, for device tests (the device runs its own loop)."""
    server = EmulatorServer(seed=1).start_in_thread()
    yield server
    server.stop_thread()


@pytest.fixture
def queued_emulator() -> Iterator[EmulatorServer]:
    """An emulator whose jobs wait in its queue until the test calls :func:`release`."""
    server = EmulatorServer(latency=LatencyModel(queue_per_job=3600.0)).start_in_thread()
    yield server
    server.stop_thread()


def release(server: EmulatorServer) -> None:
    """End the emulator's queue: the jobs it holds run now, and later ones do not wait."""
    server.app[STATE].latency = LatencyModel()
    for job in server.store.all():
        job.queue_s = 0.0


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 120.0) -> None:
    """Poll ``condition()`` until it holds. The deadline is far beyond any expected wait (a
    child interpreter imports PennyLane in 2–7 s on a busy machine), so only a hang fails."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what} after {deadline} s"
        time.sleep(0.02)


def job_record(job_id: str, status: str = "completed", *, children: list[str] | None = None,
               failure: dict[str, str] | None = None, legacy: bool = False,
               artifact: str = "art-1", **extra: Any) -> dict[str, Any]:
    """A ``GET /jobs/{id}`` body as IonQ's document describes it: results as descriptors,
    predictions and ``started_at`` null (as the live service sends them). ``legacy`` adds the
    older ``results.probabilities.url``."""
    multi = children is not None
    results = None
    if status == "completed":
        fmt = ("ionq.result.probabilities-aggregate.json.v1" if multi
               else "ionq.result.probabilities.json.v1")
        results = {fmt: {"id": artifact, "format": fmt, "media_type": "application/json"}}
        if legacy:
            suffix = "/aggregated" if multi else ""
            results["probabilities"] = {
                "url": f"/v0.4/jobs/{job_id}/results/probabilities{suffix}"}
    return {"id": job_id, "status": status, "type": "ionq.multi-circuit.v1" if multi
            else "ionq.circuit.v1", "backend": "simulator", "dry_run": False,
            "parent_job_id": None, "failure": failure, "results": results,
            "child_job_ids": children, "predicted_wait_time_ms": None,
            "predicted_execution_duration_ms": None, "started_at": None,
            "submitted_at": "2026-11-26T10:00:00.000Z", "execution_duration_ms": 0, **extra}
