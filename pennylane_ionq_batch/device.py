"""The ``ionq.batch`` device: a thin shell over preprocessing and the execution core.

Every ``execute()`` call PennyLane makes becomes one IonQ multi-circuit job (more only when
IonQ's per-job limits, or different shot counts on a shot-measuring backend, require it; those
jobs are sent concurrently). What happens to a batch is :func:`.execution.run_batch`; the
device holds what lives across batches: options, the HTTP client and journal, the caches,
spending, and the backend's catalogue entry.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.modifiers import single_tape_support
from pennylane.exceptions import DeviceError
from pennylane.math import Interface
from pennylane.measurements import Shots
from pennylane.tape import QuantumScript
from pennylane.transforms.core import CompilePipeline

from . import derivatives, execution, recording
from .backends import NOISE_MODELS, BackendSpec, entangler_for, resolve_backend
from .client import IonQClient, RunPolicy
from .client.records import BackendRecord, SessionRecord
from .compile import StructureCache
from .config import DeviceOptions, JobOptions, client_config, parse_backend
from .exceptions import ConfigurationError, DeadlineError
from .preprocess.cache import PreprocessCache, fingerprint
from .preprocess.transforms import (
    build_pipeline,
    check_device,
    preprocess_by_structure,
    setup_execution_config,
)
from .pricing import Estimate
from .progress import JobProgress, WaitReporter
from .runtime import Resources, background_loop, open_journal
from .spending import Spending, open_session, session_settings
from .stats import ExecutionStats

# The embedded emulator answers on loopback in microseconds: poll it without politeness.
_EMULATOR_CLIENT = {"poll_min": 0.005, "lookup_delay": 0.05}


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
        aggregation (str): read debiased results as this aggregation of the debiasing
            variants: ``"average"``, ``"voting"``, ``"dnl"`` or ``"majority"`` (the
            artifacts IonQ's job records name); None: IonQ's default.
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
        progress (bool | callable): while jobs wait more than a couple of seconds, show their
            status, IonQ's predicted wait and the time elapsed on standard error, updated in
            place (the default, True); False for silence; or a function that receives every
            status poll as a :class:`~.progress.JobProgress`.
    """

    name = "ionq.batch"
    short_name = "ionq.batch"
    pennylane_requires = ">=0.45,<0.46"

    def __init__(
        self, wires: Any = None, shots: Any = None, *, backend: str = "simulator",
        api_key: str | None = None, api_url: str | None = None, gateset: str = "native",
        noise_model: str | None = None, noise_seed: int | None = None,
        error_mitigation: Mapping[str, bool] | None = None, sharpen: bool = False,
        aggregation: str | None = None,
        job_name: str = "ionq-batch", metadata: Mapping[str, str] | None = None,
        job_fields: Mapping[str, Any] | None = None, max_cost: float | None = None,
        budget: float | None = None, seed: int | str | None = "global",
        timeout: float | None = None, client_options: Mapping[str, Any] | None = None,
        emulator_noise: bool = True, emulator_contract: str | None = None,
        structure_cache_size: int = 256,
        journal: bool | str | os.PathLike[str] | None = None, cancel_on_interrupt: bool = True,
        progress: bool | Callable[[JobProgress], None] = True,
    ) -> None:
        super().__init__(wires=wires, shots=shots)
        self._arguments = {k: v for k, v in locals().items()  # what a copy is made from
                           if k not in ("self", "__class__")}
        remote_backend, emulated = parse_backend(backend)
        self.options = JobOptions(backend=remote_backend, gateset=gateset,
                                  noise_model=noise_model, noise_seed=noise_seed,
                                  error_mitigation=error_mitigation, sharpen=sharpen,
                                  aggregation=aggregation,
                                  job_name=job_name, metadata=metadata or {},
                                  job_fields=job_fields or {})
        if seed == "global":
            seed = int(np.random.randint(0, high=10_000_000))  # as default.qubit draws it
            self._arguments["seed"] = seed  # a copy samples as this device does
        self.device_options = opts = DeviceOptions(
            emulated=emulated, seed=seed, timeout=timeout,  # type: ignore[arg-type]
            max_cost=max_cost, budget=budget, structure_cache_size=structure_cache_size,
            journal=journal, cancel_on_interrupt=cancel_on_interrupt,
            emulator_noise=emulator_noise, emulator_contract=emulator_contract, progress=progress)
        self.emulator = None
        if emulated:
            from .emulator import embedded_emulator  # started only when asked for

            self.emulator = embedded_emulator(qpu_noise=bool(emulator_noise),
                                              contract=emulator_contract)
            api_url, api_key = self.emulator.url, api_key or "emulator"
        self.client_config = client_config(api_url, api_key, client_options,
                                           _EMULATOR_CLIENT if emulated else None)
        self._resources = Resources(open_journal(journal, self.options.is_qpu and not emulated))
        self._finalizer = weakref.finalize(self, self._resources.close)
        self.policy = RunPolicy(timeout=timeout, cancel_on_interrupt=bool(cancel_on_interrupt),
                                journal=self._resources.journal, read_cost=self.options.is_qpu,
                                progress=progress if callable(progress)
                                else WaitReporter() if progress else None)
        self._spending = Spending(self.options.backend, self.options.is_qpu, max_cost, budget)
        self._session: SessionRecord | None = None
        self._rng = np.random.default_rng(opts.seed)
        self._spec: BackendSpec | None = None
        self._lock = threading.Lock()  # the catalogue entry; the totals
        self._structures = StructureCache(structure_cache_size)
        self._preprocessed = PreprocessCache(structure_cache_size)
        self._pipelines: dict[bool, CompilePipeline] = {}  # by: parameters traced by autodiff
        self._preprocess_seen = (0, 0)  # the preprocessing cache's counts at the last record
        self._totals = ExecutionStats()
        self.last_execution: ExecutionStats | None = None

    def __repr__(self) -> str:
        return (f"<IonQBatchDevice backend={self.options.backend!r} wires={self.wires} "
                f"url={self.client_config.api_url!r}>")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (and deep-copied) as the arguments it was made with: the copy builds its
        own client, journal connection, caches and, for ``backend="emulator"``, emulator,
        when it first needs them, in whatever process it lands. The API key travels only if
        it was passed as ``api_key=`` (otherwise the copy reads ``IONQ_API_KEY`` where it
        runs); a ``progress`` function must itself pickle."""
        return _rebuild, (self._arguments,)

    def __enter__(self) -> IonQBatchDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session and the journal now (also done when the device is garbage
        collected or the interpreter exits). A closed device opens them again if used."""
        self._resources.close()

    def _client(self) -> IonQClient:
        return self._resources.client_for(self.client_config)

    # -- the backend, from IonQ's catalogue --------------------------------------------------
    @property
    def backend(self) -> BackendSpec:
        """The backend's qubits, native gates and error mitigations, from ``GET /backends``.

        Read once per device, before its first job (see :func:`~.backends.resolve_backend`).
        """
        if self._spec is None:
            with self._lock:
                if self._spec is None:
                    self._spec = resolve_backend(self.options.backend, self._read_catalog)
        return self._spec

    def _read_catalog(self) -> list[BackendRecord]:
        timeout = self.device_options.timeout
        try:
            return background_loop().run(self._client().list_backends(),
                                         None if timeout is None else time.monotonic() + timeout)
        except TimeoutError:
            raise DeadlineError(f"ionq.batch: IonQ's API ({self.client_config.api_url}) did not "
                                f"answer GET /backends within timeout={timeout:g} s; nothing "
                                "was sent") from None

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
        plan, *_ = execution.plan_tapes(tapes, self._context())
        return self._spending.price(self._client(), plan)

    @contextmanager
    def session(self, max_jobs: int | None = None, max_minutes: int | None = None,
                max_cost: float | None = None, *, resume: bool = True
                ) -> Iterator[SessionRecord]:
        """Run every job inside one IonQ session on this device's QPU (``POST /sessions``):
        a reserved run, so a training loop's jobs do not queue behind other users' between
        steps. IonQ enforces the limits (jobs, minutes, cost in the rate card's unit, e.g.
        usd). The session is ended on leaving the block, also on an error or Ctrl-C.

        With a journal, a session a crashed run left open is resumed if IonQ still has it
        active (``resume=False``: ended, and a new one opened).
        """
        if self._session is not None:
            raise ConfigurationError("ionq.batch: this device is already in a session")
        unit = self._spending.unit(self._client()) if max_cost is not None and \
            self.options.is_qpu else None
        settings = session_settings(self.options, max_jobs, max_minutes, max_cost, unit)
        with open_session(self._client(), self._resources.journal, self.options.backend,
                          settings, resume) as record:
            self._session = record
            try:
                yield record
            finally:
                self._session = None

    # -- PennyLane's hooks ------------------------------------------------------------------
    def setup_execution_config(self, config: ExecutionConfig | None = None,
                               circuit: QuantumScript | None = None) -> ExecutionConfig:
        return setup_execution_config(super().setup_execution_config(config, circuit),
                                      paid=self.options.is_qpu)

    def supports_derivatives(self, execution_config: ExecutionConfig | None = None,
                             circuit: QuantumScript | None = None) -> bool:
        """First derivatives by the parameter-shift rule, computed on the device so that a
        gradient's forward and shifted circuits go out as one job (``diff_method="best"`` or
        ``"device"``; ``"parameter-shift"`` keeps PennyLane's own transform, as do higher
        orders)."""
        if qml.capture.enabled():
            return False
        if execution_config is None:
            return True
        return execution_config.gradient_method in ("best", "device") and \
            execution_config.derivative_order == 1

    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None
                              ) -> CompilePipeline:
        """The checks and rewrites every tape goes through before any job (reads the
        backend's catalogue entry once), once per circuit structure. With device derivatives
        PennyLane runs them where autodiff traces parameters: a traced tape is then bound in
        its own interface (see :func:`~.derivatives.preprocess_watching`)."""
        if qml.capture.enabled():  # the jaxpr becomes a tape in eval_jaxpr, preprocessed there
            return CompilePipeline()
        spec = self.backend  # the catalogue is read here, before any job
        traced = execution_config is not None and bool(execution_config.use_device_gradient)
        if traced not in self._pipelines:
            check_device(self.wires, self.options, spec, self.max_qubits)
            rewrites = build_pipeline(self.wires, self.options, max_qubits=self.max_qubits)
            pipeline = CompilePipeline()
            if traced:
                pipeline.add_transform(
                    derivatives.preprocess_watching, cached=rewrites, cache=self._preprocessed,
                    tracking=build_pipeline(self.wires, self.options,
                                            max_qubits=self.max_qubits, differentiable=True))
            else:
                pipeline.add_transform(preprocess_by_structure, pipeline=rewrites,
                                       cache=self._preprocessed)
            self._pipelines[traced] = pipeline
        return self._pipelines[traced]

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
    def execute(self, circuits: Sequence[QuantumScript],
                execution_config: ExecutionConfig | None = None) -> tuple[Any, ...]:
        """Execute preprocessed tapes as one IonQ job (more only when IonQ's limits or shot
        counts require it); inside a recorded optimizer step, record them instead."""
        active = recording.active()
        if active is not None:  # an optimizer step is gathering circuits into one batch
            return active.intercept(self, circuits)
        return self.execute_now(circuits)[0]

    def execute_and_compute_derivatives(
            self, circuits: Sequence[QuantumScript],
            execution_config: ExecutionConfig | None = None) -> tuple[Any, Any]:
        """Results and their parameter-shift Jacobians: when autodiff is tracing, the forward
        and every shifted circuit in one ``execute()``, one job (recorded like any execution
        inside ``batched``); otherwise Jacobians computed only if read (see
        :mod:`~pennylane_ionq_batch.derivatives`)."""
        jax = execution_config is not None and execution_config.interface in (
            Interface.JAX, Interface.JAX_JIT)  # asked only inside a JVP: always wanted
        return derivatives.execute_and_differentiate(self.execute, circuits, execution_config,
                                                     eager=True if jax else None)

    def compute_derivatives(self, circuits: Sequence[QuantumScript],
                            execution_config: ExecutionConfig | None = None) -> Any:
        """Parameter-shift Jacobians (the shifted circuits in one job)."""
        return derivatives.execute_and_differentiate(self.execute, circuits, execution_config,
                                                     forward=False, eager=True)[1]

    def execute_now(self, circuits: Sequence[QuantumScript]
                    ) -> tuple[tuple[Any, ...], ExecutionStats]:
        """Execute for real, even inside a recorded optimizer step: the results, and what
        the execution cost (also in :attr:`last_execution`)."""
        return execution.run_batch(circuits, self._context(), self._account)

    def placeholder_results(self, circuits: Sequence[QuantumScript]) -> tuple[Any, ...]:
        """Results shaped like real ones, for a recorded step's first pass (see
        :mod:`~pennylane_ionq_batch.recording`): never exactly 0, all different."""
        return execution.placeholder_results(circuits, self.wires)

    def fingerprint(self, circuit: QuantumScript) -> Hashable:
        """Equal for tapes that give equal results, without ``tape.hash``'s cost (part of
        :class:`~.recording.RecordingDevice`)."""
        return fingerprint(circuit)

    def _context(self) -> execution.ExecutionContext:
        native = self.options.gateset == "native"
        return execution.ExecutionContext(
            options=self.options, wires=self.wires,
            entangler=self.entangler() if native else "ms", structures=self._structures,
            client=self._client(), policy=self.policy, spending=self._spending, rng=self._rng,
            session_id=self._session.id if self._session is not None else None)

    def _account(self, stats: ExecutionStats) -> None:
        """What one execution cost: into the totals, ``last_execution`` and the tracker."""
        pre = self._preprocessed.stats
        with self._lock:
            self._totals = self._totals + stats
            self.last_execution = stats
            seen, self._preprocess_seen = self._preprocess_seen, (pre.hits, pre.misses)
        execution.track(self.tracker, stats, preprocess_cache_hits=pre.hits - seen[0],
                        preprocess_cache_misses=pre.misses - seen[1])

    @property
    def metrics(self) -> dict[str, int]:
        """Totals over this device's life: circuits, duplicates and the caches' use."""
        totals, pre = self._totals, self._preprocessed.stats
        return {"circuits": totals.circuits, "circuits_sent": totals.circuits_sent,
                "circuits_deduplicated": totals.circuits - totals.circuits_sent,
                "structure_cache_hits": totals.structure_cache_hits,
                "structure_cache_misses": totals.structure_cache_misses,
                "structures_cached": len(self._structures),
                "preprocess_cache_hits": pre.hits, "preprocess_cache_misses": pre.misses,
                "preprocessed_structures_cached": len(self._preprocessed)}


def _rebuild(arguments: dict[str, Any]) -> IonQBatchDevice:
    return IonQBatchDevice(**arguments)
