"""The execution core: preprocessed tapes in; PennyLane results, and what they cost, out.

One ``execute()`` is compile → plan → price → run → bill → results:

1. every tape is compiled and serialised once (native: through the structure cache);
2. :func:`~.client.plan.plan_batch` decides the jobs (duplicates sent once, empty circuits
   answered here, chunks under IonQ's limits);
3. on a QPU the plan is priced and checked against ``max_cost`` and ``budget``
   (:class:`~.spending.Spending`) before anything is sent;
4. the jobs run concurrently on the background loop (:func:`~.client.runner.run_jobs`);
5. the jobs that were created are charged, and what the batch cost is handed to ``account``
   — also when it fails;
6. histograms become PennyLane results (:mod:`.results`).

The device holds the resources (client, caches, spending, random generator) and passes them
as an :class:`ExecutionContext`; nothing here keeps state of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from pennylane.tape import QuantumScript
from pennylane.wires import Wires

from .client import IonQClient, JobOutcome, Plan, RunPolicy, plan_batch, run_jobs
from .compile import StructureCache, serialize_circuit
from .compile.template import CacheStats
from .config import JobOptions
from .payload import SerializedCircuit
from .preprocess.bound import LazyOperations, bound_values, compile_token, structure_memo
from .pricing import Estimate
from .results import batch_results, histogram_to_probs
from .runtime import background_loop
from .spending import Spending
from .stats import ExecutionStats, Timing


@dataclass(frozen=True)
class ExecutionContext:
    """What a batch needs from its device."""

    options: JobOptions
    wires: Wires | None  # the device's wires (None: any)
    entangler: str  # "ms" or "zz": what native circuits use
    structures: StructureCache
    client: IonQClient
    policy: RunPolicy
    spending: Spending
    rng: np.random.Generator  # samples exact probabilities
    session_id: str | None = None  # the IonQ session jobs join


def wire_order(tape: QuantumScript, device_wires: Wires | None) -> Wires:
    """The qubits a tape's circuit uses, in the device's order (qubit i = wire i)."""
    if device_wires is None:
        return tape.wires
    return Wires([w for w in device_wires if w in tape.wires])


def wire_orders(tapes: Sequence[QuantumScript], device_wires: Wires | None) -> list[Wires]:
    """:func:`wire_order` of every tape; tapes bound alike share their wires, and the order."""
    known: dict[int, Wires] = {}  # by id(tape.wires): the tapes keep them alive meanwhile
    orders = []
    for tape in tapes:
        wires = tape.wires
        order = known.get(id(wires))
        if order is None:
            order = known[id(wires)] = wire_order(tape, device_wires)
        orders.append(order)
    return orders


def serialize(tapes: Sequence[QuantumScript], orders: Sequence[Wires], ctx: ExecutionContext
              ) -> tuple[list[SerializedCircuit], CacheStats]:
    """Every tape's IonQ circuit JSON; bound tapes are compiled from their values."""
    if ctx.options.gateset == "native":
        return ctx.structures.serialize(
            LazyOperations(tapes), orders, ctx.entangler,
            [compile_token(t) for t in tapes], [bound_values(t) for t in tapes])
    return ([serialize_circuit(t.operations, w) for t, w in zip(tapes, orders, strict=True)],
            CacheStats())


def plan_tapes(tapes: Sequence[QuantumScript], ctx: ExecutionContext
               ) -> tuple[Plan, list[SerializedCircuit], list[Wires], CacheStats]:
    """The jobs that answer ``tapes``, with their circuits, wire orders and cache use."""
    orders = wire_orders(tapes, ctx.wires)
    serialized, cache = serialize(tapes, orders, ctx)
    plan = plan_batch(serialized, [t.shots.total_shots for t in tapes], ctx.options,
                      ctx.session_id)
    return plan, serialized, orders, cache


def run_batch(tapes: Sequence[QuantumScript], ctx: ExecutionContext,
              account: Callable[[ExecutionStats], None]
              ) -> tuple[tuple[Any, ...], ExecutionStats]:
    """Execute ``tapes`` as one IonQ job (more only when IonQ's limits or shot counts require
    it): their results, and what it cost. ``account`` receives the cost once, also when a job
    fails or the deadline passes."""
    timeout = ctx.policy.timeout
    deadline = None if timeout is None else time.monotonic() + timeout  # for all of it
    plan, serialized, orders, cache = plan_tapes(tapes, ctx)
    cost = ctx.spending.check(ctx.client, plan, deadline) if ctx.options.is_qpu else None
    outcome = JobOutcome(histograms=[])
    try:
        if plan.jobs:
            background_loop().run(run_jobs(ctx.client, list(plan.jobs), ctx.policy, outcome,
                                           deadline))
    finally:
        if cost is not None:  # what the jobs that were created will be billed
            ctx.spending.charge(cost, outcome.created)
        stats = _stats(tapes, plan, outcome, cache, cost)
        account(stats)
    probs = _probabilities(plan, serialized, outcome)
    return tuple(batch_results(tapes, probs, orders, ctx.rng,
                               exact=not ctx.options.noisy)), stats


def _probabilities(plan: Plan, serialized: Sequence[SerializedCircuit],
                   outcome: JobOutcome) -> list[np.ndarray]:
    """Each circuit's probabilities in PennyLane's order; duplicates share one conversion."""
    histograms = plan.histograms(outcome.histograms)
    owners = [(job_id, k) for job, job_id in zip(plan.jobs, outcome.job_ids, strict=True)
              for k in range(job.n_circuits)]  # whose results each slot holds
    shared: dict[int, np.ndarray] = {}
    probs = []
    for i, slot in enumerate(plan.slots):
        if slot < 0:  # answered here (empty circuits): each over its own qubits
            probs.append(histogram_to_probs(histograms[i], serialized[i].qubits))
            continue
        if slot not in shared:
            job_id, k = owners[slot]
            shared[slot] = histogram_to_probs(histograms[i], serialized[i].qubits,
                                              f"IonQ job {job_id}, circuit {k}")
        probs.append(shared[slot])
    return probs


def _stats(tapes: Sequence[QuantumScript], plan: Plan, outcome: JobOutcome,
           cache: CacheStats, cost: Estimate | None) -> ExecutionStats:
    requests = outcome.stats
    return ExecutionStats(
        circuits=len(tapes), circuits_sent=plan.circuits_sent,
        shots=sum(t.shots.total_shots or 0 for t in tapes), jobs=len(outcome.job_ids),
        job_ids=tuple(outcome.job_ids), http_requests=requests.requests,
        http_retries=requests.retries,
        timing=Timing.worst(outcome.timings[k] for k in outcome.created),
        debiased_jobs=sum(job.debiasing for job in plan.jobs),
        estimated_cost=cost.total if cost is not None else 0.0,
        billed_cost=float(sum(outcome.billed)), structure_cache_hits=cache.hits,
        structure_cache_misses=cache.misses)


def _primes(n: int) -> list[int]:
    found: list[int] = []
    k = 2
    while len(found) < n:
        if all(k % p for p in found):
            found.append(k)
        k += 1
    return found


@lru_cache(maxsize=64)
def placeholder_probabilities(n_qubits: int) -> np.ndarray:
    """Probabilities over ``n_qubits`` qubits for a recorded step's placeholders: qubit i is
    0 with odds ``prime_i ** (1/8)`` (P between 0.52 and 0.63), independently. So every
    Z-string's expectation is a product of non-zero factors (never exactly 0, and a cost's
    branches on it usually go the way they will with real results), and, primes factorising
    uniquely, no two basis states are equally likely."""
    probs = np.ones(1)
    for prime in _primes(n_qubits):
        odds = prime ** 0.125
        probs = np.kron(probs, [odds / (1 + odds), 1 / (1 + odds)])
    probs.flags.writeable = False  # shared by every placeholder of this width
    return probs


def placeholder_results(tapes: Sequence[QuantumScript], device_wires: Wires | None
                        ) -> tuple[Any, ...]:
    """Results shaped like real ones, from :func:`placeholder_probabilities` (see
    :mod:`.recording`), without executing anything."""
    out: list[Any] = [None] * len(tapes)
    todo = []
    for i, tape in enumerate(tapes):  # tapes bound alike share placeholders (values aside)
        memo = structure_memo(tape)
        if memo is not None and "placeholder" in memo:
            out[i] = _fresh(memo["placeholder"])
        else:
            todo.append(i)
    orders = wire_orders([tapes[i] for i in todo], device_wires)
    probs = [placeholder_probabilities(len(wires)) for wires in orders]
    rng = np.random.default_rng(0)  # not the device's: keep its draws unchanged
    results = batch_results([tapes[i] for i in todo], probs, orders, rng, exact=True)
    for i, result in zip(todo, results, strict=True):
        memo = structure_memo(tapes[i])
        if memo is not None:
            memo["placeholder"] = result
        out[i] = _fresh(result)
    return tuple(out)


def _fresh(result: Any) -> Any:
    """A copy a caller may change in place without changing the next placeholder."""
    if isinstance(result, np.ndarray):
        return result.copy()
    if isinstance(result, (tuple, list)):
        return type(result)(_fresh(r) for r in result)
    if isinstance(result, dict):
        return dict(result)
    return result


def track(tracker: Any, stats: ExecutionStats, **extra: int) -> None:
    """Record one ``execute()`` in a ``qml.Tracker``: PennyLane's fields (``batches``,
    ``executions``, ``batch_len``, ``shots``) and this device's (``jobs``, ``job_ids``, HTTP
    requests, cache use, IonQ's times, money), plus ``extra`` counts."""
    if not tracker.active:
        return
    if stats.shots:
        extra["shots"] = stats.shots
    tracker.update(
        batches=1, executions=stats.circuits, batch_len=stats.circuits,
        circuits_sent=stats.circuits_sent, structure_cache_hits=stats.structure_cache_hits,
        structure_cache_misses=stats.structure_cache_misses, jobs=stats.jobs,
        job_ids=list(stats.job_ids), debiased_jobs=stats.debiased_jobs,
        http_requests=stats.http_requests, http_retries=stats.http_retries,
        estimated_cost=stats.estimated_cost, cost=stats.billed_cost,
        job_queue_seconds=stats.timing.queue_s,
        job_execution_seconds=stats.timing.execution_s,
        job_round_trip_seconds=stats.timing.round_trip_s, **extra)
    tracker.record()
