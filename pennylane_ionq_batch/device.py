"""The ``ionq.batch`` device: a thin shell over preprocess → compile → one job → results.

Every ``execute()`` call PennyLane makes becomes one IonQ multi-circuit job (more only when IonQ's
per-job limits, or different shot counts on a shot-measuring backend, require it; those jobs
are sent concurrently).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.tape import QuantumScript
from pennylane.wires import Wires

from . import deferral
from .backends import BackendSpec, entangler_for, lookup_backend
from .client import (
    IonQClient,
    JobOutcome,
    Journal,
    RunPolicy,
    build_job,
    fetch_backend,
    plan_chunks,
    run_jobs,
)
from .client.journal import default_path
from .compile import StructureCache, serialize_circuit
from .compile.template import CacheStats
from .config import ClientConfig, JobOptions, resolve_api_key, resolve_api_url
from .exceptions import APIError, ConfigurationError, TransportError
from .payload import SerializedCircuit
from .preprocess import build_pipeline
from .results import histogram_to_probs, tape_results
from .runtime import background_loop

log = logging.getLogger("pennylane_ionq_batch")
_CLIENT_OPTIONS = ("connect_timeout", "read_timeout", "max_retries", "backoff_base",
                   "backoff_cap", "poll_min", "poll_max", "max_connections", "allow_insecure")


def _resolve_backend(backend: str) -> tuple[str, bool]:
    """("emulator:qpu.aria-1") → ("qpu.aria-1", True); ("emulator") → ("simulator", True)."""
    if not isinstance(backend, str):
        raise ConfigurationError(f"ionq.batch: backend must be a string, got {backend!r}")
    if backend == "emulator":
        return "simulator", True
    if backend.startswith("emulator:"):
        return backend.split(":", 1)[1], True
    return backend, False


@dataclass(frozen=True)
class ExecutionStats:
    """What the last ``execute()`` cost: circuits, jobs, and IonQ's time (slowest job)."""

    circuits: int
    circuits_sent: int
    jobs: int
    http_requests: int
    queue_s: float
    execution_s: float
    round_trip_s: float


def _open_journal(journal: Any, is_qpu: bool) -> Journal | None:
    if journal is None:
        journal = is_qpu
    if journal is False:
        return None
    if journal is True:
        return Journal(default_path())
    if isinstance(journal, (str, os.PathLike)):
        return Journal(journal)
    raise ConfigurationError(f"ionq.batch: journal must be True, False or a file path, got "
                             f"{journal!r}")


def _close_client(client: IonQClient) -> None:
    loop = background_loop().loop
    if not loop.is_closed():
        loop.call_soon_threadsafe(lambda: loop.create_task(client.close()))


@single_tape_support
class IonQBatchDevice(Device):
    """IonQ trapped-ion backends, one multi-circuit job per ``execute()``.

    Args:
        wires (int, Iterable): number of wires or their labels.
        shots (int, Sequence[int]): default shots (deprecated in PennyLane; prefer
            ``qml.set_shots`` on the QNode). ``None`` gives exact results on the simulator.
        backend (str): ``"simulator"`` (IonQ's cloud simulator, the default), a QPU such as
            ``"qpu.aria-1"`` or ``"qpu.forte-1"``, ``"emulator"`` (an in-process emulator of the
            ideal simulator: offline, no key), or ``"emulator:<backend>"`` (the emulator
            impersonating that backend, e.g. ``"emulator:qpu.aria-1"``).
        api_key (str): IonQ API key; else ``IONQ_API_KEY``. Not needed for the emulator.
        api_url (str): API base URL; else ``IONQ_API_URL``; else ``https://api.ionq.co/v0.4``.
        gateset (str): ``"native"`` (the default: this plugin compiles to GPI/GPI2 and MS or
            ZZ, with virtual Z and fused single-qubit runs) or ``"qis"`` (IonQ's compiler does).
        noise_model (str): simulator noise model, e.g. ``"aria-1"`` or ``"forte-1"``.
        noise_seed (int): seed of the noisy simulation.
        error_mitigation (dict): e.g. ``{"debiasing": True}`` (QPUs, ≥ 500 shots).
        job_name (str): prefix of job names (a unique token is appended to each).
        metadata (dict[str, str]): metadata attached to every job.
        seed (int): seed of client-side sampling from exact probabilities.
        timeout (float): seconds one ``execute()`` may wait; its jobs are canceled after.
        structure_cache_size (int): how many compiled circuit structures to keep (LRU).
        journal (bool | str): a file recording jobs in flight, so that running the same batch
            after a crash or interrupt adopts their results instead of paying again. Default:
            on for QPUs (in the user's cache directory), off otherwise; True, False or a path.
        cancel_on_interrupt (bool): cancel this call's remote jobs on Ctrl-C or ``timeout``
            (default); False leaves them running for a later run to collect (with a journal,
            by simply running the same execute again).
        emulator_noise (bool): with ``"emulator:<qpu>"``, sample with the QPU's published noise
            model (the default) or, if False, without noise (shots are still sampled).
        client_options (dict): HTTP settings of :class:`~.config.ClientConfig`
            (timeouts, retries, polling bounds, pool size).
    """

    name = "ionq.batch"
    short_name = "ionq.batch"
    pennylane_requires = ">=0.45,<0.46"

    def __init__(
        self, wires: Any = None, shots: Any = None, *, backend: str = "simulator",
        api_key: str | None = None, api_url: str | None = None, gateset: str = "native",
        noise_model: str | None = None, noise_seed: int | None = None,
        error_mitigation: Mapping[str, bool] | None = None, job_name: str = "ionq-batch",
        metadata: Mapping[str, str] | None = None, seed: int | None = None,
        timeout: float | None = None, client_options: Mapping[str, Any] | None = None,
        emulator_noise: bool = True, structure_cache_size: int = 256,
        journal: bool | str | os.PathLike[str] | None = None, cancel_on_interrupt: bool = True,
    ) -> None:
        super().__init__(wires=wires, shots=shots)
        remote_backend, emulated = _resolve_backend(backend)
        self.options = JobOptions(backend=remote_backend, gateset=gateset,
                                  noise_model=noise_model, noise_seed=noise_seed,
                                  error_mitigation=error_mitigation, job_name=job_name,
                                  metadata=metadata or {})
        self.backend: BackendSpec = lookup_backend(remote_backend)
        if self.wires is not None and len(self.wires) > self.backend.qubits:
            raise ConfigurationError(
                f"ionq.batch: {len(self.wires)} wires requested but {remote_backend} has "
                f"{self.backend.qubits} qubits")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)
                                 or seed < 0):
            raise ConfigurationError(f"ionq.batch: seed must be a non-negative int, got "
                                     f"{seed!r}")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigurationError(f"ionq.batch: timeout must be positive seconds, got "
                                     f"{timeout!r}")
        if not isinstance(structure_cache_size, int) or structure_cache_size < 1:
            raise ConfigurationError("ionq.batch: structure_cache_size must be a positive int, "
                                     f"got {structure_cache_size!r}")
        extra = set(client_options or {}) - set(_CLIENT_OPTIONS)
        if extra:
            raise ConfigurationError(f"ionq.batch: unknown client_options {sorted(extra)}; "
                                     f"known: {list(_CLIENT_OPTIONS)}")
        if emulator_noise not in (True, False):  # 0 and 1 pass: pl-device-test sends ints
            raise ConfigurationError(f"ionq.batch: emulator_noise must be True or False, got "
                                     f"{emulator_noise!r}")
        if not emulator_noise and not emulated:
            raise ConfigurationError("ionq.batch: emulator_noise=False applies to the emulator "
                                     'only, e.g. backend="emulator:qpu.forte-1"')
        self.emulator = None
        if emulated:
            from .emulator import embedded_emulator  # started only when asked for

            self.emulator = embedded_emulator(qpu_noise=bool(emulator_noise))
            api_url, api_key = self.emulator.url, api_key or "emulator"
        self.client_config = ClientConfig(api_url=resolve_api_url(api_url),
                                          api_key=resolve_api_key(api_key),
                                          **dict(client_options or {}))
        if cancel_on_interrupt not in (True, False):
            raise ConfigurationError("ionq.batch: cancel_on_interrupt must be True or False, "
                                     f"got {cancel_on_interrupt!r}")
        self.policy = RunPolicy(timeout=timeout, cancel_on_interrupt=bool(cancel_on_interrupt),
                                journal=_open_journal(journal, self.backend.is_qpu
                                                      and not emulated))
        self._rng = np.random.default_rng(seed)
        self._client: IonQClient | None = None
        self._entangler: str | None = None
        self._structures = StructureCache(structure_cache_size)
        self._metrics: dict[str, int] = defaultdict(int)
        self._metrics_lock = threading.Lock()
        self.last_execution: ExecutionStats | None = None

    def __repr__(self) -> str:
        return (f"<IonQBatchDevice backend={self.options.backend!r} wires={self.wires} "
                f"url={self.client_config.api_url!r}>")

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None):
        return build_pipeline(self.wires, self.options)

    # -- execution ---------------------------------------------------------------------------
    def _wire_order(self, tape: QuantumScript) -> Wires:
        if self.wires is None:
            return tape.wires
        return Wires([w for w in self.wires if w in tape.wires])

    def _get_client(self) -> IonQClient:
        if self._client is None:
            self._client = IonQClient(self.client_config)
            weakref.finalize(self, _close_client, self._client)
        return self._client

    def entangler(self) -> str:
        """The two-qubit native gate, ``"ms"`` or ``"zz"``; a QPU's is read from ``GET /backends``.

        Asked once per device. If the catalog cannot be read, the built-in table decides (it
        names the same gate for every known backend) and a warning says so.
        """
        if self._entangler is None:
            supported = None
            if self.backend.is_qpu:
                name = self.options.backend
                try:
                    record = background_loop().run(fetch_backend(self._get_client(), name))
                    supported = record.get("supported_native_gates")
                except (APIError, TransportError) as exc:
                    log.warning("ionq.batch: could not read %s's native gates (%s); using the "
                                "built-in table", name, exc)
            self._entangler = entangler_for(self.backend, self.options.noise_model, supported)
        return self._entangler

    def _serialize(self, circuits: Sequence[QuantumScript], wire_orders: Sequence[Wires]
                   ) -> tuple[list[SerializedCircuit], CacheStats]:
        if self.options.gateset == "native":
            return self._structures.serialize([t.operations for t in circuits], wire_orders,
                                              self.entangler())
        return ([serialize_circuit(t.operations, w) for t, w in zip(circuits, wire_orders,
                                                                     strict=True)], CacheStats())

    def execute(self, circuits: Sequence[QuantumScript],
                execution_config: ExecutionConfig | None = None) -> tuple[Any, ...]:
        session = deferral.active()
        if session is not None:  # an optimizer step is gathering circuits into one batch
            return session.intercept(self, circuits, self._execute, self._placeholders)
        return self._execute(circuits)

    def _placeholders(self, circuits: Sequence[QuantumScript]) -> tuple[Any, ...]:
        """Results of uniform probabilities, shaped like real ones, for a recording pass."""
        out, rng = [], np.random.default_rng(0)  # not the device's: keep its draws unchanged
        for tape in circuits:
            wires = self._wire_order(tape)
            probs = np.full(2 ** len(wires), 1.0 / 2 ** len(wires))
            out.append(tape_results(tape, probs, wires, rng, exact=True))
        return tuple(out)

    def _execute(self, circuits: Sequence[QuantumScript]) -> tuple[Any, ...]:
        wire_orders = [self._wire_order(t) for t in circuits]
        serialized, cache = self._serialize(circuits, wire_orders)
        # With exact probabilities, identical circuits are sent once and share their result.
        # Measured backends keep duplicates: each run is an independent sample.
        first: dict[bytes, int] = {}
        source = [i if self.options.noisy else first.setdefault(s.body, i)
                  for i, s in enumerate(serialized)]
        unique = [i for i, j in enumerate(source) if i == j]
        # The ideal simulator returns exact probabilities whatever the shots, so one job serves
        # tapes with any shots; measuring backends take one shot count per job.
        groups: dict[int | None, list[int]] = defaultdict(list)
        for i in unique:
            groups[circuits[i].shots.total_shots if self.options.noisy else None].append(i)
        jobs, order = [], []
        for shots, members in groups.items():
            for chunk in plan_chunks([serialized[i] for i in members]):
                picked = [members[j] for j in chunk]
                jobs.append(build_job(self.options, [serialized[i] for i in picked],
                                      shots=shots))
                order.extend(picked)
        outcome: JobOutcome | None = None
        try:
            outcome = background_loop().run(run_jobs(self._get_client(), jobs, self.policy))
        finally:
            self._count(len(circuits), len(unique), cache)
            self._record(circuits, outcome, len(unique), cache)
        probs = {i: histogram_to_probs(hist, serialized[i].qubits)
                 for i, hist in zip(order, outcome.histograms, strict=True)}
        return tuple(tape_results(tape, probs[source[i]], wire_orders[i], self._rng,
                                  exact=not self.options.noisy)
                     for i, tape in enumerate(circuits))

    @property
    def metrics(self) -> dict[str, int]:
        """Totals over this device's life: compiled-structure cache use and duplicates."""
        return {**self._metrics, "structures_cached": len(self._structures)}

    def _count(self, n: int, sent: int, cache: CacheStats) -> None:
        with self._metrics_lock:
            for key, value in (("circuits", n), ("circuits_sent", sent),
                               ("circuits_deduplicated", n - sent),
                               ("structure_cache_hits", cache.hits),
                               ("structure_cache_misses", cache.misses)):
                self._metrics[key] += value

    def _record(self, circuits: Sequence[QuantumScript], outcome: JobOutcome | None,
                sent: int, cache: CacheStats) -> None:
        timings = outcome.timings if outcome else []
        stats = outcome.stats if outcome else None
        self.last_execution = ExecutionStats(
            circuits=len(circuits), circuits_sent=sent,
            jobs=len(outcome.job_ids) if outcome else 0,
            http_requests=stats.requests if stats else 0,
            queue_s=max((t.queue_s for t in timings), default=0.0),
            execution_s=max((t.execution_s for t in timings), default=0.0),
            round_trip_s=max((t.round_trip_s for t in timings), default=0.0))
        if not self.tracker.active:
            return
        last = self.last_execution
        self.tracker.update(
            batches=1, executions=len(circuits), batch_len=len(circuits), circuits_sent=sent,
            structure_cache_hits=cache.hits, structure_cache_misses=cache.misses,
            jobs=last.jobs, job_ids=list(outcome.job_ids) if outcome else [],
            http_requests=last.http_requests, http_retries=stats.retries if stats else 0,
            job_queue_seconds=last.queue_s, job_execution_seconds=last.execution_s,
            job_round_trip_seconds=last.round_trip_s)
        for tape in circuits:
            if tape.shots:
                self.tracker.update(shots=tape.shots.total_shots)
        self.tracker.record()
