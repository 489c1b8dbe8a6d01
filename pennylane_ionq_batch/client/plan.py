"""Planning a batch, as pure functions: which circuits go out, in which jobs, with which bodies.

``plan_batch`` takes a batch's serialised circuits and their shots and returns a :class:`Plan`:
the job requests to send, and for every circuit where its histogram comes from. Nothing here
does I/O, so every rule is unit-tested on its own:

- a circuit with no gates is answered here when results are exact (all probability on
  ``|0…0⟩``) and sent as two cancelling pulses when they are measured;
- with exact results, identical circuits are sent once and share their result (a measured
  backend keeps duplicates: each run is an independent sample);
- the ideal simulator's probabilities do not depend on shots, so one job serves any mix of
  shots; a measuring backend takes one shot count (and one debiasing setting) per job;
- each group is split, in order, into chunks under IonQ's per-job limits;
- each chunk's body is assembled from the circuits' bytes (never encoded twice).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import MAX_BODY_BYTES, MAX_CIRCUITS_PER_JOB, MAX_GATES_PER_JOB, JobOptions
from ..exceptions import CompilationError
from ..payload import SerializedCircuit, identity_circuit
from .records import Histogram

GROUND = Histogram({"0": 1.0})  # an empty circuit's exact result
_BODY_OVERHEAD = 4096  # bytes reserved for everything in a body except the circuits


@dataclass(frozen=True)
class JobRequest:
    """One job to send: its complete body and what is needed to read its results back."""

    body: bytes
    name: str
    n_circuits: int
    multi: bool
    backend: str = "simulator"
    fingerprint: str = ""  # a hash of everything that decides the results (not the name)
    debiasing: bool = False
    sharpen: bool = False  # read debiased results with sharpen=true
    aggregation: str | None = None  # read debiased results as this aggregation artifact
    shots: int | None = None
    circuits: tuple[SerializedCircuit, ...] = ()  # what it prices: gate counts, qubits


@dataclass(frozen=True)
class Plan:
    """The jobs of a batch and, per circuit, the index of its histogram among the jobs'
    results (concatenated in job order), or -1 when it was answered without a job."""

    jobs: tuple[JobRequest, ...]
    slots: tuple[int, ...]

    @property
    def circuits_sent(self) -> int:
        return sum(job.n_circuits for job in self.jobs)

    def histograms(self, results: Sequence[Histogram]) -> list[Histogram]:
        """Every circuit's histogram, in the batch's order."""
        return [results[k] if k >= 0 else GROUND for k in self.slots]


def plan_chunks(
    circuits: Sequence[SerializedCircuit], *, max_circuits: int = MAX_CIRCUITS_PER_JOB,
    max_gates: int = MAX_GATES_PER_JOB, max_bytes: int = MAX_BODY_BYTES,
) -> list[range]:
    """Split circuits, in order, into consecutive chunks that each fit one job."""
    chunks: list[range] = []
    start, gates, size = 0, 0, _BODY_OVERHEAD
    for i, c in enumerate(circuits):
        if c.gates > max_gates or len(c.body) + _BODY_OVERHEAD > max_bytes:
            raise CompilationError(
                f"ionq.batch: circuit {i} alone exceeds IonQ's per-job limits "
                f"({c.gates} gates, {len(c.body)} bytes; limits {max_gates} gates, {max_bytes} B)")
        if i > start and (i - start >= max_circuits or gates + c.gates > max_gates
                          or size + len(c.body) + 1 > max_bytes):
            chunks.append(range(start, i))
            start, gates, size = i, 0, _BODY_OVERHEAD
        gates += c.gates
        size += len(c.body) + 1
    if len(circuits) > start:
        chunks.append(range(start, len(circuits)))
    return chunks


def new_job_name(prefix: str) -> str:
    """A unique name token, so a job can be found again after a lost answer."""
    return f"{prefix}-{uuid.uuid4().hex}"


def build_job(
    options: JobOptions, circuits: Sequence[SerializedCircuit], *, shots: int | None,
    session_id: str | None = None,
) -> JobRequest:
    """Assemble the ``POST /jobs`` body without re-serialising the circuits.

    ``settings.error_mitigation.debiasing`` is always written out, so what IonQ does never
    depends on a server default.
    """
    name = new_job_name(options.job_name)
    multi = len(circuits) > 1
    head: dict[str, Any] = {
        "type": "ionq.multi-circuit.v1" if multi else "ionq.circuit.v1",
        "backend": options.backend,
        "name": name,
        "metadata": {**options.metadata, "client_token": name, "circuits": str(len(circuits))},
        **{k: v for k, v in options.job_fields.items() if k != "settings"},
        "settings": options.settings(shots),
    }
    if session_id is not None:
        head["session_id"] = session_id
    if shots is not None:  # IonQ rejects "shots": null; omit the key instead
        head["shots"] = shots
    if options.noise_model is not None:
        head["noise"] = {"model": options.noise_model}
        if options.noise_seed is not None:
            head["noise"]["seed"] = options.noise_seed
    qubits = max(c.qubits for c in circuits)
    prefix = json.dumps(head, separators=(",", ":"))[:-1].encode()
    gateset = json.dumps(options.gateset).encode()
    if multi:
        inner = b'{"gateset":%s,"qubits":%d,"circuits":[%s]}' % (
            gateset, qubits, b",".join(c.body for c in circuits))
    else:  # a circuit object {"qubits":..,"circuit":[..]} is already input's shape
        inner = b'{"gateset":%s,%s' % (gateset, circuits[0].body.lstrip()[1:])
    body = prefix + b',"input":' + inner + b"}"
    same = {**head, "name": None, "metadata": {**head["metadata"], "client_token": None}}
    fingerprint = hashlib.sha256(json.dumps(same, sort_keys=True).encode() + inner).hexdigest()
    debiased = head["settings"]["error_mitigation"]["debiasing"]
    return JobRequest(body=body, name=name, n_circuits=len(circuits), multi=multi,
                      backend=options.backend, fingerprint=fingerprint, debiasing=debiased,
                      sharpen=options.sharpen and debiased,
                      aggregation=options.aggregation if debiased else None, shots=shots,
                      circuits=tuple(circuits))


def plan_batch(circuits: Sequence[SerializedCircuit], shots: Sequence[int | None],
               options: JobOptions, session_id: str | None = None) -> Plan:
    """The jobs that answer ``circuits`` (run with ``shots[i]`` shots each), inside the IonQ
    session ``session_id`` if given."""
    exact = not options.noisy
    sent: list[SerializedCircuit] = []
    slot_of_sent: list[int] = []  # circuit index of each sent circuit
    first: dict[bytes, int] = {}
    source: list[int] = []  # per circuit: index into `sent`, or -1
    for i, circuit in enumerate(circuits):
        if circuit.gates == 0:
            if exact:
                source.append(-1)
                continue
            circuit = identity_circuit(circuit.qubits, options.gateset)
        if exact and circuit.body in first:
            source.append(first[circuit.body])
            continue
        first.setdefault(circuit.body, len(sent))
        source.append(len(sent))
        sent.append(circuit)
        slot_of_sent.append(i)
    groups: dict[int | None, list[int]] = {}
    for k, i in enumerate(slot_of_sent):
        groups.setdefault(None if exact else shots[i], []).append(k)
    jobs: list[JobRequest] = []
    position = [0] * len(sent)  # where each sent circuit's result lands
    offset = 0
    for group_shots, members in groups.items():
        for chunk in plan_chunks([sent[k] for k in members]):
            picked = [members[j] for j in chunk]
            jobs.append(build_job(options, [sent[k] for k in picked], shots=group_shots,
                                  session_id=session_id))
            for k in picked:
                position[k] = offset
                offset += 1
    return Plan(tuple(jobs), tuple(position[k] if k >= 0 else -1 for k in source))
