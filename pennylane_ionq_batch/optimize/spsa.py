"""BatchSPSAOptimizer: ``qml.SPSAOptimizer``'s algorithm, one IonQ job per step.

``qml.SPSAOptimizer`` calls the cost at θ + cΔ and at θ − cΔ separately (and once more at θ in
``step_and_cost``), and a cost that loops over samples calls its QNode once per sample: each
call is a job. Here every evaluation a step needs goes through
:func:`~pennylane_ionq_batch.recording.evaluate_together`, so an ``ionq.batch`` device receives
them as one ``execute()`` — one job — whatever the shape of the cost.

With the defaults (``resamplings=1``, no ``seed``/``rng``) the perturbations come from NumPy's
global generator in the same order as upstream, so the trajectory is the same, also for a cost
that draws from NumPy's generator itself (the record pass is invisible to it: see
:mod:`~pennylane_ionq_batch.recording` and docs/training.md).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, cast

import autoray
import numpy as np
import pennylane as qml

from ..recording import Evaluations, Memory, evaluate_together
from .fit import FitResult, check_fit_options, run_fit
from .hooks import BatchSizeHook, StepStats

Args = Sequence[Any]


def _trainable(arg: Any) -> bool:
    """Upstream's rule (``requires_grad``); JAX arrays, which have no such flag, train."""
    flag = getattr(arg, "requires_grad", None)
    if flag is None:
        return qml.math.get_interface(arg) == "jax"
    return bool(flag)


def _like(values: np.ndarray, arg: Any) -> Any:
    """A NumPy array as the same kind of tensor (and dtype) as ``arg`` (torch, JAX, ...);
    NumPy and autograd arrays take it as it is."""
    backend = autoray.infer_backend(arg)
    if backend in ("numpy", "autograd", "builtins"):
        return values
    return autoray.astype(autoray.do("asarray", values, like=backend),
                          autoray.get_dtype_name(arg))


def _untracked(arg: Any) -> Any:
    """``arg`` as a value autodiff does not track. SPSA never differentiates the cost, and
    PennyLane prepares every circuit of a trainable argument for its gradient (decomposing it
    for parameter shifts): about as much client time again as running it."""
    if isinstance(arg, qml.numpy.tensor) and arg.requires_grad:
        return qml.numpy.tensor(arg, requires_grad=False)
    if getattr(arg, "requires_grad", False) and hasattr(arg, "detach"):  # torch
        return arg.detach()
    return arg


class BatchSPSAOptimizer:
    """Simultaneous perturbation stochastic approximation, one IonQ job per step.

    The constructor, ``step``, ``step_and_cost``, ``compute_grad`` and ``apply_grad`` match
    :class:`pennylane.SPSAOptimizer` (same defaults, same errors). Keyword-only extras:

    Args:
        resamplings (int): perturbation pairs per step, averaged; all sent in the same job.
        rng (numpy.random.Generator): draws the perturbations; default NumPy's global
            generator, as upstream.
        seed (int): shorthand for ``rng=numpy.random.default_rng(seed)``.
        batch_size_hook (BatchSizeHook): called after each step with :class:`StepStats`; its
            answer becomes ``resamplings`` (or, in :meth:`fit` with ``batch_size="auto"``, the
            mini-batch size).
    """

    def __init__(self, maxiter: int | None = None, alpha: float = 0.602, gamma: float = 0.101,
                 c: float = 0.2, A: float | None = None, a: float | None = None, *,
                 resamplings: int = 1, rng: np.random.Generator | None = None,
                 seed: int | None = None, batch_size_hook: BatchSizeHook | None = None) -> None:
        self.a = a
        self.A = A
        if not maxiter and not A:
            raise TypeError("One of the parameters maxiter or A must be provided.")
        if not A:
            self.A = maxiter * 0.1  # type: ignore[operator]
        if not a:
            self.a = 0.05 * (self.A + 1) ** alpha  # type: ignore[operator]
        self.c = c
        self.alpha = alpha
        self.gamma = gamma
        self.k = 1
        self.ak = self.a / (self.A + 1) ** self.alpha  # type: ignore[operator]
        if not isinstance(resamplings, int) or resamplings < 1:
            raise ValueError(f"resamplings must be a positive int, got {resamplings!r}")
        if rng is not None and seed is not None:
            raise ValueError("give rng or seed, not both")
        if batch_size_hook is not None and not isinstance(batch_size_hook, BatchSizeHook):
            raise TypeError("batch_size_hook needs a next_batch_size(stats) -> int method")
        self.resamplings = resamplings
        self.rng = rng if rng is not None else (
            np.random.default_rng(seed) if seed is not None else None)
        self.batch_size_hook = batch_size_hook
        self.losses: list[float] = []
        self.last_stats: StepStats | None = None
        self.fallbacks = 0  # evaluations that could not be answered from the step's batch
        self._memory: Memory = {}  # each call's last real results: the next step's placeholders
        self._warned = False
        self._hook_sizes_resamplings = True  # fit(batch_size="auto") points it at mini-batches

    # -- the upstream interface -----------------------------------------------------------------
    def step(self, objective_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        new_args, _ = self._step(objective_fn, args, kwargs, with_cost=False)
        return new_args[0] if len(new_args) == 1 else new_args

    def step_and_cost(self, objective_fn: Callable[..., Any], *args: Any,
                      **kwargs: Any) -> tuple[Any, Any]:
        """The new arguments and the cost at the old ones (evaluated in the same job)."""
        new_args, cost = self._step(objective_fn, args, kwargs, with_cost=True)
        return (new_args[0] if len(new_args) == 1 else new_args), cost

    def compute_grad(self, objective_fn: Callable[..., Any], args: Args,
                     kwargs: dict[str, Any]) -> tuple[Any, ...]:
        return self._gradient(objective_fn, args, kwargs, with_cost=False)[0]

    def apply_grad(self, grad: Sequence[Any], args: Args) -> list[Any]:
        self.ak = self.a / (self.A + self.k) ** self.alpha  # type: ignore[operator]
        args_new = list(args)
        trained = 0
        for index, arg in enumerate(args):
            if _trainable(arg):
                args_new[index] = arg - self.ak * grad[trained]
                trained += 1
        return args_new

    def fit(self, cost: Callable[..., Any], params: Any, X: Any, Y: Any, *,
            batch_size: int | str = 10, epochs: int = 1,
            checkpoint: str | os.PathLike[str] | None = None, checkpoint_every: int = 1,
            callback: Callable[[int, Any, float], None] | None = None,
            session: AbstractContextManager[Any] | None = None) -> FitResult:
        """Train ``cost(params, X_batch, Y_batch)`` over mini-batches for ``epochs`` epochs.

        Each step is one :meth:`step_and_cost` (one job). ``batch_size="auto"`` lets the
        ``batch_size_hook`` size the mini-batches. With ``checkpoint``, the run is saved every
        ``checkpoint_every`` steps and, if the file exists, resumed from it exactly.
        ``callback(step, params, loss)`` is called after each step. ``session`` (e.g.
        ``dev.session(max_jobs=200)``) is entered for the whole run: every step's job runs in
        that IonQ session, which is ended at the end, on an error or on Ctrl-C.
        """
        auto = batch_size == "auto"
        check_fit_options(batch_size, epochs, self.batch_size_hook is not None)
        hook = self.batch_size_hook.next_batch_size if auto and self.batch_size_hook else None
        self._hook_sizes_resamplings = not auto
        try:
            with session if session is not None else nullcontext():
                return run_fit(self, cost, params, X, Y, batch_size=batch_size, epochs=epochs,
                               checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                               callback=callback, next_batch_size=hook)
        finally:
            self._hook_sizes_resamplings = True

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What continuing exactly needs (JSON-serialisable): the iteration, resamplings, the
        loss history and the state of the generator perturbations are drawn from (NumPy's
        global one when no ``rng``/``seed`` was given)."""
        if self.rng is not None:
            rng: dict[str, Any] = {"generator": self.rng.bit_generator.state}
        else:
            name, keys, pos, has_gauss, gauss = cast(tuple[Any, ...], np.random.get_state())
            rng = {"global": [name, keys.tolist(), int(pos), int(has_gauss), float(gauss)]}
        return {"k": self.k, "resamplings": self.resamplings, "losses": list(self.losses),
                "rng": rng}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict` (restores NumPy's global generator when that is
        what the state holds)."""
        rng = state["rng"]
        if "generator" in rng:
            if self.rng is None:
                raise ValueError("the state was saved with a seeded generator; create the "
                                 "optimizer with seed= or rng= to load it")
            self.rng.bit_generator.state = rng["generator"]
        else:
            name, keys, pos, has_gauss, gauss = rng["global"]
            np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
        self.k, self.resamplings = int(state["k"]), int(state["resamplings"])
        self.losses = [float(x) for x in state["losses"]]

    def permutation(self, n: int) -> np.ndarray:
        """A random order of ``n`` samples, from the generator perturbations are drawn from."""
        return self.rng.permutation(n) if self.rng is not None else np.random.permutation(n)

    # -- internals ------------------------------------------------------------------------------
    def _choice(self, shape: tuple[int, ...]) -> np.ndarray:
        if self.rng is None:
            return np.random.choice([-1, 1], size=shape)  # upstream draws exactly this
        return self.rng.choice([-1, 1], size=shape)

    def _step(self, objective_fn: Callable[..., Any], args: Args, kwargs: dict[str, Any], *,
              with_cost: bool) -> tuple[list[Any], Any]:
        grad, cost, evaluations = self._gradient(objective_fn, args, kwargs,
                                                 with_cost=with_cost)
        new_args = self.apply_grad(grad, args)
        if with_cost:
            self.losses.append(float(qml.math.to_numpy(cost)))
        stats = self.last_stats = _step_stats(self.k, self.resamplings, evaluations,
                                              self.losses)
        self.k += 1
        if self.batch_size_hook is not None and self._hook_sizes_resamplings:
            self.resamplings = max(1, int(self.batch_size_hook.next_batch_size(stats)))
        return new_args, cost

    def _gradient(self, objective_fn: Callable[..., Any], args: Args, kwargs: dict[str, Any],
                  *, with_cost: bool) -> tuple[tuple[Any, ...], Any, Evaluations]:
        ck = self.c / self.k**self.gamma
        deltas, points = [], []
        for _ in range(self.resamplings):
            delta, plus, minus = [], list(args), list(args)
            for index, arg in enumerate(args):
                if _trainable(arg):
                    di = self._choice(qml.math.shape(arg))
                    multiplier = _like(ck * di, arg)
                    plus[index] = arg + multiplier
                    minus[index] = arg - multiplier
                    delta.append(di)
            deltas.append(delta)
            points += [(list(map(_untracked, plus)), kwargs),
                       (list(map(_untracked, minus)), kwargs)]
        if with_cost:
            points.append((list(map(_untracked, args)), kwargs))
        evaluations = evaluate_together(objective_fn, points, self._memory)
        values = evaluations.values
        self.fallbacks += evaluations.fallbacks
        if evaluations.why is not None and not self._warned:
            self._warned = True
            warnings.warn(
                f"BatchSPSAOptimizer: {evaluations.why}, so this step (and any like it) sent "
                "more than one job. Its results are right; to keep one job per step, make the "
                "circuits the cost sends independent of the values it computes (see "
                "docs/training.md). This warning is shown once per optimizer.",
                UserWarning, stacklevel=4)
        if np.size(qml.math.to_numpy(values[0])) > 1:
            raise ValueError("The objective function must be a scalar function for the "
                             "gradient to be computed.")
        grads: list[Any] = []
        trainable = [arg for arg in args if _trainable(arg)]
        for r, delta in enumerate(deltas):
            yplus, yminus = values[2 * r], values[2 * r + 1]
            g = [(yplus - yminus) / (2 * ck * _like(di, arg))
                 for di, arg in zip(delta, trainable, strict=True)]
            grads = g if r == 0 else [acc + x for acc, x in zip(grads, g, strict=True)]
        if self.resamplings > 1:
            grads = [g / self.resamplings for g in grads]
        cost = values[-1] if with_cost else None
        return tuple(grads), cost, evaluations


def _step_stats(step: int, batch_size: int, evaluations: Evaluations,
                losses: Sequence[float]) -> StepStats:
    """What the whole step cost, over every device execution (fallbacks included)."""
    stats = evaluations.stats
    return StepStats(step=step, batch_size=batch_size, circuits=stats.circuits, jobs=stats.jobs,
                     timing=stats.timing, losses=tuple(losses))
