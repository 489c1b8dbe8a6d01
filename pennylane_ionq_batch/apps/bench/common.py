"""What the benchmarks share: the emulator they run against, the alternative device, tables."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml

from ...emulator.server import fetch_log

KEY = "benchmark-key"


@dataclass(frozen=True)
class RemoteEmulator:
    """An emulator in another process: this process's CPU time is then the client's alone."""

    url: str

    def log(self) -> dict[str, Any]:
        return fetch_log(self.url)

    def counts(self) -> tuple[int, int]:
        """(jobs created, API requests) so far."""
        log = self.log()
        api = sum(v for k, v in log["requests"].items() if "/_emulator" not in k)
        return log["jobs_created"], api


@contextmanager
def emulator(latency: str = "instant", time_scale: float = 1.0, ideal_qpus: bool = False
             ) -> Iterator[RemoteEmulator]:
    """``ionq-batch emulator`` in a subprocess on a free loopback port, stopped afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pennylane_ionq_batch", "emulator", "--port", str(port),
         "--seed", "0", "--latency", latency, "--time-scale", str(time_scale),
         # pennylane-ionq 0.45 reads results only from the legacy results.probabilities.url,
         # which the live service still sends (IonQ's recorded contract): serve both shapes
         "--contract", "legacy", *(["--ideal-qpus"] if ideal_qpus else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/v0.4"
        for _ in range(300):
            try:
                fetch_log(url)
                break
            except OSError:
                if proc.poll() is not None:
                    why = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"the emulator did not start: {why}") from None
                time.sleep(0.05)
        yield RemoteEmulator(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


def pennylane_ionq_device(server: RemoteEmulator, wires: int, qpu: bool = False,
                          **kwargs: Any) -> Any | None:
    """pennylane-ionq's ``ionq.simulator`` (or ``ionq.qpu`` on aria-1) pointed at ``server``,
    or None if not installed.

    pennylane-ionq has no URL option; its client reads the class attribute ``BASE_URL``.
    """
    try:
        from pennylane_ionq.api_client import APIClient
    except ImportError:
        return None
    APIClient.BASE_URL = server.url
    if qpu:
        return qml.device("ionq.qpu", wires=wires, api_key=KEY, backend="aria-1", **kwargs)
    return qml.device("ionq.simulator", wires=wires, api_key=KEY, **kwargs)


SHOTS = 1024  # pennylane-ionq refuses analytic mode, so both devices sample


def sel_tapes(n_tapes: int, wires: int = 8, layers: int = 2, seed: int = 0) -> list:
    """Tapes of one structure: AngleEmbedding + StronglyEntanglingLayers, ⟨Z0⟩, SHOTS shots."""
    rng = np.random.default_rng(seed)
    shape = qml.StronglyEntanglingLayers.shape(n_layers=layers, n_wires=wires)
    return [qml.tape.QuantumScript(
        [qml.AngleEmbedding(rng.uniform(0, 1, wires), wires=range(wires)),
         qml.StronglyEntanglingLayers(rng.uniform(0, 3, shape), wires=range(wires))],
        [qml.expval(qml.PauliZ(0))], shots=SHOTS) for _ in range(n_tapes)]


def gate_ops(weights: Any, wires: int = 8) -> list:
    """The same two layers as :func:`sel_tapes`, written gate by gate as users write them:
    per layer a ``Rot`` on every wire, then a ring of ``CNOT``s (weights: layers × wires × 3)."""
    ops = []
    for layer in weights:
        ops += [qml.Rot(*layer[w], wires=w) for w in range(wires)]
        ops += [qml.CNOT([w, (w + 1) % wires]) for w in range(wires)]
    return ops


def gate_tapes(n_tapes: int, wires: int = 8, layers: int = 2, seed: int = 0,
               convert: Callable[[Any], Any] = np.asarray) -> list:
    """Tapes of :func:`gate_ops` (16 ``Rot`` + 16 ``CNOT``), ⟨Z0⟩, SHOTS shots; ``convert``
    hands each tape's weights to an interface (torch, JAX)."""
    rng = np.random.default_rng(seed)
    return [qml.tape.QuantumScript(
        gate_ops(convert(rng.uniform(0, 3, (layers, wires, 3))), wires),
        [qml.expval(qml.PauliZ(0))], shots=SHOTS) for _ in range(n_tapes)]


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """(best wall seconds over ``repeat`` runs, the last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def timed_cpu(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float, Any]:
    """(best wall seconds, best CPU seconds of this process, last result) over ``repeat`` runs."""
    best_wall = best_cpu = float("inf")
    result = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, result


def markdown(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
