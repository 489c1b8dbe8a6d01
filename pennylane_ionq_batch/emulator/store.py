"""The emulator's job store: job records, their lifecycle in time, and their results.

No aiohttp here. A job's status follows from the clock (queue, then execution, per the latency
model) and from whether its simulation has finished; results are little-endian decimal keys.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..backends import BACKENDS, NOISE_MODELS
from .statevector import EmulationLimitError, sample_noisy, simulate
from .validate import ParsedCircuit, ParsedJob, gate_counts

TERMINAL = {"completed", "failed", "canceled"}


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


# "current": IonQ's document (October 2026) as the live service answers; "october": the
# same, with undocumented creation fields refused; "legacy": also the older result shapes.
CONTRACTS = ("current", "october", "legacy")
# Aggregations of debiasing variants a debiased job's record names (IonQ, October 2026). The
# emulator does not debias: each serves the job's results.
AGGREGATIONS = ("average", "voting", "dnl", "majority")


class UnpublishedNoiseError(ValueError):
    """IonQ accepts this noise model but has not published its rates: nothing to emulate."""


def noise_rates(job: ParsedJob, qpu_noise: bool = True) -> tuple[float, float] | None:
    """The depolarizing rates this job samples with, or None when it has no noise.

    An impersonated QPU samples with its published noise model, or, with ``qpu_noise=False``,
    without noise.
    """
    if job.backend == "simulator":
        model = job.noise_model
    else:
        model = BACKENDS[job.backend].noise_model if qpu_noise else None
    if model in (None, "ideal"):
        return None
    m = NOISE_MODELS[model]
    if m.p1q is None or m.p2q is None:
        raise UnpublishedNoiseError(f"IonQ has not published the rates of noise model "
                                    f"{model!r}, so the emulator cannot sample it")
    return m.p1q, m.p2q


def run_circuit(circuit: ParsedCircuit, job: ParsedJob, rng: np.random.Generator,
                max_qubits: int, qpu_noise: bool = True) -> dict[str, float]:
    """One circuit's probabilities: exact (ideal simulator), else measured counts / shots."""
    rates = noise_rates(job, qpu_noise)
    if rates is not None:
        counts = sample_noisy(circuit.gates, circuit.qubits, job.shots, *rates, rng,
                              max_qubits=max_qubits)
    else:
        probs = simulate(circuit.gates, circuit.qubits, max_qubits)
        if job.backend == "simulator":
            nz = np.flatnonzero(probs > 1e-300)
            return {str(int(i)): float(probs[i]) for i in nz}
        counts = rng.multinomial(job.shots, probs / probs.sum())  # a noiseless QPU measures
    nz = np.flatnonzero(counts)
    return {str(int(i)): float(counts[i]) / job.shots for i in nz}


@dataclass
class EmulatedJob:
    """One job (a parent, a single circuit job, or a child of a multi-circuit job)."""

    id: str
    parsed: ParsedJob
    created: float  # wall-clock seconds
    queue_s: float
    exec_s: float
    parent_id: str | None = None
    child_ids: list[str] = field(default_factory=list)
    circuit_index: int | None = None
    artifact_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))  # opaque
    results: list[dict[str, float]] | None = None
    failure: dict[str, str] | None = None
    forced_status: str | None = None  # "canceled" or "failed"
    fail_on_completion: dict[str, str] | None = None

    def status(self, now: float, root: EmulatedJob) -> str:
        if self.forced_status:
            return self.forced_status
        if root.forced_status:
            return root.forced_status
        if now < root.created + root.queue_s:
            return "ready"
        simulating = root.results is None and root.failure is None
        if simulating or now < root.created + root.queue_s + root.exec_s:
            return "started"
        if root.failure is not None or root.fail_on_completion is not None:
            return "failed"
        if self.failure is not None:  # one circuit of a multi-circuit job failed
            return "failed"
        return "completed"


class JobStore:
    """Thread-safe store of emulated jobs, newest last."""

    def __init__(self, max_qubits: int = 26, qpu_noise: bool = True) -> None:
        self.max_qubits = max_qubits
        self.qpu_noise = qpu_noise
        self._jobs: dict[str, EmulatedJob] = {}
        self._lock = threading.Lock()

    def create(self, parsed: ParsedJob, queue_s: float, exec_s: float,
               fail: dict[str, str] | None = None) -> EmulatedJob:
        now = time.time()
        job = EmulatedJob(str(uuid.uuid4()), parsed, now, queue_s, exec_s,
                          fail_on_completion=fail)
        with self._lock:
            self._jobs[job.id] = job
            if parsed.type == "ionq.multi-circuit.v1":
                for i in range(len(parsed.circuits)):
                    child = EmulatedJob(str(uuid.uuid4()), parsed, now, queue_s, exec_s,
                                        parent_id=job.id, circuit_index=i)
                    job.child_ids.append(child.id)
                    self._jobs[child.id] = child
        return job

    def noisy(self, job: ParsedJob) -> bool:
        """Whether the job is sampled under a noise model (one trajectory per shot)."""
        try:
            return noise_rates(job, self.qpu_noise) is not None
        except UnpublishedNoiseError:
            return False  # refused when simulated

    def simulate(self, job: EmulatedJob, seed: int | None) -> None:
        """Compute every circuit's results (called off the event loop)."""
        if job.parsed.dry_run:  # priced and compiled, never run: no results
            job.results = []
            return
        rng = np.random.default_rng(seed if seed is not None else job.parsed.noise_seed)
        try:
            job.results = [run_circuit(c, job.parsed, rng, self.max_qubits, self.qpu_noise)
                           for c in job.parsed.circuits]
        except (EmulationLimitError, UnpublishedNoiseError) as exc:
            job.failure = {"code": "SimulationError", "message": f"emulator: {exc}"}
        except Exception as exc:  # noqa: BLE001 - a job failure must carry the cause, not crash
            job.failure = {"code": "InternalError", "message": f"emulator: {exc!r}"}

    def get(self, job_id: str) -> EmulatedJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def root(self, job: EmulatedJob) -> EmulatedJob:
        return self._jobs[job.parent_id] if job.parent_id else job

    def all(self) -> list[EmulatedJob]:
        with self._lock:
            return list(self._jobs.values())

    def delete(self, job_id: str) -> bool:
        with self._lock:
            job = self._jobs.pop(job_id, None)
            for child in job.child_ids if job else []:
                self._jobs.pop(child, None)
            return job is not None

    def cancel(self, job_id: str, now: float) -> bool:
        job = self.get(job_id)
        if job is None:
            return False
        if job.status(now, self.root(job)) not in TERMINAL:
            job.forced_status = "canceled"
        return True

    def status(self, job: EmulatedJob, now: float) -> str:
        return job.status(now, self.root(job))

    def results_of(self, job: EmulatedJob) -> dict[str, float] | None:
        root = self.root(job)
        if root.results is None:
            return None
        return root.results[job.circuit_index or 0]

    def results_payload(self, job: EmulatedJob) -> Any:
        """A completed job's probabilities: a histogram, or ``{child id: histogram}``."""
        if not job.child_ids:
            return self.results_of(job)
        results = self.root(job).results or []
        return {cid: r for cid, r in zip(job.child_ids, results, strict=True)
                if self._jobs[cid].failure is None}  # a failed circuit has no results

    def record(self, job: EmulatedJob, now: float, prefix: str,
               contract: str = "current") -> dict[str, Any]:
        """The job as ``GET /jobs/{id}`` returns it: every key of the v0.4 schema present.

        ``current``: results as artifact descriptors only; predicted times and ``started_at``
        null, as the live service sends them. ``legacy``: also ``results.probabilities.url``
        and filled-in predictions, as older v0.4 records had.
        """
        root = self.root(job)
        p = job.parsed
        status = self.status(job, now)
        started = root.created + root.queue_s
        done = started + root.exec_s
        multi = job.child_ids != []
        legacy = contract == "legacy"
        circuits = p.circuits if job.circuit_index is None else [p.circuits[job.circuit_index]]
        n1q, n2q = gate_counts(g for c in circuits for g in c.gates)
        results: dict[str, Any] | None = None
        if status == "completed" and not p.dry_run:
            fmt = ("ionq.result.probabilities-aggregate.json.v1" if multi
                   else "ionq.result.probabilities.json.v1")
            results = {fmt: {"id": job.artifact_id, "format": fmt,
                             "media_type": "application/json"}}
            if legacy:
                results["probabilities"] = {"url": f"{prefix}/jobs/{job.id}/results/"
                                            "probabilities" + ("/aggregated" if multi else "")}
        failure = None
        if status == "failed":
            failure = job.failure or root.failure or root.fail_on_completion
        output: dict[str, Any] = {}
        if ((p.settings or {}).get("error_mitigation") or {}).get("debiasing"):
            fmt = ("ionq.result.probabilities-aggregate.json.v1" if multi
                   else "ionq.result.probabilities.json.v1")
            output["error_mitigation"] = {
                "debiasing": {"variants": [], "aggregation_method": "average"},
                "aggregations": {name: {"id": f"{job.artifact_id}.{name}", "format": fmt,
                                        "media_type": "application/json"}
                                 for name in AGGREGATIONS} if results is not None else {}}
        return {
            "id": job.id, "status": status, "type": "ionq.circuit.v1" if not multi
            else p.type, "backend": p.backend, "dry_run": p.dry_run,
            "submitter_id": "emulator", "project_id": "emulator",
            "parent_job_id": job.parent_id, "session_id": p.session_id,
            "metadata": p.metadata if job.parent_id is None else {},
            "name": p.name if job.parent_id is None else
            (p.circuits[job.circuit_index or 0].name or None),
            "submitted_at": _iso(root.created),
            # the live service fills started_at once a job has run (IonQ's live tests), older
            # records as soon as it starts
            "started_at": _iso(started) if (now >= started if legacy
                                            else status in ("completed", "failed")) else None,
            "completed_at": _iso(done) if status in ("completed", "failed") else None,
            "predicted_wait_time_ms": round(max(0.0, started - now) * 1000) if legacy else None,
            "predicted_execution_duration_ms": round(root.exec_s * 1000) if legacy else None,
            "execution_duration_ms": round(root.exec_s * 1000) if status == "completed" else 0,
            "failure": failure, "output": output, "settings": p.settings or {}, "shots": p.shots,
            "noise": {"model": p.noise_model} if p.noise_model else None,
            "stats": {"qubits": max(c.qubits for c in circuits), "circuits": len(circuits),
                      "gate_counts": {"1q": n1q, "2q": n2q}},
            "results": results, "child_job_ids": list(job.child_ids) if multi else None,
        }
