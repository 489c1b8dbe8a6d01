"""Pulse counts of ``ionq.batch``'s native compiler next to the generic scheme of other SDKs.

The generic scheme is the one cirq-ionq and qiskit-ionq apply (reference §12.2): the circuit is
transpiled to single-qubit gates and CNOTs; every single-qubit gate becomes the 3-pulse Euler
form GPI2·GPI·GPI2; a CNOT becomes one MS and four GPI2 (Aria), or on Forte
H·ZZ(¼)·S†·S†·H, whose four single-qubit gates take 3 pulses each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pennylane as qml
from pennylane.devices.preprocess import decompose
from pennylane.tape import QuantumScript

from ...compile import native
from ...compile.gates import KINDS

Row = tuple[str, tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


def _qft(n: int) -> list:
    return [qml.QFT(wires=range(n))]


def _strongly_entangling() -> list:
    shape = qml.StronglyEntanglingLayers.shape(n_layers=2, n_wires=4)
    weights = np.random.default_rng(0).uniform(-np.pi, np.pi, shape)
    return [qml.StronglyEntanglingLayers(weights, wires=range(4))]


def _basic_entangler() -> list:
    weights = np.random.default_rng(1).uniform(-np.pi, np.pi, (2, 4))
    return [qml.BasicEntanglerLayers(weights, wires=range(4))]


def _qaoa_layer(n: int = 6) -> list:
    ops: list = [qml.Hadamard(w) for w in range(n)]
    ops += [qml.IsingZZ(0.4, wires=[w, (w + 1) % n]) for w in range(n)]
    ops += [qml.RX(0.9, wires=w) for w in range(n)]
    return ops


def _random(n_gates: int = 50, n_wires: int = 4) -> list:
    rng = np.random.default_rng(50)
    one = [qml.RX, qml.RY, qml.RZ, qml.Hadamard, qml.S, qml.T]
    two = [qml.CNOT, qml.CZ, qml.IsingXX, qml.IsingZZ, qml.CRX]
    ops = []
    for _ in range(n_gates):
        if rng.random() < 0.4:
            gate = two[rng.integers(len(two))]
            wires = rng.choice(n_wires, 2, replace=False).tolist()
        else:
            gate = one[rng.integers(len(one))]
            wires = [int(rng.integers(n_wires))]
        ops.append(gate(rng.uniform(-np.pi, np.pi), wires=wires) if gate.num_params else
                   gate(wires=wires))
    return ops


CIRCUITS: dict[str, Callable[[], list]] = {
    "QFT, 4 wires": lambda: _qft(4),
    "QFT, 6 wires": lambda: _qft(6),
    "StronglyEntanglingLayers 4×2": _strongly_entangling,
    "BasicEntanglerLayers 4×2": _basic_entangler,
    "QAOA layer, 6-ring IsingZZ": _qaoa_layer,
    "random, 50 gates, 4 wires": _random,
}


def _decompose(ops: list, stop: Callable) -> list:
    [tape], _ = decompose(QuantumScript(ops), stopping_condition=stop,
                          skip_initial_state_prep=False)
    return [op for op in tape.operations if op.name not in ("Identity", "GlobalPhase")]


def generic_counts(ops: list) -> tuple[tuple[int, int], tuple[int, int]]:
    """(1q pulses, entanglers) of the generic scheme, for MS and for ZZ backends."""
    flat = _decompose(ops, lambda op: len(op.wires) == 1 or op.name == "CNOT")
    cnots = sum(op.name == "CNOT" for op in flat)
    singles = len(flat) - cnots
    return (3 * singles + 4 * cnots, cnots), (3 * singles + 12 * cnots, cnots)


def native_counts(ops: list, entangler: str) -> tuple[int, int]:
    flat = _decompose(ops, native.supports_operation)
    wires = sorted({w for op in flat for w in op.wires})
    gates = native.compile_native(flat, wires, entangler)
    two = sum(KINDS[g[0]].entangling for g in gates)
    return len(gates) - two, two


@dataclass(frozen=True)
class PulseTable:
    rows: list[Row]

    def markdown(self) -> str:
        lines = ["| circuit | generic, Aria (1q / MS) | ionq.batch, Aria (1q / MS) "
                 "| generic, Forte (1q / ZZ) | ionq.batch, Forte (1q / ZZ) |",
                 "|---|---|---|---|---|"]
        for name, gen_ms, ours_ms, gen_zz, ours_zz in self.rows:
            lines.append(f"| {name} | {gen_ms[0]} / {gen_ms[1]} | {ours_ms[0]} / {ours_ms[1]} "
                         f"| {gen_zz[0]} / {gen_zz[1]} | {ours_zz[0]} / {ours_zz[1]} |")
        return "\n".join(lines)


def pulse_table() -> PulseTable:
    rows: list[Row] = []
    for name, build in CIRCUITS.items():
        ops = build()
        gen_ms, gen_zz = generic_counts(ops)
        rows.append((name, gen_ms, native_counts(ops, "ms"), gen_zz, native_counts(ops, "zz")))
    return PulseTable(rows)
