"""Statevector simulation of IonQ circuit JSON in pure numpy (no aiohttp here).

State layout: an array of shape ``(batch, 2, 2, ..., 2)``; axis ``1 + q`` is qubit ``q``. The
batch axis carries noise trajectories (1 for the ideal simulator). Gate definitions follow IonQ
(reference §4.1 and §12.1): QIS rotations in radians, native phases and angles in turns, and a
two-qubit native gate's first target is the most significant factor of its matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any

import numpy as np

Gate = dict[str, Any]

_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.diag([1, -1]).astype(complex)
_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=complex) / 2
PAULIS = {"I": _I, "X": _X, "Y": _Y, "Z": _Z}

FIXED_1Q = {
    "x": _X, "not": _X, "y": _Y, "z": _Z, "h": _H,
    "s": np.diag([1, 1j]), "si": np.diag([1, -1j]),
    "t": np.diag([1, np.exp(1j * np.pi / 4)]), "ti": np.diag([1, np.exp(-1j * np.pi / 4)]),
    "v": _SX, "vi": _SX.conj().T,
}


class EmulationLimitError(ValueError):
    """The circuit needs more memory than the emulator allows."""


def rotation(pauli: np.ndarray, theta: float) -> np.ndarray:
    """exp(−iθP/2) for a Pauli matrix P (of any size) with P² = I."""
    return np.cos(theta / 2) * np.eye(len(pauli)) - 1j * np.sin(theta / 2) * pauli


def gpi(phase: float) -> np.ndarray:
    e = np.exp(2j * np.pi * phase)
    return np.array([[0, e.conjugate()], [e, 0]])


def gpi2(phase: float) -> np.ndarray:
    e = np.exp(2j * np.pi * phase)
    return np.array([[1, -1j * e.conjugate()], [-1j * e, 1]]) / np.sqrt(2)


def ms(phi0: float, phi1: float, theta: float = 0.25) -> np.ndarray:
    """exp(−iπθ σ_φ0 ⊗ σ_φ1), first qubit most significant."""
    c, s = np.cos(np.pi * theta), np.sin(np.pi * theta)
    m = np.diag([c, c, c, c]).astype(complex)
    m[0, 3] = -1j * s * np.exp(-2j * np.pi * (phi0 + phi1))
    m[1, 2] = -1j * s * np.exp(-2j * np.pi * (phi0 - phi1))
    m[2, 1] = -1j * s * np.exp(2j * np.pi * (phi0 - phi1))
    m[3, 0] = -1j * s * np.exp(2j * np.pi * (phi0 + phi1))
    return m


def zz(theta: float) -> np.ndarray:
    """exp(−iπθ Z⊗Z)."""
    a = np.exp(-1j * np.pi * theta)
    return np.diag([a, a.conjugate(), a.conjugate(), a])


def pauli_string_matrix(term: str) -> np.ndarray:
    """Matrix of a Pauli string whose *last* character acts on the first target (IonQ order)."""
    return reduce(np.kron, [PAULIS[ch] for ch in term])


def pauliexp(terms: Sequence[str], coefficients: Sequence[float], time: float) -> np.ndarray:
    """exp(−i·time·Σ c_j P_j) on the targets, first target most significant."""
    # Reverse each little-endian term so that targets[0] is the most significant factor.
    h = sum(c * pauli_string_matrix(t[::-1]) for t, c in zip(terms, coefficients, strict=True))
    w, v = np.linalg.eigh(h)
    return (v * np.exp(-1j * time * w)) @ v.conj().T


def gate_unitary(gate: Gate) -> tuple[np.ndarray, list[int], list[int]]:
    """Return (matrix, target qubits, control qubits) for one gate object."""
    name = gate["gate"]
    controls = list(gate.get("controls") or ([gate["control"]] if "control" in gate else []))
    targets = list(gate["targets"]) if "targets" in gate else [gate["target"]]
    if name in FIXED_1Q:
        return FIXED_1Q[name], targets, controls
    if name == "cnot":
        return _X, targets, controls
    if name in ("rx", "ry", "rz"):
        return rotation({"rx": _X, "ry": _Y, "rz": _Z}[name], gate["rotation"]), targets, controls
    if name in ("xx", "yy", "zz") and "rotation" in gate:
        p = PAULIS[name[0].upper()]
        return rotation(np.kron(p, p), gate["rotation"]), targets, controls
    if name == "swap":
        return np.eye(4)[[0, 2, 1, 3]].astype(complex), targets, controls
    if name == "pauliexp":
        return pauliexp(gate["terms"], gate["coefficients"], gate["time"]), targets, controls
    if name == "gpi":
        return gpi(gate["phase"]), targets, controls
    if name == "gpi2":
        return gpi2(gate["phase"]), targets, controls
    if name == "ms":
        phi0, phi1 = gate["phases"]
        return ms(phi0, phi1, gate.get("angle", 0.25)), targets, controls
    if name == "zz":
        return zz(gate["angle"]), targets, controls
    raise ValueError(f"unknown gate {name!r}")


def apply(state: np.ndarray, u: np.ndarray, targets: Sequence[int],
          controls: Sequence[int] = ()) -> np.ndarray:
    """Apply ``u`` (first target most significant) to a batched state, under ``controls``."""
    if controls:
        index: list[Any] = [slice(None)] * state.ndim
        for c in controls:
            index[1 + c] = 1
        sub = state[tuple(index)]
        # Axes left in ``sub`` after the controls are removed; find where the targets went.
        kept = [q for q in range(state.ndim - 1) if q not in set(controls)]
        sub = apply(sub, u, [kept.index(t) for t in targets])
        state = state.copy()
        state[tuple(index)] = sub
        return state
    k = len(targets)
    axes = [1 + t for t in targets]
    moved = np.moveaxis(state, axes, list(range(1, 1 + k)))
    shape = moved.shape
    flat = moved.reshape(shape[0], 2**k, -1)
    out = np.einsum("ij,bjr->bir", u, flat).reshape(shape)
    return np.moveaxis(out, list(range(1, 1 + k)), axes)


def zero_state(qubits: int, batch: int = 1) -> np.ndarray:
    state = np.zeros((batch,) + (2,) * qubits, dtype=complex)
    state[(slice(None),) + (0,) * qubits] = 1.0
    return state


def little_endian_probabilities(state: np.ndarray) -> np.ndarray:
    """Probabilities indexed by IonQ's key: bit q of the index is qubit q (qubit 0 least)."""
    probs = np.abs(state) ** 2
    n = state.ndim - 1
    # Reverse the qubit axes so that flattening makes qubit 0 the least significant bit.
    return probs.transpose([0] + list(range(n, 0, -1))).reshape(state.shape[0], -1)


def simulate(circuit: Sequence[Gate], qubits: int, max_qubits: int = 26) -> np.ndarray:
    """Exact little-endian probabilities of an ideal circuit."""
    if qubits > max_qubits:
        raise EmulationLimitError(
            f"{qubits} qubits exceed what this emulator simulates in memory ({max_qubits})")
    state = zero_state(qubits)
    for gate in circuit:
        u, targets, controls = gate_unitary(gate)
        state = apply(state, u, targets, controls)
    return little_endian_probabilities(state)[0]


_PAULI_1Q = np.stack([_X, _Y, _Z])


def sample_noisy(
    circuit: Sequence[Gate], qubits: int, shots: int, p1q: float, p2q: float,
    rng: np.random.Generator, *, max_amplitudes: int = 2**24, max_qubits: int = 26,
) -> np.ndarray:
    """Counts (little-endian index) of ``shots`` samples under IonQ's depolarizing noise model.

    One trajectory per shot, as IonQ's noisy simulator does, while the batch of trajectories
    fits in ``max_amplitudes``; beyond that fewer trajectories each give several shots.
    After each gate: with 1-qubit gates a Pauli with probability 3·p1q/4; with gates on two or
    more qubits a non-identity Pauli pair on the first two qubits with probability 15·p2q/16.
    """
    if qubits > max_qubits:
        raise EmulationLimitError(
            f"{qubits} qubits exceed what this emulator simulates in memory ({max_qubits})")
    trajectories = max(1, min(shots, max_amplitudes // 2**qubits))
    state = zero_state(qubits, trajectories)
    for gate in circuit:
        u, targets, controls = gate_unitary(gate)
        state = apply(state, u, targets, controls)
        touched = (list(controls) + list(targets))[:2]
        if len(touched) == 1 and p1q > 0:
            state = _depolarize(state, touched, p1q, rng)
        elif len(touched) == 2 and p2q > 0:
            state = _depolarize(state, touched, p2q, rng)
    probs = little_endian_probabilities(state)
    counts = np.zeros(probs.shape[1], dtype=np.int64)
    per = np.full(trajectories, shots // trajectories)
    per[: shots % trajectories] += 1
    for p, n in zip(probs, per, strict=True):
        if n:
            counts += rng.multinomial(n, p / p.sum())
    return counts


def _depolarize(state: np.ndarray, qubits: list[int], rate: float,
                rng: np.random.Generator) -> np.ndarray:
    """Apply a uniformly random non-identity Pauli (string) to each trajectory w.p. (4^k−1)r/4^k."""
    k = len(qubits)
    n_err = 4**k - 1
    hit = rng.random(state.shape[0]) < rate * n_err / 4**k
    if not hit.any():
        return state
    which = rng.integers(1, 4**k, size=state.shape[0])  # 1..4^k-1 encodes the Pauli string
    state = state.copy()
    for b in np.flatnonzero(hit):
        code = int(which[b])
        for j, q in enumerate(qubits):
            pauli = (code >> (2 * j)) & 3
            if pauli:
                state[b : b + 1] = apply(state[b : b + 1], _PAULI_1Q[pauli - 1], [q])
    return state
