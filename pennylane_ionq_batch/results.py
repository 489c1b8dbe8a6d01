"""IonQ histograms → PennyLane results (expval, var, probs, sample, counts).

IonQ keys are decimal integers with qubit 0 as the least significant bit; PennyLane puts the
first wire of ``wire_order`` in the most significant bit. ``histogram_to_probs`` is the one
place that converts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pennylane.measurements import MeasurementProcess, Shots
from pennylane.tape import QuantumScript
from pennylane.wires import Wires

from .exceptions import ResponseError


def histogram_to_probs(histogram: Mapping[str, float], n_qubits: int) -> np.ndarray:
    """Dense probabilities in PennyLane order from IonQ's sparse little-endian histogram.

    IonQ's values need not sum exactly to 1 (rounding, debiasing); they are renormalised.
    """
    probs = np.zeros(2**n_qubits)
    if histogram:
        keys = np.fromiter((int(k) for k in histogram), dtype=np.int64, count=len(histogram))
        values = np.fromiter(histogram.values(), dtype=float, count=len(histogram))
        bits = (keys[:, None] >> np.arange(n_qubits)) & 1  # column q = qubit q
        index = bits @ (1 << np.arange(n_qubits - 1, -1, -1, dtype=np.int64))
        np.add.at(probs, index, values)
    total = probs.sum()
    if total <= 0:
        raise ResponseError(200, "IonQ returned an empty probability distribution")
    return probs / total


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
