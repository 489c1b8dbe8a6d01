"""``batched(fn)``: every ``ionq.batch`` execution ``fn`` makes, sent as one job per device.

A kernel matrix is a loop of QNode calls, an optimizer's step a forward pass and a gradient's
shifted circuits, a grid scan a loop again: each call is otherwise a job of its own, and on a
QPU each job is a queue crossing. ``batched`` runs ``fn`` through the record/replay contract of
:mod:`.recording` — record its executions with placeholder results, send them together, run
it again answered from the batch — so its results are those of calling ``fn`` directly.

What can break the one-job promise (each case still gives the right values, a fallback
counted in ``last_stats`` and a warning saying why): an execution whose circuits depend on
results computed in the same call (``if circuit(x) > 0: circuit2(...)``), and a function that
raises on placeholder results (then it is run plainly, every execution a job).
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, overload

from .recording import Memory, evaluate_together
from .stats import ExecutionStats

F = TypeVar("F", bound=Callable[..., Any])


class Batched:
    """``fn`` with its executions gathered (see :func:`batched`)."""

    def __init__(self, fn: Callable[..., Any], warn: bool) -> None:
        functools.update_wrapper(self, fn)
        self.fn, self.warn = fn, warn
        self.last_stats: ExecutionStats | None = None  # what the last call cost, fallbacks too
        self.fallbacks = 0  # executions over all calls that could not be answered together
        self._memory: Memory = {}  # each execution's last real results: next placeholders
        self._warned = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(self.fn, "__self__", None)  # a bound method: an optimizer's step
        saved = copy.deepcopy(vars(owner)) if owner is not None else None

        def reset() -> None:  # the record pass changed the optimizer (Adam's moments, ...)
            if owner is not None:
                vars(owner).clear()
                vars(owner).update(copy.deepcopy(saved))

        evaluations = evaluate_together(self.fn, [(args, kwargs)], self._memory, reset)
        self.last_stats = evaluations.stats
        self.fallbacks += evaluations.fallbacks
        if evaluations.why is not None and self.warn and not self._warned:
            self._warned = True
            warnings.warn(f"batched({getattr(self.fn, '__qualname__', self.fn)!r}): "
                          f"{evaluations.why}, so this call sent more than one job per device. "
                          "Its results are right; to keep one job, make the circuits it runs "
                          "independent of the values it computes (docs/training.md). Shown "
                          "once per batched function.", UserWarning, stacklevel=2)
        return evaluations.values[0]

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        """As a method decorator: bound to each instance."""
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)


@overload
def batched(fn: F, *, warn: bool = True) -> F: ...
@overload
def batched(fn: None = None, *, warn: bool = True) -> Callable[[F], F]: ...


def batched(fn: Callable[..., Any] | None = None, *, warn: bool = True) -> Any:
    """``fn``, with every ``ionq.batch`` execution it makes gathered into one job per device.

    Use it on a function (``batched(kernel_matrix)(X)``), as a decorator, or on an
    optimizer's step: ``batched(opt.step)(cost, params)`` gives one job per step for
    ``GradientDescentOptimizer``, ``AdamOptimizer``, ``QNGOptimizer`` and the like (the
    optimizer's state is restored between the two passes, so it steps once). Results equal
    calling ``fn`` directly; the global random generators (NumPy, Python, torch) end where one
    call leaves them; the first pass's printing and logging are silenced. ``warn=False``
    silences the warning about fallbacks (they are still counted in ``fallbacks``).
    Nested use, and use inside ``BatchSPSAOptimizer``, gather into the outermost.
    """
    if fn is None:
        return lambda f: Batched(f, warn)
    return Batched(fn, warn)
