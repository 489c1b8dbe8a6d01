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

**Batches.** The compiler runs on N circuits of one structure at once: every quantity carries a
leading axis of length N, so compiling a parameter-shift batch is one pass of numpy calls. A
lone circuit (N = 1) runs the same code on Python numbers instead (:class:`_Scalars`), several
times faster than numpy on arrays of one; the two agree to rounding. Where the emitted gates
depend on the values (a rotation that is 0, π/2 or π, an interaction that vanishes), the batch
follows its first member; members that would take a different branch are flagged in
``mismatch`` and must be compiled on their own.

Angles from PennyLane are radians; turns come from :mod:`pennylane_ionq_batch.units` only.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.operation import Operator

from ..exceptions import CompilationError
from ..units import to_radians, to_turns
from .gates import ENTANGLERS, KINDS, GateKind
from .kak import kak
from .keys import wire_labels

TOL = 1e-10  # a rotation closer than this to 0, π/2 or π takes the shorter pulse sequence

NativeGate = tuple[Any, ...]
"""("gpi"|"gpi2", qubit, phase) · ("ms", q0, q1, phase0, phase1, angle) · ("zz", q0, q1, angle)"""

Mat = tuple[Any, Any, Any, Any]
"""A 2×2 matrix as its entries (m00, m01, m10, m11): Python numbers for one circuit, arrays of
N (or numbers shared by all N) for a batch. Entry-wise arithmetic serves both unchanged."""


class _Scalars:
    """The numpy functions the compiler uses, for Python numbers (N = 1): numpy's per-call
    cost was most of a single circuit's compile time. The two agree to rounding."""

    exp = staticmethod(cmath.exp)
    cos = staticmethod(math.cos)
    sin = staticmethod(math.sin)
    angle = staticmethod(cmath.phase)
    arctan2 = staticmethod(math.atan2)
    copysign = staticmethod(math.copysign)
    round = staticmethod(round)

    @staticmethod
    def where(condition: Any, a: Any, b: Any) -> Any:
        return a if condition else b


def _xp(*values: Any) -> Any:
    """numpy when any value is an array, else the same functions on Python numbers."""
    for v in values:
        if isinstance(v, np.ndarray):
            return np
    return _Scalars


def as_entries(m: np.ndarray) -> Mat:
    """A 2×2 matrix (Python numbers) or an N×2×2 stack (arrays of N) as entries."""
    if m.ndim == 2:
        (a, b), (c, d) = m.tolist()
        return a, b, c, d
    return m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1]


def dagger(m: Mat) -> Mat:
    """The conjugate transpose."""
    return m[0].conjugate(), m[2].conjugate(), m[1].conjugate(), m[3].conjugate()


def matmul(a: Mat, b: Mat) -> Mat:
    """a @ b, entry by entry."""
    a00, a01, a10, a11 = a
    b00, b01, b10, b11 = b
    return (a00 * b00 + a01 * b10, a00 * b01 + a01 * b11,
            a10 * b00 + a11 * b10, a10 * b01 + a11 * b11)


I2: Mat = (1 + 0j, 0j, 0j, 1 + 0j)
Z: Mat = (1 + 0j, 0j, 0j, -1 + 0j)
H: Mat = as_entries(np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2))
S: Mat = (1 + 0j, 0j, 0j, 1j)
TO_Z = {"X": H, "Y": matmul(H, dagger(S)), "Z": I2}  # U with U P U† = Z: P-rotations via Z

DROPPED = frozenset({"Identity", "GlobalPhase", "Barrier", "Snapshot"})

# A two-qubit gate as a recipe of steps on its wires (0, 1): ("u", k, U) applies the 2×2
# unitary U (entries) on wire k; ("zz", θ) applies exp(−iθ/2 Z⊗Z) (θ a float or N floats).
Step = tuple[Any, ...]


def rz(theta: Any) -> Mat:
    """RZ(θ) for a float or an array of N angles."""
    e = _xp(theta).exp(-0.5j * theta)
    return e, 0j, 0j, e.conjugate()


def _rx(theta: Any) -> Mat:
    xp = _xp(theta)
    c, s = xp.cos(theta / 2), -1j * xp.sin(theta / 2)
    return c, s, s, c


def _ry(theta: Any) -> Mat:
    xp = _xp(theta)
    c, s = xp.cos(theta / 2), xp.sin(theta / 2)
    return c, -s, s, c


def _rot(phi: Any, theta: Any, omega: Any) -> Mat:
    """Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ)."""
    xp = _xp(phi, theta, omega)
    c, s = xp.cos(theta / 2), xp.sin(theta / 2)
    plus, minus = xp.exp(-0.5j * (phi + omega)), xp.exp(0.5j * (phi - omega))
    return plus * c, -minus * s, minus.conjugate() * s, plus.conjugate() * c


def _u3(theta: Any, phi: Any, delta: Any) -> Mat:
    xp = _xp(theta, phi, delta)
    c, s = xp.cos(theta / 2), xp.sin(theta / 2)
    return c, -xp.exp(1j * delta) * s, xp.exp(1j * phi) * s, xp.exp(1j * (phi + delta)) * c


# Matrices of the common parametrised single-qubit gates, without PennyLane's per-call
# overhead (which is most of the cost of compiling one small circuit).
FAST_1Q: dict[str, Callable[..., Mat]] = {
    "RX": _rx, "RY": _ry, "RZ": rz, "PhaseShift": rz, "U1": rz,
    "Rot": _rot,
    "U3": _u3,
}


def _pauli_rotation(word: str, theta: Any) -> list[Step]:
    """exp(−iθ/2 P⊗Q) for P, Q in X, Y, Z."""
    pre = [("u", k, TO_Z[p]) for k, p in enumerate(word)]
    post = [("u", k, dagger(TO_Z[p])) for k, p in enumerate(word)]
    return [*pre, ("zz", theta), *post]


def _controlled_rotation(pauli: str, theta: Any) -> list[Step]:
    """|0⟩⟨0|⊗I + |1⟩⟨1|⊗R_P(θ) = R_P(θ/2) on the target · exp(+iθ/4 Z_c P_t)."""
    u = TO_Z[pauli]
    return [("u", 1, u), ("zz", -theta / 2), ("u", 1, rz(theta / 2)), ("u", 1, dagger(u))]


def _controlled_phase(phi: Any) -> list[Step]:
    """diag(1, 1, 1, e^{iφ}) = exp(+iφ/4 Z⊗Z) · RZ(φ/2) ⊗ RZ(φ/2), up to global phase."""
    return [("zz", -phi / 2), ("u", 0, rz(phi / 2)), ("u", 1, rz(phi / 2))]


def _ms(phi0: Any, phi1: Any, theta: Any) -> list[Step]:
    """MS(φ0, φ1, θ) = RZ(2πφ0)⊗RZ(2πφ1) · exp(−iπθ X⊗X) · RZ(−2πφ0)⊗RZ(−2πφ1)."""
    a, b = to_radians(phi0), to_radians(phi1)
    return [("u", 0, rz(-a)), ("u", 1, rz(-b)), *_pauli_rotation("XX", to_radians(theta)),
            ("u", 0, rz(a)), ("u", 1, rz(b))]


_CONTROLLED = {"CNOT": "X", "CY": "Y", "CZ": "Z"}  # C-P = C-R_P(π) · S on the control
RECIPES: dict[str, Callable[..., Sequence[Step]]] = {
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
RECIPES.update({name: partial(tuple, (*_controlled_rotation(p, math.pi), ("u", 0, S)))
                for name, p in _CONTROLLED.items()})  # constant: computed once


def supports_operation(op: Operator) -> bool:
    """Stopping condition of ``decompose``: ops on one or two wires with a matrix compile."""
    if op.name in DROPPED:
        return True
    return 1 <= len(op.wires) <= 2 and op.has_matrix


def zyz(u: Mat) -> tuple[Any, Any, Any]:
    """(α, β, γ) with u ≅ RZ(α)·RY(β)·RZ(γ), β in [0, π], for a 2×2 unitary or N of them.

    In SU(2), u = [[e^{−i(α+γ)/2}cos, −e^{−i(α−γ)/2}sin], [e^{i(α−γ)/2}sin, e^{i(α+γ)/2}cos]],
    so the half-sums come from one consistent branch of √det.
    """
    xp = _xp(*u)
    u00, u01, u10, u11 = u
    half_det = xp.angle(u00 * u11 - u01 * u10) / 2  # the phase of √det
    cos, sin = abs(u00), abs(u10)
    beta = 2 * xp.arctan2(sin, cos)
    half_total = xp.where(cos > 1e-14, xp.angle(u11) - half_det, 0.0)  # (α + γ)/2
    half_diff = xp.where(sin > 1e-14, xp.angle(u10) - half_det, 0.0)  # (α − γ)/2
    return half_total + half_diff, beta, half_total - half_diff


def _pulse_branch(beta: Any) -> Any:
    """0: no pulse (β ≈ 0), 1: one GPI2 (β ≈ π/2), 2: one GPI (β ≈ π), 3: two GPI2."""
    return 3 - 3 * (beta <= TOL) - 2 * (abs(beta - math.pi / 2) <= TOL) \
        - (abs(beta - math.pi) <= TOL)


def _nonzero(theta: Any) -> Any:
    return abs(theta) > TOL


def _normalize(phase: np.ndarray) -> np.ndarray:
    """Phases in turns, into [0, 1)."""
    p = phase - np.floor(phase)
    p[p >= 1.0] = 0.0  # −1e-17 − floor(−1e-17) rounds to 1.0
    return p


@dataclass(frozen=True)
class Slot:
    """One operation of a circuit structure: what it is and which qubits it acts on."""

    op: Operator  # a representative: its type, hyper-parameters and constant matrix
    qubits: tuple[int, ...]

    @cached_property
    def frozen(self) -> bool:
        """Parameters that cannot be rebound: the op is compiled with its own values.

        Operators without their own ``compute_matrix`` (symbolic ones such as Evolution) get
        their matrix from their operands; PennyLane cannot always rebind those parameters.
        """
        return bool(self.op.data) and rebinds(self.op) is False


def rebinds(op: Operator) -> bool:
    """Whether N parameter sets of ``op`` can be turned into N matrices without the op."""
    name = op.name
    return (name in FAST_1Q or name in RECIPES
            or type(op).compute_matrix is not Operator.compute_matrix)


@dataclass
class Compiled:
    """N circuits of one structure: gate kinds and qubits (``shape``), numbers per circuit."""

    shape: list[tuple[Any, ...]]  # ("gpi", q) · ("gpi2", q) · ("ms", a, b) · ("zz", a, b)
    values: np.ndarray  # (N, V): phases and angles in shape order
    frames: dict[int, Any]  # trailing frames in turns (floats, or arrays of N), not sent
    mismatch: np.ndarray  # (N,) bool: this member needs a compilation of its own

    def gates(self, i: int = 0) -> list[NativeGate]:
        """Member i's gates as tuples."""
        out, k, row = [], 0, self.values[i].tolist()
        for kind in self.shape:
            n = len(KINDS[kind[0]].numbers)
            out.append((*kind, *row[k:k + n]))
            k += n
        return out


@dataclass
class _Batch:
    """Frames, pending single-qubit unitaries and emitted gates of N circuits."""

    n: int
    entangler: str
    pending: dict[int, Mat] = field(default_factory=dict)
    frame: dict[int, Any] = field(default_factory=dict)  # turns: floats, or arrays of N
    shape: list[tuple[Any, ...]] = field(default_factory=list)
    columns: list[Any] = field(default_factory=list)
    is_phase: list[bool] = field(default_factory=list)
    mismatch: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.entangler not in ENTANGLERS:
            raise CompilationError(f"ionq.batch: unknown two-qubit native gate "
                                   f"{self.entangler!r}")
        self.mismatch = np.zeros(self.n, dtype=bool)

    def decide(self, values: Any, branch: Callable[[Any], Any]) -> int:
        """The branch the batch takes (its first member's); flag members that differ.

        ``branch`` maps a value (or an array of them) to a branch number. A value without a
        batch axis is shared by every member.
        """
        if not isinstance(values, np.ndarray):
            return int(branch(values))
        ref = int(branch(float(values.flat[0])))
        if self.n > 1 and values.ndim:
            self.mismatch |= branch(values) != ref
        return ref

    def emit(self, kind: tuple[Any, ...], *values: Any) -> None:
        """Append a gate; its phases are normalised into [0, 1) together, in finish()."""
        self.shape.append(kind)
        self.columns.extend(values)
        self.is_phase.extend(KINDS[kind[0]].phases)

    def apply(self, q: int, u: Mat) -> None:
        p = self.pending.get(q)
        self.pending[q] = u if p is None else matmul(u, p)

    def flush(self, q: int) -> None:
        """Turn qubit q's pending unitary (after its frame) into pulses and a new frame."""
        u = self.pending.pop(q, None)
        if u is None:
            return
        # u ≅ RZ(α)·RY(β)·RZ(γ), so u·RZ(2πf) ≅ RZ(α)·RY(β)·RZ(γ + 2πf)
        alpha, beta, gamma = zyz(u)  # a constant u (no batch axis) is decomposed once
        g = to_turns(gamma) + self.frame.get(q, 0.0)
        branch = self.decide(beta, _pulse_branch)
        if branch == 1:
            self.emit(("gpi2", q), (0.25 - g))
        elif branch == 2:
            self.emit(("gpi", q), (0.25 - g))
        elif branch == 3:
            self.emit(("gpi2", q), (-g))
            self.emit(("gpi2", q), (0.5 - g - to_turns(beta)))
            g = g + to_turns(beta)
        self.frame[q] = (g + to_turns(alpha)) % 1.0

    def interact(self, a: int, b: int, theta: Any) -> None:
        """exp(−iθ/2 Z_a Z_b) as one native entangler (or none when it is local)."""
        theta = float(theta) if self.n == 1 else \
            np.broadcast_to(np.asarray(theta, dtype=float), (self.n,))
        xp = _xp(theta)
        theta = theta - 2 * math.pi * xp.round(theta / (2 * math.pi))  # into [−π, π]
        big = abs(theta) > math.pi / 2  # exp(−iπ/2 ZZ) ∝ Z⊗Z: free frames
        if big.any() if xp is np else big:
            theta = xp.where(big, theta - xp.copysign(math.pi, theta), theta)
            for q in (a, b):
                p = self.pending.get(q, I2)
                z = matmul(Z, p)
                self.pending[q] = tuple(xp.where(big, x, y) for x, y in zip(z, p, strict=True))
        if not self.decide(theta, _nonzero):
            return
        if self.entangler == "zz":
            self.flush(a)
            self.flush(b)
            self.emit(("zz", a, b), to_turns(theta))
            return
        # exp(−iθ/2 ZZ) = H⊗H · exp(−iθ/2 XX) · H⊗H, and exp(−iθ/2 XX) = MS(0, 0, θ/2π)
        self.apply(a, H)
        self.apply(b, H)
        self.flush(a)
        self.flush(b)
        phi0 = -self.frame.get(a, 0.0) + xp.where(theta < 0, 0.5, 0.0)
        phi1 = -self.frame.get(b, 0.0)
        self.emit(("ms", a, b), phi0, phi1, to_turns(abs(theta)))
        self.pending[a] = H
        self.pending[b] = H

    def kak_steps(self, matrices: np.ndarray) -> list[Step]:
        """KAK steps for N two-qubit unitaries; a vanishing term is a branch like any other."""
        forms = [kak(m) for m in matrices]
        one = len(forms) == 1  # without a batch axis: Python numbers
        before = [as_entries(forms[0].before[k] if one else np.stack([f.before[k] for f in forms]))
                  for k in (0, 1)]
        after = [as_entries(forms[0].after[k] if one else np.stack([f.after[k] for f in forms]))
                 for k in (0, 1)]
        steps: list[Step] = [("u", 0, before[0]), ("u", 1, before[1])]
        for j, word in enumerate(("XX", "YY", "ZZ")):
            c = float(forms[0].coefficients[j]) if one \
                else np.array([f.coefficients[j] for f in forms])
            if self.decide(c, _nonzero):
                steps += _pauli_rotation(word, -2 * c)  # exp(icPP)
        return [*steps, ("u", 0, after[0]), ("u", 1, after[1])]

    def finish(self) -> Compiled:
        for q in sorted(self.pending):
            self.flush(q)
        if self.n == 1:
            values = np.array(self.columns, dtype=float).reshape(1, -1)
        else:
            values = np.column_stack([np.broadcast_to(v, (self.n,)) for v in self.columns]) \
                if self.columns else np.zeros((self.n, 0))
        phases = np.array(self.is_phase, dtype=bool)
        if phases.any():
            values[:, phases] = _normalize(values[:, phases])
        return Compiled(self.shape, values, self.frame, self.mismatch)


def _check_finite(slot: Slot, data: Sequence[Any]) -> None:
    for d in data:
        if not (math.isfinite(d) if isinstance(d, float) else np.isfinite(d).all()):
            raise CompilationError(f"ionq.batch: {slot.op.name} on wires "
                                   f"{slot.op.wires.tolist()} has a non-finite parameter")


def slot_matrices(slot: Slot, data: Sequence[np.ndarray], n: int) -> np.ndarray:
    """The op's matrix for N parameter sets: one broadcast call, else one op per member."""
    op = slot.op
    if not data:
        return np.asarray(qml.math.unwrap(op.matrix()), dtype=complex)
    try:
        m = np.asarray(type(op).compute_matrix(*data, **op.hyperparameters), dtype=complex)
        if m.shape == (n, 2 ** len(slot.qubits), 2 ** len(slot.qubits)):
            return m
    except Exception:  # noqa: BLE001, S110 - no broadcast form: build one op per member below
        pass
    return np.stack([np.asarray(qml.math.unwrap(qml.ops.functions.bind_new_parameters(
        op, [d[i] for d in data]).matrix()), dtype=complex) for i in range(n)])


def compile_slots(slots: Sequence[Slot], data: Sequence[Sequence[np.ndarray]], n: int,
                  entangler: str, constants: dict[int, Any] | None = None) -> Compiled:
    """Compile N circuits of one structure; ``data[k]`` holds slot k's parameters, N each.

    ``constants`` (kept by a template across calls) caches what parameter-free slots compile
    to: their matrix, or their KAK steps.
    """
    batch = _Batch(n, entangler)
    for k, (slot, d) in enumerate(zip(slots, data, strict=True)):
        name = slot.op.name
        if name in DROPPED:
            continue
        if slot.frozen:  # compiled with the representative's own values (part of its key)
            _check_finite(slot, [np.asarray(qml.math.unwrap(p)) for p in slot.op.data])
            d = []
        one = len(slot.qubits) == 1
        fast: Callable[..., Any] | None = FAST_1Q.get(name) if one else RECIPES.get(name)
        if fast is not None:  # angles as N floats, or one Python float
            d = [x.real.item() for x in d] if n == 1 else [np.real(x).astype(float) for x in d]
        _check_finite(slot, d)
        if one:
            if fast is not None:
                u = fast(*d)
            elif not d and constants is not None:
                if k not in constants:
                    constants[k] = as_entries(slot_matrices(slot, d, n))
                u = constants[k]
            else:
                m = slot_matrices(slot, d, n)
                u = as_entries(m[0] if n == 1 and m.ndim == 3 else m)
            batch.apply(slot.qubits[0], u)
            continue
        if len(slot.qubits) != 2:
            raise CompilationError(
                f"ionq.batch: operation {name} on wires {slot.op.wires.tolist()} acts on more "
                "than two wires; it should have been decomposed (please report this)")
        if fast is not None:
            steps = fast(*d)
        elif not d:  # a constant gate: one KAK form serves every member
            if constants is not None and k in constants:
                steps = constants[k]
            else:
                steps = _Batch(1, entangler).kak_steps(slot_matrices(slot, d, 1)[None])
                if constants is not None:
                    constants[k] = steps
        else:
            steps = batch.kak_steps(slot_matrices(slot, d, n))
        a, b = slot.qubits
        for step in steps:
            if step[0] == "u":
                batch.apply(slot.qubits[step[1]], step[2])
            else:
                batch.interact(a, b, step[1])
    return batch.finish()


def slots_for(ops: Sequence[Operator], wire_order: Sequence[Any]) -> list[Slot]:
    """The circuit's operations with their qubit positions (``wire_order[i]`` is qubit i)."""
    index = {w: i for i, w in enumerate(wire_order)}
    return [Slot(op, tuple(index[w] for w in wire_labels(op))) for op in ops]


def compile_with_frames(ops: Sequence[Operator], wire_order: Sequence[Any],
                        entangler: str = "ms") -> tuple[list[NativeGate], dict[int, float]]:
    """Native gates and the trailing frames (turns per qubit) that a measurement ignores.

    The circuit's unitary equals, up to global phase, ``⊗ RZ(2π·frames[q])`` after the gates.
    """
    data = [[np.asarray(qml.math.unwrap(p))[None] for p in op.data] for op in ops]
    compiled = compile_slots(slots_for(ops, wire_order), data, 1, entangler)
    return compiled.gates(0), {q: float(np.asarray(f).flat[0])
                               for q, f in compiled.frames.items()}


def compile_native(ops: Sequence[Operator], wire_order: Sequence[Any],
                   entangler: str = "ms") -> list[NativeGate]:
    """A circuit's native gates; qubit ``i`` is ``wire_order[i]``; trailing frames dropped."""
    return compile_with_frames(ops, wire_order, entangler)[0]


def _split(g: NativeGate) -> tuple[GateKind, tuple[int, ...], tuple[float, ...]]:
    kind = KINDS[g[0]]
    return kind, g[1:1 + kind.qubits], g[1 + kind.qubits:]


def native_gate_objects(gates: Iterable[NativeGate]) -> list[dict[str, Any]]:
    """IonQ's JSON gate objects (reference §4.2) for native gates."""
    return [kind.json(qubits, numbers) for kind, qubits, numbers in map(_split, gates)]


def native_operations(gates: Iterable[NativeGate], wire_order: Sequence[Any]) -> list[Operator]:
    """The native gates as PennyLane operations (for simulating or drawing what is sent)."""
    return [kind.operation_on([wire_order[q] for q in qubits], numbers)
            for kind, qubits, numbers in map(_split, gates)]
