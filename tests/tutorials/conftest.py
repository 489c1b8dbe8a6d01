"""PennyLane's tutorials, shrunk, on ionq.batch (the embedded emulator) and on default.qubit.

Each test follows the workflow of one tutorial of the PennyLaneAI/qml repository, written for
this suite: the same code runs on both devices, made after the same NumPy seed, and the values
must agree (to 1e-8 with exact results) while the emulator counts the IonQ jobs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml
import pytest

EXACT = 1e-8


@dataclass
class Jobs:
    """IonQ jobs created at the emulator inside a ``with counting(dev)`` block."""

    count: int = 0


@contextmanager
def counting(dev: Any) -> Iterator[Jobs]:
    jobs, before = Jobs(), dev.emulator.log.jobs_created
    try:
        yield jobs
    finally:
        jobs.count = dev.emulator.log.jobs_created - before


def both(wires: int, seed: int = 0, **kwargs: Any) -> tuple[Any, Any]:
    """(ionq.batch, default.qubit), each made right after ``np.random.seed(seed)``."""
    np.random.seed(seed)
    ionq = qml.device("ionq.batch", wires=wires, backend="emulator", **kwargs)
    np.random.seed(seed)
    reference = qml.device("default.qubit", wires=wires)
    return ionq, reference


def run_both(make: Callable[[Any], Any], wires: int, seed: int = 0) -> tuple[Any, Any, Jobs]:
    """What a script does, on each device: seed NumPy, make the device, run ``make(dev)``
    (both devices draw their own seed from NumPy's generator when made). Jobs counted on
    ionq.batch."""
    np.random.seed(seed)
    ionq = qml.device("ionq.batch", wires=wires, backend="emulator")
    with counting(ionq) as jobs:
        ours = make(ionq)
    np.random.seed(seed)
    expected = make(qml.device("default.qubit", wires=wires))
    return ours, expected, jobs


def steps(opt: Any, cost: Callable[[Any], Any], params: Any, count: int = 3
          ) -> tuple[Any, list[Any]]:
    """``count`` optimizer steps, as the tutorials write them: (final parameters, costs)."""
    costs = []
    for _ in range(count):
        params, value = opt.step_and_cost(cost, params)
        costs.append(value)
    return params, costs


def assert_close(ours: Any, expected: Any, atol: float = EXACT) -> None:
    if isinstance(expected, (list, tuple)):
        assert len(ours) == len(expected)
        for a, b in zip(ours, expected, strict=True):
            assert_close(a, b, atol)
        return
    assert np.allclose(np.asarray(ours, dtype=float), np.asarray(expected, dtype=float),
                       atol=atol), (ours, expected)


@pytest.fixture(autouse=True)
def _restore_numpy_seed() -> Iterator[None]:
    state = np.random.get_state()
    yield
    np.random.set_state(state)
