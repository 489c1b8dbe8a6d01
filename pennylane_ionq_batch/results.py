"""IonQ histograms → PennyLane results (expval, var, probs, sample, counts).

IonQ keys are decimal integers with qubit 0 as the least significant bit; PennyLane puts the
first wire of ``wire_order`` in the most significant bit. ``histogram_to_probs`` is the one
place that converts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from pennylane.measurements import (
    ExpectationMP,
    MeasurementProcess,
    ProbabilityMP,
    Shots,
    VarianceMP,
)
from pennylane.ops import Identity, PauliZ, Prod
from pennylane.tape import QuantumScript
from pennylane.wires import Wires

from .client.records import Histogram
from .exceptions import ResponseError


@lru_cache(maxsize=32)
def _reversal(n_qubits: int) -> np.ndarray:
    """index[k] = k with its ``n_qubits`` bits reversed: IonQ's order → PennyLane's."""
    k = np.arange(2**n_qubits, dtype=np.int64)
    bits = (k[:, None] >> np.arange(n_qubits)) & 1  # column q = qubit q
    return bits @ (1 << np.arange(n_qubits - 1, -1, -1, dtype=np.int64))


def histogram_to_probs(histogram: Mapping[str, float], n_qubits: int,
                       source: str = "IonQ's results") -> np.ndarray:
    """Dense probabilities in PennyLane order from IonQ's sparse little-endian histogram
    (a :class:`~.client.records.Histogram`, checked where it arrived: its values sum to 1
    within IonQ's rounding, and are renormalised here). A key naming a state beyond
    ``n_qubits`` qubits is a ResponseError naming ``source``."""
    if not isinstance(histogram, Histogram):
        try:
            histogram = Histogram(histogram)
        except ValueError as exc:
            raise ResponseError(200, f"{source}: malformed probabilities: {exc}") from None
    states = histogram.states
    if states.max() >= 1 << n_qubits:
        bad = next(k for k in histogram if int(k) >= 1 << n_qubits)
        raise ResponseError(200, f"{source}: state {bad} is beyond the circuit's "
                            f"{n_qubits} qubit{'s' * (n_qubits != 1)}")
    index = _reversal(n_qubits)[states] if n_qubits <= 20 else (
        ((states[:, None] >> np.arange(n_qubits)) & 1)
        @ (1 << np.arange(n_qubits - 1, -1, -1, dtype=np.int64)))
    probs = np.zeros(2**n_qubits)
    probs[index] = histogram.probabilities  # keys are unique: one value per basis state
    return probs / probs.sum()


def apportion(probs: np.ndarray, shots: int) -> np.ndarray:
    """Integer counts summing exactly to ``shots`` (largest remainder), for measured histograms."""
    exact = probs * shots
    counts = np.floor(exact).astype(np.int64)
    short = shots - int(counts.sum())
    if short > 0:
        counts[np.argsort(counts - exact, kind="stable")[:short]] += 1
    return counts


def draw_samples(probs: np.ndarray, shots: int, n_wires: int, rng: np.random.Generator,
                 *, exact: bool) -> np.ndarray:
    """``(shots, n_wires)`` bits, first wire first.

    ``exact`` probabilities (ideal simulator) are sampled; measured ones (noise model, QPU) are
    turned back into their counts so the samples reproduce the histogram IonQ measured.
    """
    if exact:
        index = rng.choice(len(probs), size=shots, p=probs)
    else:
        index = np.repeat(np.arange(len(probs)), apportion(probs, shots))
        rng.shuffle(index)
    return ((index[:, None] >> np.arange(n_wires - 1, -1, -1)) & 1).astype(np.int64)


def _squeeze(results: Sequence[Any]) -> Any:
    return results[0] if len(results) == 1 else tuple(results)


def measure_analytic(measurements: Sequence[MeasurementProcess], probs: np.ndarray,
                     wire_order: Wires) -> Any:
    amplitudes = np.sqrt(probs)  # only |amplitude|² is used by diagonal measurements
    return _squeeze([mp.process_state(amplitudes, wire_order) for mp in measurements])


def measure_shots(measurements: Sequence[MeasurementProcess], shots: Shots, probs: np.ndarray,
                  wire_order: Wires, rng: np.random.Generator, *, exact: bool) -> Any:
    samples = draw_samples(probs, shots.total_shots, len(wire_order), rng, exact=exact)
    per_bin = []
    for lower, upper in shots.bins():
        per_bin.append(_squeeze([
            mp.process_samples(samples, wire_order, shot_range=(lower, upper), bin_size=None)
            for mp in measurements]))
    return tuple(per_bin) if shots.has_partitioned_shots else per_bin[0]


def tape_results(tape: QuantumScript, probs: np.ndarray, wire_order: Wires,
                 rng: np.random.Generator, *, exact: bool) -> Any:
    """PennyLane's result for one (diagonalised) tape from its probabilities over ``wire_order``."""
    if tape.shots:
        return measure_shots(tape.measurements, tape.shots, probs, wire_order, rng, exact=exact)
    return measure_analytic(tape.measurements, probs, wire_order)


def _diagonal_eigvals(mp: MeasurementProcess) -> np.ndarray | None:
    """The eigenvalues of ``mp`` in basis order over ``mp.wires``, when they are certain:
    explicit eigenvalues, or products of Z and Identity; else None."""
    obs = mp.obs
    if obs is None:
        return None if isinstance(mp, ProbabilityMP) else np.asarray(mp.eigvals(), dtype=float)
    factors = obs.operands if isinstance(obs, Prod) else [obs]
    if not all(isinstance(f, (PauliZ, Identity)) for f in factors) or \
            len(set(obs.wires)) != len(obs.wires):
        return None
    values = np.ones(1)
    for f in factors:
        values = np.kron(values, np.array([1.0, -1.0]) if isinstance(f, PauliZ)
                         else np.ones(2 ** len(f.wires)))
    return values


def _marginal(freq: np.ndarray, wire_order: Wires, wires: Wires) -> np.ndarray:
    """(N, 2^n) over ``wire_order`` → (N, 2^k) over ``wires``, in that order."""
    n = len(wire_order)
    positions = [wire_order.index(w) for w in wires]
    if positions == list(range(n)):
        return freq
    tensor = freq.reshape((len(freq),) + (2,) * n)
    others = tuple(1 + i for i in range(n) if i not in positions)
    kept = sorted(positions)
    summed = tensor.sum(axis=others) if others else tensor
    order = [1 + kept.index(p) for p in positions]
    return np.transpose(summed, [0, *order]).reshape(len(freq), 2 ** len(wires))


def _signature(mp: MeasurementProcess) -> tuple[Any, ...]:
    """What decides a measurement's value from the probabilities: its kind, wires and
    observable, or its eigenvalues when it has no observable."""
    if mp.obs is not None or isinstance(mp, ProbabilityMP):
        return (type(mp), mp.wires.labels, repr(mp.obs))
    return (type(mp), mp.wires.labels, np.asarray(mp.eigvals(), dtype=float).tobytes())


def _vectorisable(mp: MeasurementProcess) -> bool:
    return (isinstance(mp, (ExpectationMP, VarianceMP)) and _diagonal_eigvals(mp) is not None
            or (isinstance(mp, ProbabilityMP) and mp.obs is None))


def batch_results(tapes: Sequence[QuantumScript], probs: Sequence[np.ndarray],
                  wire_orders: Sequence[Wires], rng: np.random.Generator, *,
                  exact: bool) -> list[Any]:
    """:func:`tape_results` for many tapes, in one vectorised pass per group of tapes that
    share their measurements, wires and shots (expectation values, variances and
    probabilities of diagonal observables); other tapes one by one."""
    out: list[Any] = [None] * len(tapes)
    groups: dict[Any, list[int]] = {}
    known: dict[int, tuple[Any, ...] | None] = {}  # by measurement: tapes bound alike share them
    for i, tape in enumerate(tapes):
        signature = []
        for mp in tape.measurements:
            if id(mp) not in known:
                known[id(mp)] = _signature(mp) if _vectorisable(mp) else None
            signature.append(known[id(mp)])
        if tape.shots.has_partitioned_shots or None in signature:
            out[i] = tape_results(tape, probs[i], wire_orders[i], rng, exact=exact)
            continue
        key = (tuple(signature), tuple(wire_orders[i].labels), tape.shots.total_shots)
        groups.setdefault(key, []).append(i)
    for members in groups.values():
        first = tapes[members[0]]
        freq = np.stack([probs[i] for i in members])
        shots = first.shots.total_shots
        if shots:  # sample the counts IonQ's exact probabilities imply; measured ones are counts
            counts = rng.multinomial(shots, freq) if exact else np.stack(
                [apportion(p, shots) for p in freq])
            freq = counts / shots
        columns = []
        for mp in first.measurements:
            marginal = _marginal(freq, wire_orders[members[0]], mp.wires)
            if isinstance(mp, ProbabilityMP):
                columns.append(list(marginal))
                continue
            eig = _diagonal_eigvals(mp)
            assert eig is not None  # _vectorisable checked it
            mean = marginal @ eig
            value = mean if isinstance(mp, ExpectationMP) else marginal @ eig**2 - mean**2
            columns.append([np.float64(v) for v in value])
        for k, i in enumerate(members):
            row = [column[k] for column in columns]
            out[i] = row[0] if len(row) == 1 else tuple(row)
    return out
