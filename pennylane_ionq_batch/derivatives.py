"""Parameter-shift derivatives computed on the device: a gradient's forward circuits and all
its shifted circuits in one ``execute()``, so one job.

PennyLane's own ``param_shift`` transform makes the shifted tapes and combines their results
(its recipes, its Jacobian format); the device only decides to send them together with the
forward circuits. The tapes it receives are already preprocessed (PennyLane ran the device's
preprocessing where autodiff traces the parameters), so the shifted tapes need none.

PennyLane asks for Jacobians with every forward execution whose parameters are trainable
(``grad_on_execution``), and with PennyLane's NumPy nearly every value computed from a
trainable one is trainable: eager Jacobians would buy shifted circuits for evaluations nobody
differentiates (every SPSA step, every printed loss). So the device's preprocessing notes
whether autodiff is really tracing (:func:`preprocess_watching`): then the shifts go with the
forward circuits; otherwise the Jacobian is :class:`LazyJacobians`, computed (one more job)
only if something reads it. A wrong guess costs a job, never a wrong gradient.
"""

from __future__ import annotations

import contextvars
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pennylane as qml
from pennylane.devices import ExecutionConfig
from pennylane.tape import QuantumScript
from pennylane.transforms.core import transform

from .compile.keys import NUMBERS
from .preprocess.cache import Pipeline, PreprocessCache

Execute = Callable[..., tuple[Any, ...]]

_TRACED: contextvars.ContextVar[bool] = contextvars.ContextVar("ionq_batch_traced",
                                                               default=False)


def is_traced(value: Any) -> bool:
    """Whether autodiff is tracing ``value``: an autograd box, a torch tensor that requires
    grad (with grad enabled), a JAX tracer."""
    name = type(value).__module__.split(".", 1)[0]
    if name == "autograd":
        return True
    if name == "torch":
        torch = sys.modules["torch"]
        return bool(getattr(value, "requires_grad", False)) and torch.is_grad_enabled()
    if name in ("jax", "jaxlib"):
        return isinstance(value, sys.modules["jax"].core.Tracer)
    return False


@transform
def preprocess_watching(tape: QuantumScript, tracking: Pipeline, cached: Pipeline,
                        cache: PreprocessCache) -> tuple[list[QuantumScript], Any]:
    """The device-derivative pipeline (PennyLane runs it where autodiff traces parameters):
    a tape autodiff traces is bound from the structure cache in its own interface, so the
    trace runs on (or goes through ``tracking`` while its structure is being learned), and
    the next :func:`execute_and_differentiate` is told a gradient is wanted; any other tape
    goes through ``cached``, the structure cache, as without gradients."""
    if any(type(p) not in NUMBERS and is_traced(p)
           for p in tape.get_parameters(trainable_only=False)):
        _TRACED.set(True)
        out, post = cache.apply_traced(tape, cached, tracking)
    else:
        out, post = cache.apply(tape, cached)
    return list(out), lambda results: post(results)[0]


class LazyJacobians(Sequence[Any]):
    """Jacobians computed only when first read (the shifted circuits: one job then)."""

    def __init__(self, compute: Callable[[], Sequence[Any]], size: int) -> None:
        self._compute, self._size = compute, size
        self._values: Sequence[Any] | None = None

    def _get(self) -> Sequence[Any]:
        if self._values is None:
            self._values = self._compute()
        return self._values

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: Any) -> Any:
        return self._get()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._get())


def _shifts(tape: QuantumScript, config: ExecutionConfig | None
            ) -> tuple[Sequence[QuantumScript], Callable[[Sequence[Any]], Any]]:
    """The shifted tapes of ``tape``'s trainable parameters, and how to combine their
    results into its Jacobian (PennyLane's format)."""
    kwargs = dict(config.gradient_keyword_arguments) if config is not None else {}
    with warnings.catch_warnings():  # a tape with no trainable parameter gets zeros
        warnings.filterwarnings("ignore", message="Attempted to compute the gradient")
        tapes, combine = qml.gradients.param_shift(tape, **kwargs)
    return tapes, combine


def execute_and_differentiate(execute: Execute, circuits: Sequence[QuantumScript],
                              config: ExecutionConfig | None = None, *, forward: bool = True,
                              eager: bool | None = None
                              ) -> tuple[tuple[Any, ...], Sequence[Any]]:
    """(results, Jacobians) of ``circuits``, through ``execute``: the forward circuits and,
    when ``eager`` (by default: when :func:`watch` saw autodiff tracing), every shifted
    circuit in one call; otherwise Jacobians that compute themselves when read.
    ``forward=False`` computes only the Jacobians (results come back empty)."""
    circuits = tuple(circuits)
    if eager is None:
        eager = _TRACED.get()
    _TRACED.set(False)
    if forward and not eager:
        return tuple(execute(list(circuits), config)), LazyJacobians(
            lambda: execute_and_differentiate(execute, circuits, config, forward=False,
                                              eager=True)[1], len(circuits))
    plans = [_shifts(tape, config) for tape in circuits]
    batch = [*(circuits if forward else ()), *(t for tapes, _ in plans for t in tapes)]
    results = tuple(execute(batch, config)) if batch else ()
    k = len(circuits) if forward else 0
    jacobians = []
    for tapes, combine in plans:
        jacobians.append(combine(results[k:k + len(tapes)]))
        k += len(tapes)
    return (results[:len(circuits)] if forward else ()), tuple(jacobians)
