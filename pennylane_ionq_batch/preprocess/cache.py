"""Preprocessing cached by structure: PennyLane's transforms run once per circuit structure.

Training sends the same structures again and again with new parameters, and the device's
preprocessing (decomposing templates, expanding broadcasts, splitting and diagonalizing
measurements) costs milliseconds per tape — most of a batch's client time. Its output depends
on the input's structure, and its output parameters on the input parameters through an
affine map for every transform the device uses (decompositions pass angles through scaled and
shifted). So, per structure:

1. the first tape is preprocessed as usual (a structure seen once costs nothing extra);
2. at its second sighting the map is learned: the pipeline runs on P + 1 probes
   (p₀ and p₀ + eⱼ for each of the P input parameters), giving ``p_out = A·p_in + b``; a further
   probe at random values must then be reproduced exactly (same output structure, values to
   1e-12), or the structure is marked as one that is always preprocessed in full;
3. afterwards a tape of that structure is preprocessed by binding ``A·p_in + b`` into the
   cached output tapes: no transform runs, and the bound tapes build their operations only
   when something reads them (:mod:`.bound`; the device compiles them from their values).

Structures whose values are structure (a Hermitian's matrix, a Hamiltonian's coefficients, an
operator PennyLane cannot rebind) carry those values in their key. Bounded (LRU), thread-safe;
hits and misses are counted like the compile cache's.

The cache takes part in recorded optimizer steps (:mod:`..recording`): a structure may be
learned between a step's record and replay passes, and a bound tape's values can differ from
the full pipeline's in their last bits, so what the record pass got by running the pipeline is
kept in the step's memo and handed to the replay pass unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml
from cachetools import LRUCache
from pennylane.tape import QuantumScript

from .. import recording
from ..compile.keys import NUMBERS, scan
from ..compile.native import rebinds
from ..compile.template import CacheStats, ops_key
from .bound import Binder

MAX_LEARNED_PARAMETERS = 512  # beyond this, learning costs more than it saves
Postprocess = Callable[[Sequence[Any]], Any]
Pipeline = Callable[[Sequence[QuantumScript]], tuple[Sequence[QuantumScript], Postprocess]]


def _measurement_key(mp: Any) -> Hashable:
    obs = mp.obs
    values = tuple(np.asarray(qml.math.unwrap(d)).tobytes() for d in obs.data) \
        if obs is not None else ()
    return (type(mp).__name__, repr(mp), tuple(mp.wires.labels), values)


def scan_tape(tape: QuantumScript) -> tuple[Hashable, np.ndarray] | None:
    """What preprocessing depends on besides the operations' parameter values (the key), and
    those values; None when some value is not a real number (then it is structure)."""
    scanned = scan(tape.operations)  # parameter shapes imply the batch size
    if scanned is None:
        return None
    ops, values = scanned
    return (ops, tuple(map(_measurement_key, tape.measurements)), tape.shots), values


def fingerprint(tape: QuantumScript) -> Hashable:
    """Equal for tapes that give equal results, as ``tape.hash`` is, for a fraction of its
    cost (a hash rounds and hashes every parameter through PennyLane's dispatch): a bound
    tape's own fingerprint, else the tape's structure key and values."""
    own = getattr(tape, "fingerprint", None)
    if own is not None:
        return own
    scanned = scan_tape(tape)
    if scanned is None:
        return tape.hash
    key, values = scanned
    return key, values.tobytes()


def _output_key(tapes: Sequence[QuantumScript]) -> Hashable:
    return tuple((tuple((op.name, tuple(op.wires.labels), tuple(np.shape(d) for d in op.data))
                        for op in t.operations), repr(t.measurements), t.shots) for t in tapes)


@dataclass
class _Learned:
    """One structure's preprocessing: output tapes to bind into, and the affine map."""

    postprocess: Postprocess
    matrix: np.ndarray  # (P_out, P_in)
    offset: np.ndarray  # (P_out,)
    binders: tuple[Binder, ...]  # per output tape

    def bind(self, values: np.ndarray) -> tuple[Sequence[QuantumScript], Postprocess]:
        """Output tapes with the map applied to ``values``."""
        return self._split(self.matrix @ values + self.offset)

    def bind_traced(self, values: np.ndarray, tape: QuantumScript
                    ) -> tuple[Sequence[QuantumScript], Postprocess]:
        """Output tapes bound from ``tape``, whose parameters autodiff may trace
        (``values``: the same, in NumPy). An output parameter that depends on a trainable
        input is computed in that input's interface, so the trace runs on into it; the
        others stay NumPy floats, so they stay untrainable, as through the transforms (a
        trainable output would buy shifted circuits for a gradient nobody asked for)."""
        mask, trainable = _trainable_inputs(tape)
        flat = self.matrix @ values + self.offset
        if not mask.any():
            return self._split(flat)
        depends = np.flatnonzero(self.matrix[:, mask].any(axis=1))
        part = self.matrix[np.ix_(depends, mask)]  # how they depend on the trainable inputs
        traced = qml.math.dot(qml.math.asarray(part, like=trainable), trainable) + \
            qml.math.asarray(flat[depends] - part @ values[mask], like=trainable)
        mixed: list[Any] = flat.tolist()
        for i, j in enumerate(depends):
            mixed[j] = traced[i]
        return self._split(mixed)

    def _split(self, flat: Any) -> tuple[Sequence[QuantumScript], Postprocess]:
        out, k = [], 0
        for binder in self.binders:
            out.append(binder.bind(flat[k:k + binder.size]))
            k += binder.size
        return out, self.postprocess


NOT_CACHEABLE = object()
SEEN_ONCE = object()


class PreprocessCache:
    """A bounded, thread-safe LRU map from input structures to learned preprocessing."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self.stats = CacheStats()
        self._entries: LRUCache[Hashable, Any] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def apply(self, tape: QuantumScript, pipeline: Pipeline
              ) -> tuple[Sequence[QuantumScript], Postprocess]:
        """The pipeline's output for ``tape``, from the cache when its structure is known."""
        memo = recording.step_memo(self)
        # While a step has fully preprocessed no tape (training's steady state), tapes bound
        # in its record pass bind alike in the replay, and no hash (costlier than a bind) is
        # computed.
        exact = tape.hash if memo else None
        if exact is not None and exact in memo:  # type: ignore[operator]
            with self._lock:
                self.stats.hits += 1
            return memo[exact]  # type: ignore[index]
        scanned = scan_tape(tape)
        key, values = scanned if scanned is not None else (None, None)
        with self._lock:
            entry = self._entries.get(key) if key is not None else NOT_CACHEABLE
            if isinstance(entry, _Learned):
                self.stats.hits += 1
            else:
                self.stats.misses += 1
        if isinstance(entry, _Learned):
            return entry.bind(values)  # type: ignore[arg-type]
        out, post = pipeline([tape])
        if entry is None:  # first sighting: remember it, learn next time
            self._store(key, SEEN_ONCE)
        elif entry is SEEN_ONCE:
            self._store(key, _learn(tape, values, pipeline, out, post))  # type: ignore[arg-type]
        if memo is not None:
            memo[tape.hash if exact is None else exact] = (out, post)
        return out, post

    def apply_traced(self, tape: QuantumScript, pipeline: Pipeline, tracking: Pipeline
                     ) -> tuple[Sequence[QuantumScript], Postprocess]:
        """For a tape whose parameters autodiff traces (device derivatives): a learned
        structure binds them through the learned map, computed in their own interface, so
        the trace runs on into the bound tapes; any other tape goes through ``tracking``
        (the transforms, tracing), and its structure is learned from its values in NumPy as
        :meth:`apply` learns. A JAX tracer (inside ``jax.jit``, once per compilation) has no
        values to key by: always ``tracking``."""
        try:
            scanned = scan_tape(tape)
        except Exception:  # noqa: BLE001 - a tracer without a value: nothing to key by
            scanned = None
        key, values = scanned if scanned is not None else (None, None)
        with self._lock:
            entry = self._entries.get(key) if key is not None else NOT_CACHEABLE
        # Within a recorded step both passes must make the same kind of tapes (they are
        # matched by fingerprint), so the replay sees a structure as the record pass did,
        # even if that pass taught it to the cache.
        memo = recording.step_memo(self)
        seen = memo.setdefault(("traced", key), entry) if memo is not None else entry
        with self._lock:
            if isinstance(seen, _Learned):
                self.stats.hits += 1
            else:
                self.stats.misses += 1
        if isinstance(seen, _Learned):
            return seen.bind_traced(values, tape)  # type: ignore[arg-type]
        out, post = tracking([tape])
        if seen is not entry:  # the step saw this structure earlier: learning waits for
            return out, post   # the next step
        if entry is None:
            self._store(key, SEEN_ONCE)
        elif entry is SEEN_ONCE:
            plain = _rebind(tape, values)  # type: ignore[arg-type]  # the same, untraced
            self._store(key, _learn(plain, values, pipeline,  # type: ignore[arg-type]
                                    *pipeline([plain])))
        return out, post

    def _store(self, key: Hashable, entry: Any) -> None:
        with self._lock:
            self._entries[key] = entry


def _trainable_inputs(tape: QuantumScript) -> tuple[np.ndarray, Any]:
    """Which of the operations' flattened parameters are trainable (PennyLane's
    ``requires_grad``: what makes a parameter trainable at the interface boundary), and
    those, as one float64 1-d array of their interface."""
    mask: list[bool] = []
    parts = []
    for op in tape.operations:
        for d in op.data:
            n = int(np.prod(qml.math.shape(d)))
            trainable = type(d) not in NUMBERS and qml.math.requires_grad(d)
            mask.extend([trainable] * n)
            if trainable:
                parts.append(qml.math.reshape(qml.math.cast(d, "float64"), (-1,)))
    if not parts:
        return np.zeros(len(mask), dtype=bool), None
    like = qml.math.get_interface(*parts)
    return np.array(mask, dtype=bool), qml.math.concatenate(parts, like=like)


def _flat_outputs(tapes: Sequence[QuantumScript]) -> np.ndarray | None:
    parts = []
    for t in tapes:
        scanned = scan(t.operations)
        if scanned is None:
            return None
        parts.append(scanned[1])
    return np.concatenate(parts) if parts else np.zeros(0)


def _learn(tape: QuantumScript, values: np.ndarray, pipeline: Pipeline,
           outputs: Sequence[QuantumScript], post: Postprocess) -> Any:
    """The affine map of ``tape``'s structure, proven on a random probe; else NOT_CACHEABLE."""
    p = len(values)
    if p > MAX_LEARNED_PARAMETERS:
        return NOT_CACHEABLE
    base = _flat_outputs(outputs)
    if base is None:
        return NOT_CACHEABLE
    shape = _output_key(outputs)
    try:
        columns = []
        for j in range(p):
            probe = values.copy()
            probe[j] += 1.0
            probed, _ = pipeline([_rebind(tape, probe)])
            flat = _flat_outputs(probed)
            if flat is None or _output_key(probed) != shape:
                return NOT_CACHEABLE
            columns.append(flat - base)
        matrix = np.column_stack(columns) if columns else np.zeros((len(base), 0))
        offset = base - matrix @ values
        check = values + np.random.default_rng(p).uniform(-3.0, 3.0, p)
        probed, _ = pipeline([_rebind(tape, check)])
        flat = _flat_outputs(probed)
        if flat is None or _output_key(probed) != shape or not np.allclose(
                flat, matrix @ check + offset, rtol=0, atol=1e-12):
            return NOT_CACHEABLE
    except Exception:  # noqa: BLE001 - a structure we cannot probe is preprocessed in full
        return NOT_CACHEABLE
    sizes = tuple(tuple(int(sum(np.size(d) for d in op.data)) for op in t.operations)
                  for t in outputs)
    if any(np.ndim(d) for t in outputs for op in t.operations for d in op.data):
        return NOT_CACHEABLE  # array-valued output parameters: bind() writes scalars
    # Tapes bound alike compile alike, unless an operation compiles with its own values: their
    # part of the compiler's structure key is computed once, here
    tokens = tuple(ops_key(t.operations) if all(rebinds(op) for op in t.operations if op.data)
                   else None for t in outputs)
    postprocess = _unchanged if _passes_through(post, len(outputs)) else post
    return _Learned(postprocess, matrix, offset, tuple(
        Binder(t, s, token) for t, s, token in zip(outputs, sizes, tokens, strict=True)))


def _unchanged(results: Sequence[Any]) -> Any:
    return results


def _passes_through(post: Postprocess, outputs: int) -> bool:
    """Whether the pipeline's postprocessing hands a single output tape's result back
    untouched (most structures: one tape, no coefficients to apply). Its stages then need
    not run per tape (about 18 µs): an opaque object and two numbers come back as they went
    in, which any stage that computes, reorders or reshapes would not do."""
    if outputs != 1:
        return False
    probes = (object(), 0.8125, -1.5)
    try:
        return all(post((p,))[0] is p for p in probes)
    except Exception:  # noqa: BLE001 - a stage that computes: it must run
        return False


def _rebind(tape: QuantumScript, values: np.ndarray) -> QuantumScript:
    """``tape`` with its operations' parameters replaced by ``values`` (same shapes)."""
    ops, k = [], 0
    for op in tape.operations:
        if not op.data:
            ops.append(op)
            continue
        new = []
        for d in op.data:
            shape = tuple(qml.math.shape(d))  # any interface's (torch's .size is a method)
            n = int(np.prod(shape))
            new.append(np.reshape(values[k:k + n], shape) if shape else float(values[k]))
            k += n
        ops.append(qml.ops.functions.bind_new_parameters(op, new))
    return QuantumScript(ops, tape.measurements, shots=tape.shots)
