"""Tapes bound from a learned preprocessing (:mod:`.cache`), operations built lazily.

A bound tape is a cached output tape with new parameter values. The device compiles it from
those values and its compile key alone (the structure's compiled template is cached), so in
training its operator objects are never needed: building them anyway was most of the cost of
binding, and their ~80 objects per tape made Python's garbage collector the largest and least
predictable share of a big batch's client time. A :class:`BoundScript` builds its operations
on first read, so it is a complete QuantumScript to anything that looks.

**PennyLane internals this module relies on** (PennyLane 0.45; review at every PennyLane minor
release — ``tests/preprocess/test_bound.py::test_pennylane_internals_still_hold`` fails when
one of them stops holding, instead of letting binding fall back to a slow path unnoticed):

- ``QuantumScript`` keeps its operations in the instance attribute ``_ops`` (set in
  ``__init__``, read by ``operations``), which :class:`BoundScript` turns into a property;
- ``QuantumScript.wires`` is a ``functools.cached_property`` (stored in ``__dict__``), so a
  bound copy can carry its prototype's wires; ``_flatten``/``_unflatten`` make it a pytree;
- a plain operation (``RX``, ``Rot``, ``IsingXX``, ...) holds its whole state in ``__dict__``,
  its parameters in a writable ``data`` attribute and a cached Pauli representation in
  ``_pauli_rep``, so a copy of ``__dict__`` with new ``data`` is the same operation with new
  parameters (:func:`fast_rebinding`). PennyLane's main branch makes ``Operator.data``
  read-only; there, binding would go through ``bind_new_parameters`` for every operation.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.operation import Operator
from pennylane.pytrees import register_pytree
from pennylane.tape import QuantumScript
from pennylane.transforms import convert_to_numpy_parameters

from ..compile.keys import NUMBERS

COMPILE_KEY = "_ionq_batch_compile_key"  # the operations' compile key (compile.template)
_VALUES = "_ionq_batch_values"  # the operations' parameters, flattened, in order
_SOURCE = "_ionq_batch_source"  # (cached output tape's operations, values taken per operation)
_BINDER = "_ionq_batch_binder"  # the Binder that made the tape


class BoundScript(QuantumScript):
    """A QuantumScript whose operations are bound from its values when first read."""

    @property
    def _ops(self) -> list[Operator]:
        state = self.__dict__
        ops = state.get("_ops")
        if ops is None:
            source, sizes = state[_SOURCE]
            ops = state["_ops"] = _bind_operations(source, sizes, state[_VALUES])
        return ops

    @_ops.setter
    def _ops(self, ops: list[Operator]) -> None:
        state = self.__dict__
        state["_ops"] = ops
        state.pop(_VALUES, None)  # the values and key no longer describe these operations
        state.pop(COMPILE_KEY, None)

    @property
    def operations_built(self) -> bool:
        """Whether anything has read the operations yet (they are built then)."""
        return "_ops" in self.__dict__

    @property
    def fingerprint(self) -> Hashable:
        """Equal for equal tapes, like ``hash``, without building the operations: the cached
        tape it was bound from (its operations, measurements and shots) and its values. (Only
        for comparing tapes alive at the same time: the cached tape is identified by ``id``.)
        A plain tape once its operations were replaced."""
        values = bound_values(self)
        if values is None:
            return self.hash
        return id(self.__dict__[_SOURCE]), values.tobytes()

    def bind_new_parameters(self, params: Sequence[Any], indices: Sequence[int]
                            ) -> QuantumScript:
        """PennyLane's, without building operations when the new parameters are plain numbers
        of the operations (how PennyLane's interface boundaries hand NumPy values back)."""
        state = self.__dict__
        values = bound_values(self)
        if values is None or len(params) != len(indices) or not indices or \
                max(indices) >= len(values) or not all(map(_is_number, params)):
            return super().bind_new_parameters(params, indices)
        new_values = values.copy()
        new_values[sorted(indices)] = [float(p) for p in params]  # PennyLane's pairing
        new = state[_BINDER].bind(new_values)
        new.__dict__["_trainable_params"] = state.get("_trainable_params")
        return new


def _is_number(value: Any) -> bool:
    """A plain number or 0-d NumPy array (not a subclass: PennyLane's trainable tensors
    are NumPy arrays that must stay what they are)."""
    return type(value) in NUMBERS or (type(value) is np.ndarray and value.shape == ()
                                      and value.dtype.kind in "fiu")


@convert_to_numpy_parameters.register
def _already_numpy(tape: BoundScript) -> tuple[Sequence[QuantumScript], Any]:
    """PennyLane converts tapes to NumPy before asking a device for derivatives: a bound tape
    holding its values holds NumPy values (operations bound from them), so it is kept
    rather than rebuilt."""
    if bound_values(tape) is not None:
        return [tape], _first
    traced = tape.__dict__.get(_VALUES)
    if traced is not None:  # bound from traced values: the same values, untraced
        new = tape.__dict__[_BINDER].bind(np.asarray(qml.math.unwrap(traced), dtype=float))
        new.__dict__["_trainable_params"] = tape.__dict__.get("_trainable_params")
        return [new], _first
    return convert_to_numpy_parameters.tape_transform(tape)


def _first(results: Sequence[Any]) -> Any:
    return results[0]


register_pytree(BoundScript, BoundScript._flatten, BoundScript._unflatten)


class Binder:
    """Makes bound copies of one cached output tape."""

    def __init__(self, tape: QuantumScript, sizes: tuple[int, ...], token: Hashable | None
                 ) -> None:
        prototype = QuantumScript([], tape.measurements, shots=tape.shots)
        state = dict(prototype.__dict__)  # what QuantumScript.__init__ sets, without _ops
        del state["_ops"]
        state["wires"] = tape.wires  # a cached_property: the same wires
        state[COMPILE_KEY] = token
        state[_SOURCE] = (tuple(tape.operations), sizes)
        state[_BINDER] = self
        self._state = state
        self.size = sum(sizes)
        self.memo: dict[Hashable, Any] = {}  # what depends on the structure alone

    def bind(self, values: np.ndarray) -> BoundScript:
        """The tape with ``values`` (its operations' parameters, flattened)."""
        new = object.__new__(BoundScript)
        new.__dict__.update(self._state)
        new.__dict__[_VALUES] = values
        return new


def _bind_operations(ops: Sequence[Operator], sizes: Sequence[int], values: Any
                     ) -> list[Operator]:
    # NumPy values as Python floats; traced ones (autodiff) one element each, still traced
    flat = values.tolist() if type(values) is np.ndarray else [
        values[i] for i in range(len(values))]
    k, out = 0, []
    for op, n in zip(ops, sizes, strict=True):
        if n:
            op = _with_values(op, tuple(flat[k:k + n]))
            k += n
        out.append(op)
    return out


def fast_rebinding(op: Operator) -> bool:
    """Whether ``op`` is rebound by copying its ``__dict__`` (a plain operation whose values
    are its own ``data`` attribute); symbolic operations (controlled, adjoint, ...) keep their
    values in operators they share with the cached tape, so PennyLane rebuilds them."""
    return "data" in op.__dict__


def _with_values(op: Any, data: tuple[Any, ...]) -> Any:
    """``op`` with new scalar parameters of the same shapes.

    A plain operation is copied as PennyLane's ``bind_new_parameters`` does, without its
    per-attribute copy: cached shape facts stay true, and a Pauli representation, which may
    depend on the values, is dropped. Others go through ``bind_new_parameters``.
    """
    if not fast_rebinding(op):
        return qml.ops.functions.bind_new_parameters(op, data)
    new = object.__new__(type(op))
    new.__dict__.update(op.__dict__)
    new.data = data
    if "_pauli_rep" in new.__dict__:
        new._pauli_rep = None
    return new


class LazyOperations(Sequence[Sequence[Operator]]):
    """Each tape's operations, read only when asked for (a bound tape builds them then)."""

    def __init__(self, tapes: Sequence[QuantumScript]) -> None:
        self._tapes = tapes

    def __len__(self) -> int:
        return len(self._tapes)

    def __getitem__(self, i: int) -> Sequence[Operator]:  # type: ignore[override]
        return self._tapes[i].operations


def compile_token(tape: QuantumScript) -> Hashable | None:
    """The compile key a bound tape carries (None for any other tape)."""
    return tape.__dict__.get(COMPILE_KEY)


def structure_memo(tape: QuantumScript) -> dict[Hashable, Any] | None:
    """A dictionary shared by every tape bound alike (None for any other tape): for what
    depends on a tape's structure, not its values (a recorded step's placeholder results)."""
    binder = tape.__dict__.get(_BINDER)
    return binder.memo if binder is not None else None


def bound_values(tape: QuantumScript) -> np.ndarray | None:
    """A bound tape's operation parameters, flattened in order, in NumPy (None for any other
    tape, and for one bound from values autodiff traces)."""
    values = tape.__dict__.get(_VALUES)
    return values if type(values) is np.ndarray else None
