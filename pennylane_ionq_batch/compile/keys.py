"""What an operation is besides its parameter values, read in O(1) Python work per operation.

Both structure caches (preprocessing, :mod:`..preprocess.cache`; compilation,
:mod:`.template`) key every operation of every tape of a batch: a training step of gate-level
circuits keys tens of thousands. So a key reads only what an operation already holds:

- its **class**;
- its **wire labels** (a controlled operation's from its parts: its ``wires`` property adds
  two ``Wires`` objects on every read);
- its **hyper-parameters only when its class has some**: a class whose constructor takes
  nothing but its parameters, ``wires`` and ``id`` (``RX``, ``Rot``, ``CNOT``, ``MultiRZ``) is
  *plain*: class and wires fix everything else. Other classes (templates, ``PauliRot``,
  ``qml.ctrl`` of anything) add their hyper-parameters, frozen;
- its parameters' **shapes** only when some parameter is an array (a template's weights).

:func:`scan` reads the parameter values in the same pass, converting only what is not
already a plain number.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.operation import Operation, Operator
from pennylane.ops.op_math import Controlled
from pennylane.wires import Wires

# Parameter types that are a real number as they are (no unwrapping, no dispatch)
NUMBERS = frozenset({float, int, np.float64, np.float32, np.int64, np.int32})
_PLAIN_CLASSES: dict[type, bool] = {}
_GENERIC_INITS = (Operator.__init__, Operation.__init__)  # they set no hyper-parameters
_CONTROLLED_CLASSES: dict[type, bool] = {}


def is_plain(cls: type) -> bool:
    """Whether an operation of class ``cls`` is fixed by its wires and parameter values: its
    constructor takes nothing else (checked once per class)."""
    plain = _PLAIN_CLASSES.get(cls)
    if plain is None:
        plain = _PLAIN_CLASSES[cls] = _takes_only_parameters_and_wires(cls)
    return plain


def _takes_only_parameters_and_wires(cls: type) -> bool:
    count = getattr(cls, "num_params", None)
    if not isinstance(count, int):  # a property: decided per instance (symbolic operators)
        return False
    if cls.__init__ in _GENERIC_INITS:  # type: ignore[misc]  # (*params, wires, id): S, SWAP
        return True
    try:
        parameters = inspect.signature(cls.__init__).parameters  # type: ignore[misc]
    except (TypeError, ValueError):
        return False
    if "wires" not in parameters:
        return False
    rest = [p for name, p in parameters.items() if name not in ("self", "wires", "id")]
    return len(rest) == count and all(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in rest)


def wire_labels(op: Operator) -> tuple[Any, ...]:
    """``op.wires.labels``; a Controlled op rebuilds its Wires on each access, so read its parts."""
    cls = type(op)
    controlled = _CONTROLLED_CLASSES.get(cls)
    if controlled is None:
        controlled = _CONTROLLED_CLASSES[cls] = issubclass(cls, Controlled)
    if controlled:
        hp = op.hyperparameters
        return (*hp["control_wires"].labels, *hp["base"].wires.labels)
    return op.wires.labels


_ATOMS = frozenset({str, int, float, bool, type(None), type})


def freeze(value: Any) -> Hashable:
    """A hashable stand-in for a hyper-parameter; operators count without their data."""
    cls = type(value)
    if cls in _ATOMS:
        return value
    if cls is Wires:
        return value.labels  # labels are hashable (Wires requires it)
    if cls is tuple and all(type(v) in _ATOMS for v in value):
        return value
    if isinstance(value, Operator):
        return (value.name, tuple(value.wires), freeze(value.hyperparameters))
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, Wires)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return (value.shape, value.tobytes())
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def scan(ops: Sequence[Operator]) -> tuple[Hashable, np.ndarray] | None:
    """The operations' structure key and their parameters flattened in order, in one pass;
    None when a parameter is not a real number or array (a matrix, an object): such values
    are structure, not something to rebind.

    Gate-level tapes (plain operations with number parameters) take the fast path: per
    operation a class lookup, its wire labels and its parameters appended; the parameters'
    types are checked once for the whole tape.
    """
    keys: list[Hashable] = []
    values: list[Any] = []
    for op in ops:
        cls = type(op)
        kind = _KINDS.get(cls)
        if kind is None:
            kind = _KINDS[cls] = _kind(cls)
        if kind == PLAIN:
            keys.append((cls, op.wires.labels))
            values.extend(op.data)
        elif kind == PLAIN_CONTROLLED:  # CNOT, CRX, Toffoli, ...: wires from their parts
            hp = op.hyperparameters
            keys.append((cls, hp["control_wires"].labels + hp["base"].wires.labels))
            if cls.num_params:
                values.extend(op.data)
        else:
            return _scan_any(ops)
    if not set(map(type, values)) <= NUMBERS:  # arrays, interface tensors, ...
        return _scan_any(ops)
    return tuple(keys), np.array(values, dtype=float)


PLAIN, PLAIN_CONTROLLED, OTHER = 0, 1, 2
_KINDS: dict[type, int] = {}


def _kind(cls: type) -> int:
    if not is_plain(cls):
        return OTHER
    return PLAIN_CONTROLLED if issubclass(cls, Controlled) else PLAIN


def _scan_any(ops: Sequence[Operator]) -> tuple[Hashable, np.ndarray] | None:
    """:func:`scan` for any operations: hyper-parameters of classes that have some, shapes of
    array parameters, parameters of any interface unwrapped (scalars all at once: a torch or
    JAX tape holds dozens, and converting each costs microseconds)."""
    keys: list[Hashable] = []
    values: list[Any] = []
    scalars: list[tuple[int, Any]] = []  # (index in values, a 0-d tensor of an interface)
    arrays = False
    for op in ops:
        data = op.data
        shapes: tuple[tuple[int, ...], ...] | None = None
        if all(type(d) in NUMBERS for d in data):
            values.extend(data)
        else:
            found = []
            for d in data:
                shape = () if type(d) in NUMBERS else tuple(getattr(d, "shape", np.shape(d)))
                found.append(shape)
                if type(d) in NUMBERS:
                    values.append(d)
                elif not shape:
                    scalars.append((len(values), d))
                    values.append(0.0)
                else:
                    array = np.asarray(qml.math.unwrap(d))
                    if array.dtype.kind not in "fiub":
                        return None
                    values.append(array)
                    arrays = True
            shapes = tuple(found)
        cls = type(op)
        if shapes is None and is_plain(cls):
            keys.append((cls, wire_labels(op)))
        else:
            keys.append((cls, wire_labels(op), freeze(op.hyperparameters), shapes))
    if scalars:
        converted = _numbers([d for _, d in scalars])
        if converted is None:
            return None
        for (i, _), x in zip(scalars, converted, strict=True):
            values[i] = x
    if not arrays:
        return tuple(keys), np.array(values, dtype=float)
    return tuple(keys), np.concatenate([np.ravel(v) for v in values]).astype(float)


def _numbers(scalars: list[Any]) -> list[float] | None:
    """0-d tensors as floats, each interface its cheapest way (NumPy subclasses such as
    PennyLane's in one array, torch by ``item()``, JAX through NumPy one by one, anything
    else unwrapped); None if one is not real. (A JAX tracer has no value: NumPy raises.)"""
    kind = type(scalars[0])
    module = kind.__module__.split(".", 1)[0] if all(
        type(d) is kind for d in scalars) else None
    if module is not None and issubclass(kind, np.ndarray):
        array = np.array(scalars)
    elif module == "torch":
        array = np.array([d.item() for d in scalars])
    elif module in ("jax", "jaxlib"):
        array = np.array([np.asarray(d) for d in scalars])
    else:  # autograd's boxes, mixed interfaces, ...
        array = np.array([np.asarray(qml.math.unwrap(d)) for d in scalars])
    if array.dtype.kind not in "fiub":
        return None
    return array.astype(float).tolist()
