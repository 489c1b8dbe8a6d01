"""A quantum-kernel matrix under IonQ-like latency: one job with ``batched``, against one job
per kernel entry (pennylane-ionq, and ionq.batch without ``batched``).

The kernel is the overlap of two angle embeddings on 4 qubits; the square matrix of N points
takes N(N−1)/2 evaluations (the diagonal is 1). Every setup runs against the same emulator
(``--latency ionq-cloud``, time-scaled) with 1024 shots (pennylane-ionq refuses analytic mode).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml

from ...batching import batched
from ...config import ClientConfig
from .common import KEY, SHOTS, emulator, markdown, pennylane_ionq_device

WIRES = 4


def kernel_on(dev: Any) -> Callable[[Any, Any], Any]:
    @qml.set_shots(SHOTS)
    @qml.qnode(dev)
    def overlap(x1: Any, x2: Any) -> Any:
        qml.AngleEmbedding(x1, wires=range(WIRES))
        qml.adjoint(qml.AngleEmbedding)(x2, wires=range(WIRES))
        return qml.probs(wires=range(WIRES))

    return lambda a, b: overlap(a, b)[0]


@dataclass
class KernelRow:
    setup: str
    jobs: int
    requests: int
    seconds: float
    max_error: float  # against the exact matrix


def kernel_rows(points: int = 50, time_scale: float = 0.01, compare: bool = True
                ) -> list[KernelRow]:
    X = np.random.default_rng(0).uniform(0, np.pi, (points, WIRES))
    exact = _exact(X)
    rows = []
    with emulator("ionq-cloud", time_scale) as server:
        ours = qml.device("ionq.batch", wires=WIRES, api_url=server.url, api_key=KEY,
                          progress=False, client_options={
                              "poll_min": ClientConfig.poll_min * time_scale})
        setups: list[tuple[str, Callable[..., Any]]] = [
            ("ionq.batch, batched(square_kernel_matrix)",
             batched(qml.kernels.square_kernel_matrix)),
            ("ionq.batch, square_kernel_matrix", qml.kernels.square_kernel_matrix)]
        devices = [ours, ours]
        theirs = pennylane_ionq_device(server, WIRES) if compare else None
        if theirs is not None:
            setups.append(("pennylane-ionq, square_kernel_matrix",
                           qml.kernels.square_kernel_matrix))
            devices.append(theirs)
        for (name, matrix), dev in zip(setups, devices, strict=True):
            jobs0, requests0 = server.counts()
            start = time.perf_counter()
            K = matrix(X, kernel_on(dev), assume_normalized_kernel=True)
            seconds = time.perf_counter() - start
            jobs, requests = server.counts()
            rows.append(KernelRow(name, jobs - jobs0, requests - requests0, seconds,
                                  float(np.abs(np.asarray(K) - exact).max())))
    return rows


def _exact(X: np.ndarray) -> np.ndarray:
    """The kernel matrix from exact probabilities (default.qubit, no shots)."""
    @qml.qnode(qml.device("default.qubit", wires=WIRES))
    def overlap(x1: Any, x2: Any) -> Any:
        qml.AngleEmbedding(x1, wires=range(WIRES))
        qml.adjoint(qml.AngleEmbedding)(x2, wires=range(WIRES))
        return qml.probs(wires=range(WIRES))

    return np.asarray(qml.kernels.square_kernel_matrix(
        X, lambda a, b: overlap(a, b)[0], assume_normalized_kernel=True))


def report(points: int = 50, time_scale: float = 0.01, compare: bool = True) -> str:
    rows = kernel_rows(points, time_scale, compare)
    fastest = min(r.seconds for r in rows)
    table = [[r.setup, r.jobs, r.requests, f"{r.seconds:.2f}", f"{r.seconds / fastest:.1f}×",
              f"{r.max_error:.3f}"] for r in rows]
    note = "" if len(rows) > 2 else ("\n(pennylane-ionq is not installed: pip install -e "
                                     "'.[bench]' to run it side by side)")
    return (f"A {points}-point square kernel matrix ({points * (points - 1) // 2} kernel "
            f"evaluations), 4 qubits, {SHOTS} shots; emulator --latency ionq-cloud "
            f"--time-scale {time_scale} (seconds below are scaled).\n\n"
            + markdown(["setup", "jobs", "HTTP requests", "seconds", "vs fastest",
                        "largest difference from exact"], table) + note
            + "\n\nionq.batch samples the shots from the simulator's exact probabilities (as "
              "default.qubit does with shots); pennylane-ionq returns the exact probabilities "
              "whatever the shots.")
