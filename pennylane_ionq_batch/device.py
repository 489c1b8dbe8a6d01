"""The ``ionq.batch`` device: a thin shell over preprocess → compile → one job → results.

Every ``execute()`` call PennyLane makes becomes one IonQ multi-circuit job (more only when IonQ's
per-job limits, or different shot counts on a shot-measuring backend, require it; those jobs
are sent concurrently).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
import weakref
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.exceptions import DeviceError
from pennylane.measurements import Shots
from pennylane.tape import QuantumScript
from pennylane.transforms.core import CompilePipeline
from pennylane.wires import Wires

from . import deferral
from .backends import NOISE_MODELS, BackendSpec, entangler_for, lookup_backend, spec_from_catalog
from .bound import LazyOperations, bound_values, structure_token
from .client import IonQClient, JobOutcome, Plan, RunPolicy, plan_batch, run_jobs
from .client.records import SessionRecord
from .compile import StructureCache, serialize_circuit
from .compile.template import CacheStats
from .config import (
    CLIENT_OPTIONS,
    ClientConfig,
    JobOptions,
    resolve_api_key,
    resolve_api_url,
)
from .exceptions import APIError, ConfigurationError, TransportError
from .payload import SerializedCircuit
from .preprocess import build_pipeline, preprocess_by_structure, setup_execution_config
from .preprocess_cache import PreprocessCache
from .pricing import Estimate
from .qpu import Spending, open_session
from .results import batch_results, histogram_to_probs, tape_results
from .runtime import Resources, background_loop, open_journal

log = logging.getLogger("pennylane_ionq_batch")
# The embedded emulator answers on loopback in microseconds: poll it without politeness.
_EMULATOR_CLIENT = {"poll_min": 0.005, "lookup_delay": 0.05}


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
    debiased_jobs: int = 0
    estimated_cost: float = 0.0
    billed_cost: float = 0.0


@single_tape_support
class IonQBatchDevice(Device):
    """IonQ trapped-ion backends, one multi-circuit job per ``execute()``.

    Args:
        wires (int, Iterable): number of wires or their labels.
        shots (int, Sequence[int]): default shots (deprecated in PennyLane; prefer
            ``qml.set_shots`` on the QNode). ``None`` gives exact results on the simulator.
        backend (str): ``"simulator"`` (IonQ's cloud simulator, the default), a QPU such as
            ``"qpu.forte-1"``, ``"emulator"`` (an in-process emulator of the ideal simulator:
            offline, no key), or ``"emulator:<backend>"`` (the emulator impersonating that
            backend, e.g. ``"emulator:qpu.aria-1"``). Checked against IonQ's catalogue
            (``GET /backends``) before the first job.
        api_key (str): IonQ API key; else ``IONQ_API_KEY``. Not needed for the emulator.
        api_url (str): API base URL; else ``IONQ_API_URL``; else ``https://api.ionq.co/v0.4``.
        gateset (str): ``"native"`` (the default: this plugin compiles to GPI/GPI2 and MS or
            ZZ, with virtual Z and fused single-qubit runs) or ``"qis"`` (IonQ's compiler does).
        noise_model (str): simulator noise model, e.g. ``"aria-1"`` or ``"forte-1"``.
        noise_seed (int): seed of the noisy simulation.
        error_mitigation (dict): ``{"debiasing": bool, "symmetry_verification": bool}``.
            Debiasing not given follows IonQ's default (on for ``qis`` jobs of at least 500
            shots on QPUs, off otherwise) and is written out in every job.
        sharpen (bool): read debiased results sharpened (plurality voting across variants).
        job_name (str): prefix of job names (a unique token is appended to each).
        metadata (dict[str, str]): metadata attached to every job.
        job_fields (dict): IonQ job fields passed through unchanged: ``settings.compilation``
            (``gate_basis``, ``precision``, ``opt``), ``dry_run``, ``session_id``.
        max_cost (float): refuse, before any job is created, an ``execute()`` whose estimate
            exceeds this (in the unit of the backend's rate card, e.g. usd). QPUs only.
        budget (float): refuse, before any job is created, an ``execute()`` whose estimate
            exceeds what is left of this over the device's life. QPUs only.
        seed (int | str | None): seed of client-side sampling from exact probabilities. The
            default, ``"global"``, draws it from NumPy's global generator when the device is
            made, as ``default.qubit`` does (so a script that seeds NumPy gets the same
            numbers after swapping devices); ``None`` takes fresh entropy.
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
        emulator_contract (str): the embedded emulator's API shapes: ``"current"`` (IonQ's
            document: result descriptors and artifacts; the default, unless
            ``IONQ_BATCH_EMULATOR_CONTRACT`` says otherwise) or ``"legacy"`` (also the older
            ``results.probabilities.url`` and ``/aggregated`` route).
        client_options (dict): HTTP settings of :class:`~.config.ClientConfig`
            (timeouts, retries, polling bounds, pool size, proxy, CA bundle).
    """

    name = "ionq.batch"
    short_name = "ionq.batch"
    pennylane_requires = ">=0.45,<0.46"

    def __init__(
        self, wires: Any = None, shots: Any = None, *, backend: str = "simulator",
        api_key: str | None = None, api_url: str | None = None, gateset: str = "native",
        noise_model: str | None = None, noise_seed: int | None = None,
        error_mitigation: Mapping[str, bool] | None = None, sharpen: bool = False,
        job_name: str = "ionq-batch", metadata: Mapping[str, str] | None = None,
        job_fields: Mapping[str, Any] | None = None, max_cost: float | None = None,
        budget: float | None = None, seed: int | str | None = "global",
        timeout: float | None = None, client_options: Mapping[str, Any] | None = None,
        emulator_noise: bool = True, emulator_contract: str | None = None,
        structure_cache_size: int = 256,
        journal: bool | str | os.PathLike[str] | None = None, cancel_on_interrupt: bool = True,
    ) -> None:
        super().__init__(wires=wires, shots=shots)
        remote_backend, emulated = _resolve_backend(backend)
        self.options = JobOptions(backend=remote_backend, gateset=gateset,
                                  noise_model=noise_model, noise_seed=noise_seed,
                                  error_mitigation=error_mitigation, sharpen=sharpen,
                                  job_name=job_name, metadata=metadata or {},
                                  job_fields=job_fields or {})
        if seed == "global":
            seed = int(np.random.randint(0, high=10_000_000))  # as default.qubit draws it
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)
                                 or seed < 0):
            raise ConfigurationError(f"ionq.batch: seed must be a non-negative int, "
                                     f'"global" or None, got {seed!r}')
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigurationError(f"ionq.batch: timeout must be positive seconds, got "
                                     f"{timeout!r}")
        if not isinstance(structure_cache_size, int) or structure_cache_size < 1:
            raise ConfigurationError("ionq.batch: structure_cache_size must be a positive int, "
                                     f"got {structure_cache_size!r}")
        if not isinstance(client_options or {}, Mapping):
            raise ConfigurationError(f"ionq.batch: client_options must be a dict, got "
                                     f"{client_options!r}")
        extra = set(client_options or {}) - set(CLIENT_OPTIONS)
        if extra:
            raise ConfigurationError(f"ionq.batch: unknown client_options {sorted(extra)}; "
                                     f"known: {list(CLIENT_OPTIONS)}")
        if emulator_noise not in (True, False):  # 0 and 1 pass: pl-device-test sends ints
            raise ConfigurationError(f"ionq.batch: emulator_noise must be True or False, got "
                                     f"{emulator_noise!r}")
        if emulator_contract not in (None, "current", "legacy"):
            raise ConfigurationError('ionq.batch: emulator_contract must be "current" or '
                                     f'"legacy", got {emulator_contract!r}')
        if (not emulator_noise or emulator_contract is not None) and not emulated:
            raise ConfigurationError("ionq.batch: emulator_noise and emulator_contract apply "
                                     'to the emulator only, e.g. backend="emulator:qpu.forte-1"')
        for name, limit in (("max_cost", max_cost), ("budget", budget)):
            if limit is not None and (not isinstance(limit, (int, float))
                                      or isinstance(limit, bool) or not limit >= 0):
                raise ConfigurationError(f"ionq.batch: {name} must be a non-negative amount, "
                                         f"got {limit!r}")
        if cancel_on_interrupt not in (True, False):
            raise ConfigurationError("ionq.batch: cancel_on_interrupt must be True or False, "
                                     f"got {cancel_on_interrupt!r}")
        self.emulator = None
        options = dict(client_options or {})
        if emulated:
            from .emulator import embedded_emulator  # started only when asked for

            self.emulator = embedded_emulator(qpu_noise=bool(emulator_noise),
                                              contract=emulator_contract)
            api_url, api_key = self.emulator.url, api_key or "emulator"
            options = {**_EMULATOR_CLIENT, **options}
        self.client_config = ClientConfig(api_url=resolve_api_url(api_url),
                                          api_key=resolve_api_key(api_key), **options)
        self._resources = Resources(open_journal(journal, self.options.is_qpu
                                                   and not emulated))
        self._finalizer = weakref.finalize(self, self._resources.close)
        self.policy = RunPolicy(timeout=timeout, cancel_on_interrupt=bool(cancel_on_interrupt),
                                journal=self._resources.journal,
                                read_cost=self.options.is_qpu)
        self._spending = Spending(self.options.backend, self.options.is_qpu, max_cost, budget)
        self._session: SessionRecord | None = None
        self._rng = np.random.default_rng(seed)
        self._spec: BackendSpec | None = None
        self._spec_lock = threading.Lock()
        self._structures = StructureCache(structure_cache_size)
        self._preprocessed = PreprocessCache(structure_cache_size)
        self._pipeline: CompilePipeline | None = None
        self._preprocess_seen = (0, 0)  # the preprocessing cache's counts at the last record
        self._metrics: dict[str, int] = defaultdict(int)
        self._metrics_lock = threading.Lock()
        self.last_execution: ExecutionStats | None = None

    def __repr__(self) -> str:
        return (f"<IonQBatchDevice backend={self.options.backend!r} wires={self.wires} "
                f"url={self.client_config.api_url!r}>")

    def __enter__(self) -> IonQBatchDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session and the journal now (also done when the device is garbage
        collected or the interpreter exits). A closed device opens them again if used."""
        self._resources.close()

    def _get_client(self) -> IonQClient:
        return self._resources.client_for(self.client_config)

    # -- the backend, from IonQ's catalogue --------------------------------------------------
    @property
    def backend(self) -> BackendSpec:
        """The backend's qubits, native gates and error mitigations, from ``GET /backends``.

        Read once per device, before its first job. If the catalogue cannot be read, the
        built-in table answers for the backends it knows, with a warning.
        """
        if self._spec is None:
            with self._spec_lock:
                if self._spec is None:
                    self._spec = self._read_catalog()
        return self._spec

    def _read_catalog(self) -> BackendSpec:
        name = self.options.backend
        try:
            catalog = background_loop().run(self._get_client().list_backends())
        except (APIError, TransportError) as exc:
            known = lookup_backend(name)
            if known is None:
                raise
            warnings.warn(f"ionq.batch: could not read IonQ's backend catalogue ({exc}); "
                          f"using the built-in description of {name}", stacklevel=4)
            return known
        records = {r.backend: r for r in catalog}
        record = records.get(name)
        if record is None or record.status == "retired":
            available = sorted(b for b, r in records.items() if r.status != "retired")
            state = "retired" if record is not None else "not in IonQ's catalogue"
            raise ConfigurationError(f"ionq.batch: backend {name!r} is {state}; available: "
                                     f"{', '.join(available)}")
        if record.status not in ("available", "") or record.degraded:
            log.warning("ionq.batch: IonQ reports %s as %s%s", name, record.status,
                        " (degraded)" if record.degraded else "")
        return spec_from_catalog(name, record.qubits, record.native_gates,
                                 record.error_mitigations)

    # -- what it costs, sessions ----------------------------------------------------------
    @property
    def spent(self) -> float:
        """What the jobs this device created will be billed (estimated; QPUs only)."""
        return self._spending.spent

    def estimate(self, circuits: Any, *args: Any, **kwargs: Any) -> Estimate:
        """What executing ``circuits`` would cost, without sending anything.

        ``circuits``: a tape, a sequence of tapes, or a QNode (called with ``*args``,
        ``**kwargs`` to build its tape). Priced from the exact native gate counts and the
        backend's rate card (see :mod:`~pennylane_ionq_batch.pricing`).
        """
        if isinstance(circuits, qml.QNode):
            circuits = [qml.workflow.construct_tape(circuits)(*args, **kwargs)]
        elif isinstance(circuits, QuantumScript):
            circuits = [circuits]
        tapes, _ = self.preprocess_transforms()(list(circuits))
        serialized, _ = self._serialize(tapes, [self._wire_order(t) for t in tapes])
        plan = plan_batch(serialized, [t.shots.total_shots for t in tapes], self.options)
        return self._spending.price(self._get_client(), plan)

    @contextmanager
    def session(self, max_jobs: int | None = None, max_minutes: int | None = None,
                max_cost: float | None = None, *, resume: bool = True
                ) -> Iterator[SessionRecord]:
        """Run every job inside one IonQ session on this device's QPU (``POST /sessions``):
        a reserved run, so a training loop's jobs do not queue behind other users' between
        steps. IonQ enforces the limits (jobs, minutes, cost in usd). The session is ended on
        leaving the block, also on an error or Ctrl-C.

        With a journal, a session a crashed run left open is resumed if IonQ still has it
        active (``resume=False``: ended, and a new one opened).
        """
        if not self.options.is_qpu:
            raise ConfigurationError(
                f"ionq.batch: sessions reserve a QPU; {self.options.backend} has none")
        if self._session is not None:
            raise ConfigurationError("ionq.batch: this device is already in a session")
        settings: dict[str, Any] = {}
        if max_jobs is not None:
            settings["job_count_limit"] = max_jobs
        if max_minutes is not None:
            settings["duration_limit_min"] = max_minutes
        if max_cost is not None:
            settings["cost_limit"] = {"unit": "usd", "value": max_cost}
        with open_session(self._get_client(), self._resources.journal, self.options.backend,
                          settings, resume) as record:
            self._session = record
            try:
                yield record
            finally:
                self._session = None

    @property
    def max_qubits(self) -> int:
        """Qubits a circuit may use: the backend's, or fewer under a simulator noise model."""
        qubits = self.backend.qubits
        if self.options.noise_model is not None:
            qubits = min(qubits, NOISE_MODELS[self.options.noise_model].max_qubits)
        return qubits

    def entangler(self) -> str:
        """The two-qubit native gate, ``"ms"`` or ``"zz"``, from the backend's native gates."""
        return entangler_for(self.backend, self.options.noise_model)

    def setup_execution_config(self, config: ExecutionConfig | None = None,
                               circuit: QuantumScript | None = None) -> ExecutionConfig:
        return setup_execution_config(super().setup_execution_config(config, circuit))

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None
                              ) -> CompilePipeline:
        """The checks and rewrites every tape goes through before any job (reads the
        backend's catalogue entry once)."""
        if qml.capture.enabled():  # the jaxpr becomes a tape in eval_jaxpr, preprocessed there
            return CompilePipeline()
        spec = self.backend  # the catalogue is read here, before any job
        if self._pipeline is not None:
            return self._pipeline
        if self.wires is not None and len(self.wires) > self.max_qubits:
            raise ConfigurationError(
                f"ionq.batch: {len(self.wires)} wires requested but {self.options.backend} "
                f"takes circuits of at most {self.max_qubits} qubits")
        if (self.options.error_mitigation or {}).get("debiasing") and not spec.debiasing:
            raise ConfigurationError(
                f"ionq.batch: {self.options.backend} does not offer debiasing (its catalogue "
                "entry lists no such error mitigation); remove it from error_mitigation")
        pipeline = CompilePipeline()
        pipeline.add_transform(preprocess_by_structure, pipeline=build_pipeline(
            self.wires, self.options, max_qubits=self.max_qubits), cache=self._preprocessed)
        self._pipeline = pipeline
        return pipeline

    def eval_jaxpr(self, jaxpr: Any, consts: Sequence[Any], *args: Any,
                   execution_config: ExecutionConfig | None = None,
                   shots: Any = None) -> list[Any]:
        """Run a captured program (``qml.capture.enable()``): as a tape, through the same
        preprocessing and one job, like any other execution."""
        shots = Shots(shots)
        if shots.has_partitioned_shots:
            raise DeviceError(f"{self.name}: shot vectors are not supported with program "
                              "capture (as on default.qubit)")
        # plxpr_to_tape pauses capture itself, and its pause() re-enables it on exit (pause is
        # not reentrant): convert first, then pause for the pipeline.
        tape = qml.tape.plxpr_to_tape(jaxpr, consts, *args, shots=shots)
        with qml.capture.pause():
            tapes, postprocess = self.preprocess_transforms(execution_config)((tape,))
            (result,) = postprocess(self.execute(tapes, execution_config))
        return list(result) if len(tape.measurements) > 1 else [result]

    # -- execution ---------------------------------------------------------------------------
    def _wire_order(self, tape: QuantumScript) -> Wires:
        if self.wires is None:
            return tape.wires
        return Wires([w for w in self.wires if w in tape.wires])

    def _serialize(self, circuits: Sequence[QuantumScript], wire_orders: Sequence[Wires]
                   ) -> tuple[list[SerializedCircuit], CacheStats]:
        if self.options.gateset == "native":  # bound tapes are compiled from their values
            return self._structures.serialize(
                LazyOperations(circuits), wire_orders, self.entangler(),
                [structure_token(t) for t in circuits], [bound_values(t) for t in circuits])
        return ([serialize_circuit(t.operations, w) for t, w in zip(circuits, wire_orders,
                                                                     strict=True)], CacheStats())

    def execute(self, circuits: Sequence[QuantumScript],
                execution_config: ExecutionConfig | None = None) -> tuple[Any, ...]:
        """Execute preprocessed tapes as one IonQ job (more only when IonQ's limits or shot
        counts require it); inside a ``BatchSPSAOptimizer`` step, record them instead."""
        session = deferral.active()
        if session is not None:  # an optimizer step is gathering circuits into one batch
            return session.intercept(self, circuits)
        return self.execute_now(circuits)

    def placeholder_results(self, circuits: Sequence[QuantumScript]) -> tuple[Any, ...]:
        """Results shaped like real ones, for an optimizer's recording pass (see
        :mod:`~pennylane_ionq_batch.deferral`): from probabilities that are all different and
        non-zero, so expectation values are never exactly 0 and a cost's branches on them
        usually go the way they will with real results."""
        out, rng = [], np.random.default_rng(0)  # not the device's: keep its draws unchanged
        for tape in circuits:
            wires = self._wire_order(tape)
            weights = 1.0 + np.mod(np.arange(1, 2 ** len(wires) + 1) * 0.6180339887, 1.0)
            out.append(tape_results(tape, weights / weights.sum(), wires, rng, exact=True))
        return tuple(out)

    def execute_now(self, circuits: Sequence[QuantumScript]) -> tuple[Any, ...]:
        """Execute for real, even inside an optimizer's recorded step."""
        wire_orders = [self._wire_order(t) for t in circuits]
        serialized, cache = self._serialize(circuits, wire_orders)
        plan = plan_batch(serialized, [t.shots.total_shots for t in circuits], self.options,
                          self._session.id if self._session is not None else None)
        client = self._get_client()
        cost = self._spending.check(client, plan) if self.options.is_qpu else None
        outcome = JobOutcome(histograms=[])
        try:
            if plan.jobs:
                background_loop().run(run_jobs(client, list(plan.jobs), self.policy, outcome))
        finally:
            if cost is not None:  # what the jobs that were created will be billed
                self._spending.charge(client, plan, outcome.created)
            self._count(len(circuits), plan.circuits_sent, cache)
            self._record(circuits, plan, outcome, cache, cost)
        histograms = plan.histograms(outcome.histograms)
        shared: dict[int, np.ndarray] = {}  # duplicates share a histogram: convert it once
        probs = []
        for i, slot in enumerate(plan.slots):
            if slot < 0:  # answered here (empty circuits): each over its own qubits
                probs.append(histogram_to_probs(histograms[i], serialized[i].qubits))
                continue
            if slot not in shared:
                shared[slot] = histogram_to_probs(histograms[i], serialized[i].qubits)
            probs.append(shared[slot])
        return tuple(batch_results(circuits, probs, wire_orders, self._rng,
                                   exact=not self.options.noisy))

    @property
    def metrics(self) -> dict[str, int]:
        """Totals over this device's life: structure caches' use and duplicates."""
        pre = self._preprocessed.stats
        return {**self._metrics, "structures_cached": len(self._structures),
                "preprocess_cache_hits": pre.hits, "preprocess_cache_misses": pre.misses,
                "preprocessed_structures_cached": len(self._preprocessed)}

    def _count(self, n: int, sent: int, cache: CacheStats) -> None:
        with self._metrics_lock:
            for key, value in (("circuits", n), ("circuits_sent", sent),
                               ("circuits_deduplicated", n - sent),
                               ("structure_cache_hits", cache.hits),
                               ("structure_cache_misses", cache.misses)):
                self._metrics[key] += value

    def _record(self, circuits: Sequence[QuantumScript], plan: Plan, outcome: JobOutcome,
                cache: CacheStats, cost: Estimate | None) -> None:
        timings = [outcome.timings[k] for k in outcome.created]
        stats = outcome.stats
        self.last_execution = ExecutionStats(
            circuits=len(circuits), circuits_sent=plan.circuits_sent,
            jobs=len(outcome.job_ids), http_requests=stats.requests,
            queue_s=max((t.queue_s for t in timings), default=0.0),
            execution_s=max((t.execution_s for t in timings), default=0.0),
            round_trip_s=max((t.round_trip_s for t in timings), default=0.0),
            debiased_jobs=sum(job.debiasing for job in plan.jobs),
            estimated_cost=cost.total if cost is not None else 0.0,
            billed_cost=sum(outcome.billed))
        if not self.tracker.active:
            return
        last = self.last_execution
        pre = self._preprocessed.stats
        pre_hits, pre_misses = pre.hits - self._preprocess_seen[0], \
            pre.misses - self._preprocess_seen[1]
        self._preprocess_seen = (pre.hits, pre.misses)
        self.tracker.update(
            preprocess_cache_hits=pre_hits, preprocess_cache_misses=pre_misses,
            batches=1, executions=len(circuits), batch_len=len(circuits),
            circuits_sent=last.circuits_sent, structure_cache_hits=cache.hits,
            structure_cache_misses=cache.misses, jobs=last.jobs,
            job_ids=list(outcome.job_ids), debiased_jobs=last.debiased_jobs,
            http_requests=last.http_requests, http_retries=stats.retries,
            estimated_cost=last.estimated_cost, cost=last.billed_cost,
            job_queue_seconds=last.queue_s, job_execution_seconds=last.execution_s,
            job_round_trip_seconds=last.round_trip_s)
        for tape in circuits:
            if tape.shots:
                self.tracker.update(shots=tape.shots.total_shots)
        self.tracker.record()
