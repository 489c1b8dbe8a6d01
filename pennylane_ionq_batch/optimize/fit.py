"""Mini-batch training over a data set, with checkpoints (``BatchSPSAOptimizer.fit``).

A checkpoint is one JSON file, replaced atomically (written beside it, then renamed), holding
the parameters, the optimizer's :meth:`state_dict` (iteration, resamplings, RNG state, losses)
and the position in the data (epoch, the epoch's sample order, next mini-batch). Resuming from
it continues the run exactly as if it had not stopped.

This module sees the optimizer only through :class:`Trainable` (no import of it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pennylane as qml

from .hooks import StepStats

FORMAT = "pennylane-ionq-batch/fit-checkpoint/2"


class Trainable(Protocol):
    """What :func:`run_fit` needs of an optimizer."""

    @property
    def k(self) -> int:
        """The next iteration's number (1 before the first step)."""

    @property
    def last_stats(self) -> StepStats | None:
        """What the last step cost."""

    @property
    def losses(self) -> list[float]:
        """The loss of every step so far."""

    def step_and_cost(self, objective_fn: Callable[..., Any], *args: Any) -> tuple[Any, Any]:
        """One step: the new arguments and the cost at the old ones."""

    def permutation(self, n: int) -> np.ndarray:
        """A random order of ``n`` samples, from the optimizer's generator."""

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, JSON-serialisable."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`."""


@dataclass
class FitResult:
    params: Any
    losses: list[float]
    batch_sizes: list[int] = field(default_factory=list)
    steps: int = 0
    resumed_from_step: int = 0


def save_checkpoint(path: Path, opt: Trainable, params: Any, position: dict[str, Any]
                    ) -> None:
    values = np.asarray(qml.math.to_numpy(params), dtype=float)
    data = {"format": FORMAT, "optimizer": opt.state_dict(),
            "params": {"shape": list(values.shape), "values": values.ravel().tolist()},
            **position}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def load_checkpoint(path: Path, opt: Trainable) -> tuple[Any, dict[str, Any]]:
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a pennylane-ionq-batch fit checkpoint ({FORMAT})")
    opt.load_state_dict(data["optimizer"])
    p = data["params"]
    params = qml.numpy.array(np.reshape(p["values"], p["shape"]), requires_grad=True)
    return params, data


def check_fit_options(batch_size: Any, epochs: Any, auto_possible: bool) -> None:
    """Refuse a ``fit`` that cannot run, before any step."""
    if batch_size != "auto" and (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                                 or batch_size < 1):
        raise ValueError(f'batch_size must be a positive int or "auto", got {batch_size!r}')
    if batch_size == "auto" and not auto_possible:
        raise ValueError('batch_size="auto" needs the optimizer\'s batch_size_hook')
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")


def run_fit(opt: Trainable, cost: Callable[..., Any], params: Any, X: Any, Y: Any, *,
            batch_size: int | str, epochs: int, checkpoint: str | os.PathLike[str] | None,
            checkpoint_every: int, callback: Callable[[int, Any, float], None] | None,
            next_batch_size: Callable[[StepStats], int] | None) -> FitResult:
    """Train ``cost(params, X_batch, Y_batch)`` for ``epochs`` epochs of mini-batches.

    ``next_batch_size`` (with ``batch_size="auto"``) sizes the next mini-batch from what the
    last step cost.
    """
    n = len(X)
    size = min(n, batch_size) if isinstance(batch_size, int) else min(n, 10)
    epoch, start, order, resumed = 0, 0, None, 0
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        params, state = load_checkpoint(path, opt)
        epoch, start, size = state["epoch"], state["next"], state["batch_size"]
        order = None if state["order"] is None else np.array(state["order"], dtype=int)
        resumed = opt.k - 1
    result = FitResult(params, [], resumed_from_step=resumed)
    while epoch < epochs:
        if order is None:
            order = opt.permutation(n)
        while start < n:
            idx = order[start:start + size]
            (params, _, _), loss = opt.step_and_cost(cost, params, X[idx], Y[idx])
            start += len(idx)
            result.batch_sizes.append(len(idx))
            result.steps += 1
            if next_batch_size is not None and opt.last_stats is not None:
                size = max(1, min(n, int(next_batch_size(opt.last_stats))))
            if callback is not None:
                callback(opt.k - 1, params, float(qml.math.to_numpy(loss)))
            if path is not None and result.steps % checkpoint_every == 0:
                save_checkpoint(path, opt, params, {
                    "epoch": epoch if start < n else epoch + 1,
                    "next": start if start < n else 0,
                    "order": order.tolist() if start < n else None,
                    "batch_size": size})
        epoch, start, order = epoch + 1, 0, None
    result.params, result.losses = params, list(opt.losses)
    return result
