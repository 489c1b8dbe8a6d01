"""PennyLane operations → IonQ native gates (GPI, GPI2 and MS or ZZ), reference §12.

How a circuit is compiled, qubit by qubit:

- **Virtual Z.** Each qubit keeps a frame ``f`` (turns): the Z rotation that the physical
  pulses so far still lack. A gate about equatorial axis φ after the frame is the same gate
  about φ − f before it, so diagonal gates (RZ, PhaseShift, Z, S, T, ...) cost nothing, and the
  frames left at the end are dropped (they do not change Z-basis probabilities).
- **Fusion.** Single-qubit gates accumulate into one pending 2×2 unitary per qubit. It is only
  turned into pulses when an entangling gate (or the end) needs that qubit: at most two GPI2,
  or one GPI2 or GPI when the rotation is π/2 or π, or none when it is diagonal.
- **One entangler per interaction.** Every two-qubit gate is written as single-qubit gates
  around ``exp(−iθ/2 Z⊗Z)`` terms: one for IsingXX/YY/ZZ, MultiRZ, CNOT, CZ, CRX/CRY/CRZ, ...,
  at most three for any other two-qubit unitary (KAK form). Each term becomes one ZZ gate, or
  one MS gate between Hadamards that are fused into the neighbouring pulses. θ is reduced into
  [−π/2, π/2] (the remainder is a free Z⊗Z); MS takes |θ| and a half turn on its first phase
  when θ < 0, so its angle is always in [0, 0.25].

Everything here is plain numpy on floats; angles from PennyLane are radians, and the
conversion to turns happens through :mod:`pennylane_ionq_batch.units` only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.operation import Operator

from ..exceptions import CompilationError
from ..ops import GPI, GPI2, MS, ZZ
from ..payload import SerializedCircuit
from ..units import to_radians, to_turns
from .kak import kak

TOL = 1e-10  # a rotation closer than this to 0, π/2 or π takes the shorter pulse sequence

NativeGate = tuple[Any, ...]
"""("gpi"|"gpi2", qubit, phase) · ("ms", q0, q1, phase0, phase1, angle) · ("zz", q0, q1, angle)"""

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Z = np.diag([1.0 + 0j, -1.0])
H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
S = np.diag([1.0 + 0j, 1j])
TO_Z = {"X": H, "Y": H @ S.conj().T, "Z": I2}  # U with U P U† = Z: P-rotations via Z-rotations

_DROPPED = frozenset({"Identity", "GlobalPhase", "Barrier", "Snapshot"})

# A two-qubit gate as a recipe of steps on its wires (0, 1):
# ("u", k, U) applies the 2×2 unitary U on wire k; ("zz", θ) applies exp(−iθ/2 Z⊗Z).
Step = tuple[Any, ...]


def rz(theta: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * theta), np.exp(0.5j * theta)])


def _pauli_rotation(word: str, theta: float) -> list[Step]:
    """exp(−iθ/2 P⊗Q) for P, Q in X, Y, Z."""
    pre = [("u", k, TO_Z[p]) for k, p in enumerate(word)]
    post = [("u", k, TO_Z[p].conj().T) for k, p in enumerate(word)]
    return [*pre, ("zz", theta), *post]


def _controlled_rotation(pauli: str, theta: float) -> list[Step]:
    """|0⟩⟨0|⊗I + |1⟩⟨1|⊗R_P(θ) = R_P(θ/2) on the target · exp(+iθ/4 Z_c P_t)."""
    u = TO_Z[pauli]
    return [("u", 1, u), ("zz", -theta / 2), ("u", 1, rz(theta / 2)), ("u", 1, u.conj().T)]


def _controlled_phase(phi: float) -> list[Step]:
    """diag(1, 1, 1, e^{iφ}) = exp(+iφ/4 Z⊗Z) · RZ(φ/2) ⊗ RZ(φ/2), up to global phase."""
    return [("zz", -phi / 2), ("u", 0, rz(phi / 2)), ("u", 1, rz(phi / 2))]


def _ms(phi0: float, phi1: float, theta: float) -> list[Step]:
    """MS(φ0, φ1, θ) = RZ(2πφ0)⊗RZ(2πφ1) · exp(−iπθ X⊗X) · RZ(−2πφ0)⊗RZ(−2πφ1)."""
    a, b = to_radians(phi0), to_radians(phi1)
    return [("u", 0, rz(-a)), ("u", 1, rz(-b)), *_pauli_rotation("XX", to_radians(theta)),
            ("u", 0, rz(a)), ("u", 1, rz(b))]


def _kak(matrix: np.ndarray) -> list[Step]:
    form = kak(matrix)
    steps: list[Step] = [("u", 0, form.before[0]), ("u", 1, form.before[1])]
    for word, c in zip(("XX", "YY", "ZZ"), form.coefficients, strict=True):
        if abs(c) > TOL:
            steps += _pauli_rotation(word, -2 * c)  # exp(i c PP) = exp(−i(−2c)/2 PP)
    return [*steps, ("u", 0, form.after[0]), ("u", 1, form.after[1])]


_CONTROLLED = {"CNOT": ("X", math.pi), "CY": ("Y", math.pi), "CZ": ("Z", math.pi)}
_RECIPES: dict[str, Callable[..., list[Step]]] = {
    "IsingXX": lambda t: _pauli_rotation("XX", t),
    "IsingYY": lambda t: _pauli_rotation("YY", t),
    "IsingZZ": lambda t: _pauli_rotation("ZZ", t),
    "MultiRZ": lambda t: _pauli_rotation("ZZ", t),
    "CRX": lambda t: _controlled_rotation("X", t),
    "CRY": lambda t: _controlled_rotation("Y", t),
    "CRZ": lambda t: _controlled_rotation("Z", t),
    "ControlledPhaseShift": _controlled_phase,
    "MS": _ms,
    "ZZ": lambda t: [("zz", to_radians(t))],
}


def _check_finite(op: Operator) -> None:
    for p in op.data:
        if not np.all(np.isfinite(qml.math.unwrap(p))):
            raise CompilationError(f"ionq.batch: {op.name} on wires {op.wires.tolist()} has a "
                                   f"non-finite parameter {qml.math.unwrap(p)!r}")


def _params(op: Operator) -> list[float]:
    return [float(qml.math.real(qml.math.unwrap(p))) for p in op.data]


def _matrix(op: Operator) -> np.ndarray:
    return np.asarray(qml.math.unwrap(op.matrix()), dtype=complex)


def two_qubit_recipe(op: Operator) -> list[Step]:
    """The steps of a two-qubit operation: closed forms where known, KAK otherwise."""
    if op.name in _RECIPES:
        return _RECIPES[op.name](*_params(op))
    if op.name in _CONTROLLED:
        pauli, angle = _CONTROLLED[op.name]
        # C-P = C-R_P(π) · (S on the control); written as a controlled rotation and a phase
        return [*_controlled_rotation(pauli, angle), ("u", 0, S)]
    return _kak(_matrix(op))


def supports_operation(op: Operator) -> bool:
    """Stopping condition of ``decompose``: ops on one or two wires with a matrix compile."""
    if op.name in _DROPPED:
        return True
    return 1 <= len(op.wires) <= 2 and op.has_matrix


def _normalize(phase: float) -> float:
    """A phase in turns, into [0, 1)."""
    p = phase % 1.0
    return 0.0 if p >= 1.0 else p


class _Compiler:
    """Frames, pending single-qubit unitaries and emitted gates of one circuit."""

    def __init__(self, entangler: str) -> None:
        if entangler not in ("ms", "zz"):
            raise CompilationError(f"ionq.batch: unknown two-qubit native gate {entangler!r}")
        self.entangler = entangler
        self.pending: dict[int, np.ndarray] = {}
        self.frame: dict[int, float] = {}
        self.out: list[NativeGate] = []

    def apply(self, q: int, u: np.ndarray) -> None:
        self.pending[q] = u @ self.pending.get(q, I2)

    def flush(self, q: int) -> None:
        """Turn qubit q's pending unitary (after its frame) into pulses and a new frame."""
        u = self.pending.pop(q, None)
        if u is None:
            return
        f = self.frame.get(q, 0.0)
        alpha, beta, gamma = zyz(u @ rz(to_radians(f)))
        g = to_turns(gamma)
        if beta > TOL:
            if abs(beta - math.pi / 2) <= TOL:
                self.out.append(("gpi2", q, _normalize(0.25 - g)))
            elif abs(beta - math.pi) <= TOL:
                self.out.append(("gpi", q, _normalize(0.25 - g)))
            else:
                self.out.append(("gpi2", q, _normalize(-g)))
                self.out.append(("gpi2", q, _normalize(0.5 - g - to_turns(beta))))
                g += to_turns(beta)
        self.frame[q] = (g + to_turns(alpha)) % 1.0

    def interact(self, a: int, b: int, theta: float) -> None:
        """exp(−iθ/2 Z_a Z_b) as one native entangler (or none when it is local)."""
        theta = math.remainder(theta, 2 * math.pi)  # into [−π, π]
        if abs(theta) > math.pi / 2:  # exp(−iπ/2 ZZ) ∝ Z⊗Z: free frames
            theta -= math.copysign(math.pi, theta)
            self.apply(a, Z)
            self.apply(b, Z)
        if abs(theta) <= TOL:
            return
        if self.entangler == "zz":
            self.flush(a)
            self.flush(b)
            self.out.append(("zz", a, b, to_turns(theta)))
            return
        # exp(−iθ/2 ZZ) = H⊗H · exp(−iθ/2 XX) · H⊗H, and exp(−iθ/2 XX) = MS(0, 0, θ/2π)
        self.apply(a, H)
        self.apply(b, H)
        self.flush(a)
        self.flush(b)
        phi0, phi1 = -self.frame.get(a, 0.0), -self.frame.get(b, 0.0)
        if theta < 0:  # MS(φ0 + ½, φ1, t) = MS(φ0, φ1, −t)
            phi0, theta = phi0 + 0.5, -theta
        self.out.append(("ms", a, b, _normalize(phi0), _normalize(phi1), to_turns(theta)))
        self.pending[a] = H @ self.pending.get(a, I2)
        self.pending[b] = H @ self.pending.get(b, I2)

    def run(self, ops: Iterable[Operator], qubit: Callable[[Any], int]) -> list[NativeGate]:
        for op in ops:
            if op.name in _DROPPED:
                continue
            _check_finite(op)
            wires = [qubit(w) for w in op.wires]
            if len(wires) == 1:
                if op.name not in ("RZ", "PhaseShift"):
                    self.apply(wires[0], _matrix(op))
                else:  # the common diagonal case, without building a matrix
                    self.apply(wires[0], rz(_params(op)[0]))
            elif len(wires) == 2:
                for step in two_qubit_recipe(op):
                    if step[0] == "u":
                        self.apply(wires[step[1]], step[2])
                    else:
                        self.interact(wires[0], wires[1], step[1])
            else:
                raise CompilationError(
                    f"ionq.batch: operation {op.name} on wires {op.wires.tolist()} acts on more "
                    "than two wires; it should have been decomposed (please report this)")
        for q in sorted(self.pending):
            self.flush(q)
        return self.out


def zyz(u: np.ndarray) -> tuple[float, float, float]:
    """(α, β, γ) with u ≅ RZ(α)·RY(β)·RZ(γ) and β in [0, π].

    In SU(2), u = [[e^{−i(α+γ)/2}cos, −e^{−i(α−γ)/2}sin], [e^{i(α−γ)/2}sin, e^{i(α+γ)/2}cos]],
    so the half-sums come from one consistent branch of √det.
    """
    u = u / np.sqrt(u[0, 0] * u[1, 1] - u[0, 1] * u[1, 0])
    cos, sin = abs(u[0, 0]), abs(u[1, 0])
    beta = 2 * math.atan2(sin, cos)
    half_total = float(np.angle(u[1, 1])) if cos > 1e-14 else 0.0  # (α + γ)/2
    half_diff = float(np.angle(u[1, 0])) if sin > 1e-14 else 0.0  # (α − γ)/2
    return half_total + half_diff, beta, half_total - half_diff


def compile_with_frames(ops: Sequence[Operator], wire_order: Sequence[Any],
                        entangler: str = "ms") -> tuple[list[NativeGate], dict[int, float]]:
    """Native gates and the trailing frames (turns per qubit) that a measurement ignores.

    The circuit's unitary equals, up to global phase, ``⊗ RZ(2π·frames[q])`` after the gates.
    """
    index = {w: i for i, w in enumerate(wire_order)}
    compiler = _Compiler(entangler)
    gates = compiler.run(ops, index.__getitem__)
    return gates, compiler.frame


def compile_native(ops: Sequence[Operator], wire_order: Sequence[Any],
                   entangler: str = "ms") -> list[NativeGate]:
    """A circuit's native gates; qubit ``i`` is ``wire_order[i]``; trailing frames dropped."""
    return compile_with_frames(ops, wire_order, entangler)[0]


def native_gate_objects(gates: Iterable[NativeGate]) -> list[dict[str, Any]]:
    """IonQ's JSON gate objects (reference §4.2) for native gates."""
    out: list[dict[str, Any]] = []
    for g in gates:
        if g[0] in ("gpi", "gpi2"):
            out.append({"gate": g[0], "target": g[1], "phase": g[2]})
        elif g[0] == "ms":
            out.append({"gate": "ms", "targets": [g[1], g[2]], "phases": [g[3], g[4]],
                        "angle": g[5]})
        else:
            out.append({"gate": "zz", "targets": [g[1], g[2]], "angle": g[3]})
    return out


def native_operations(gates: Iterable[NativeGate], wire_order: Sequence[Any]) -> list[Operator]:
    """The native gates as PennyLane operations (for simulating or drawing what is sent)."""
    ops: list[Operator] = []
    for g in gates:
        if g[0] == "gpi":
            ops.append(GPI(g[2], wires=wire_order[g[1]]))
        elif g[0] == "gpi2":
            ops.append(GPI2(g[2], wires=wire_order[g[1]]))
        elif g[0] == "ms":
            ops.append(MS(g[3], g[4], g[5], wires=[wire_order[g[1]], wire_order[g[2]]]))
        else:
            ops.append(ZZ(g[3], wires=[wire_order[g[1]], wire_order[g[2]]]))
    return ops




def serialize_native(ops: Sequence[Operator], wire_order: Sequence[Any],
                     entangler: str = "ms") -> SerializedCircuit:
    """A circuit's native JSON object over ``len(wire_order)`` qubits (at least one)."""
    gates = native_gate_objects(compile_native(ops, wire_order, entangler))
    return SerializedCircuit.from_gates(gates, max(1, len(wire_order)))
