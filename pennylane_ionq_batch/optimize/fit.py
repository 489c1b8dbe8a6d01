"""``BatchSPSAOptimizer.fit``: mini-batch training over a data set, with checkpoints.

A checkpoint is one JSON file, replaced atomically (written beside it, then renamed), holding
the parameters, the optimizer's state (iteration, resamplings, RNG state), the loss history
and the position in the data (epoch, the epoch's sample order, next mini-batch). Resuming
from it continues the run exactly as if it had not stopped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pennylane as qml

if TYPE_CHECKING:
    from .spsa import BatchSPSAOptimizer

FORMAT = "pennylane-ionq-batch/fit-checkpoint/1"


@dataclass
class FitResult:
    params: Any
    losses: list[float]
    batch_sizes: list[int] = field(default_factory=list)
    steps: int = 0
    resumed_from_step: int = 0


def _rng_state(opt: BatchSPSAOptimizer) -> Any:
    if opt.rng is not None:
        return {"generator": opt.rng.bit_generator.state}
    name, keys, pos, has_gauss, gauss = cast(tuple[Any, ...], np.random.get_state())
    return {"global": [name, keys.tolist(), int(pos), int(has_gauss), float(gauss)]}


def _set_rng_state(opt: BatchSPSAOptimizer, state: dict[str, Any]) -> None:
    if "generator" in state:
        if opt.rng is None:
            raise ValueError("the checkpoint used a seeded generator; create the optimizer "
                             "with seed= or rng= to resume it")
        opt.rng.bit_generator.state = state["generator"]
    else:
        name, keys, pos, has_gauss, gauss = state["global"]
        np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))


def save_checkpoint(path: Path, opt: BatchSPSAOptimizer, params: Any, state: dict[str, Any]
                    ) -> None:
    values = np.asarray(qml.math.to_numpy(params), dtype=float)
    data = {"format": FORMAT, "k": opt.k, "resamplings": opt.resamplings,
            "rng": _rng_state(opt), "losses": list(opt.losses),
            "params": {"shape": list(values.shape), "values": values.ravel().tolist()},
            **state}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def load_checkpoint(path: Path, opt: BatchSPSAOptimizer) -> tuple[Any, dict[str, Any]]:
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a pennylane-ionq-batch fit checkpoint")
    opt.k, opt.resamplings = int(data["k"]), int(data["resamplings"])
    opt.losses = [float(x) for x in data["losses"]]
    _set_rng_state(opt, data["rng"])
    p = data["params"]
    params = qml.numpy.array(np.reshape(p["values"], p["shape"]), requires_grad=True)
    return params, data


def run_fit(opt: BatchSPSAOptimizer, cost: Callable[..., Any], params: Any, X: Any, Y: Any, *,
            batch_size: int | str, epochs: int, checkpoint: str | os.PathLike | None,
            checkpoint_every: int, callback: Callable[[int, Any, float], None] | None
            ) -> FitResult:
    n = len(X)
    if batch_size != "auto" and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f'batch_size must be a positive int or "auto", got {batch_size!r}')
    if batch_size == "auto" and opt.batch_size_hook is None:
        raise ValueError('batch_size="auto" needs the optimizer\'s batch_size_hook')
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    size = min(n, batch_size) if isinstance(batch_size, int) else min(n, 10)
    epoch, start, order, resumed = 0, 0, None, 0
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        params, state = load_checkpoint(path, opt)
        epoch, start, size = state["epoch"], state["next"], state["batch_size"]
        order = None if state["order"] is None else np.array(state["order"], dtype=int)
        resumed = opt.k - 1
    result = FitResult(params, opt.losses, resumed_from_step=resumed)
    opt._hook_sets = "batch" if batch_size == "auto" else "resamplings"
    try:
        while epoch < epochs:
            if order is None:
                order = (opt.rng.permutation(n) if opt.rng is not None
                         else np.random.permutation(n))
            while start < n:
                idx = order[start:start + size]
                (params, _, _), loss = opt.step_and_cost(cost, params, X[idx], Y[idx])
                start += len(idx)
                result.batch_sizes.append(len(idx))
                result.steps += 1
                hook = opt.batch_size_hook
                if batch_size == "auto" and hook is not None and opt.last_stats is not None:
                    size = max(1, min(n, int(hook.next_batch_size(opt.last_stats))))
                if callback is not None:
                    callback(opt.k - 1, params, float(qml.math.to_numpy(loss)))
                if path is not None and result.steps % checkpoint_every == 0:
                    save_checkpoint(path, opt, params, {
                        "epoch": epoch if start < n else epoch + 1,
                        "next": start if start < n else 0,
                        "order": order.tolist() if start < n else None,
                        "batch_size": size})
            epoch, start, order = epoch + 1, 0, None
    finally:
        opt._hook_sets = "resamplings"
    result.params, result.losses = params, list(opt.losses)
    return result
