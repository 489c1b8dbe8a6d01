"""Client-side time per circuit against pennylane-ionq and against the floor, per tape shape
and interface; a structure's first sighting; an optimizer step; a 970-circuit gradient.

Both devices run the same tapes against the same emulator (``--latency instant``) running in
another process, so this process's CPU time (all its threads) is the client's alone:
preprocessing, compiling, serialising, HTTP and parsing. Wall time also includes the
emulator's simulation and polling. The **floor** is what no client can skip, measured in the
same run: ``orjson`` serialising the batch's circuits and parsing the results IonQ returned.
"""

from __future__ import annotations

import gc
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import orjson
import pennylane as qml

from ...compile import StructureCache
from ...execution import wire_order
from ...optimize import BatchSPSAOptimizer
from ...preprocess.transforms import build_pipeline
from .common import (
    KEY,
    SHOTS,
    RemoteEmulator,
    emulator,
    gate_ops,
    gate_tapes,
    markdown,
    pennylane_ionq_device,
    sel_tapes,
    timed,
    timed_cpu,
)

SHAPES: dict[str, Callable[..., list]] = {"gate": gate_tapes, "template": sel_tapes}
SHAPE_NAMES = {"gate": "gate by gate (16 Rot + 16 CNOT)",
               "template": "templates (AngleEmbedding + StronglyEntanglingLayers)"}
INTERFACES = ("numpy", "autograd", "torch", "jax")


@dataclass
class Row:
    label: str
    tapes: int
    cpu_us: float  # ionq.batch: this process's CPU per circuit, warm
    wall_us: float
    floor_us: float  # orjson: the batch's circuits out, its results in
    theirs_cpu_us: float | None = None  # pennylane-ionq's ionq.simulator, the same tapes
    theirs_wall_us: float | None = None
    theirs_error: str | None = None


def _fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"apiKey {KEY}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return bytes(response.read())


def floor_us(server: RemoteEmulator, dev: Any, tapes: list, job_ids: list[str]) -> float:
    """µs per circuit for ``orjson`` to serialise ``tapes``' circuits (compiled as the
    device compiles them) and to parse the results of ``job_ids`` as the server sent them."""
    prepared, _ = dev.preprocess_transforms()(tapes)
    orders = [wire_order(t, dev.wires) for t in prepared]
    bodies, _ = StructureCache().serialize([t.operations for t in prepared], orders,
                                           dev.entangler())
    body = {"type": "ionq.multi-circuit.v1", "backend": "simulator",
            "input": {"gateset": "native", "qubits": 8,
                      "circuits": [orjson.loads(b.body) for b in bodies]}}
    host = server.url.rsplit("/v0.4", 1)[0]
    results = []
    for job in job_ids:
        descriptor = orjson.loads(_fetch(f"{server.url}/jobs/{job}"))
        results.append(_fetch(host + descriptor["results"]["probabilities"]["url"]))
    t_out, _ = timed(lambda: orjson.dumps(body), 3)
    t_in, _ = timed(lambda: [orjson.loads(r) for r in results], 3)
    return (t_out + t_in) * 1e6 / len(tapes)


def measure(server: RemoteEmulator, dev: Any, make: Callable[..., list], n: int, label: str
            ) -> Row:
    """A warm batch of ``n`` tapes from ``make`` (its structure seen twice before)."""
    execute = partial(qml.execute, device=dev)
    for seed in (8, 9):
        execute(make(2, seed=seed))
    tapes = make(n)
    with qml.Tracker(dev) as tracker:
        wall, cpu, _ = timed_cpu(lambda: execute(tapes))
    jobs = tracker.history["job_ids"][-1]
    plain = tapes if label in ("numpy", *SHAPES) else make(n, convert=np.asarray)
    return Row(label, n, cpu * 1e6 / n, wall * 1e6 / n, floor_us(server, dev, plain, jobs))


def compare(row: Row, server: RemoteEmulator, make: Callable[..., list], ours: Any) -> None:
    """pennylane-ionq on the same tapes, in ``row`` (or why it failed)."""
    theirs_dev = pennylane_ionq_device(server, 8)
    if theirs_dev is None:
        return
    tapes = make(row.tapes)
    try:
        wall, cpu, theirs = timed_cpu(lambda: qml.execute(tapes, theirs_dev))
    except Exception as exc:  # noqa: BLE001 - reported in the table, e.g. a 413
        row.theirs_error = str(exc)[:80]
        return
    mine = qml.execute(tapes, ours)
    assert np.allclose(mine, theirs, atol=0.25), "pennylane-ionq disagrees"
    row.theirs_cpu_us, row.theirs_wall_us = cpu * 1e6 / row.tapes, wall * 1e6 / row.tapes


def shape_rows(shapes: tuple[str, ...], sizes: tuple[int, ...], compare_theirs: bool
               ) -> list[Row]:
    rows = []
    with emulator() as server:
        for shape in shapes:
            for n in sizes:
                dev = qml.device("ionq.batch", wires=8, api_url=server.url, api_key=KEY,
                                 seed=0, progress=False)
                row = measure(server, dev, SHAPES[shape], n, shape)
                if compare_theirs:
                    compare(row, server, SHAPES[shape], dev)
                rows.append(row)
    return rows


def _converter(interface: str) -> Callable[[Any], Any] | None:
    """How to hand weights to ``interface`` (None: not installed)."""
    try:
        if interface == "autograd":
            return partial(qml.numpy.array, requires_grad=True)
        if interface == "torch":
            import torch

            return torch.tensor
        if interface == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
            return jax.numpy.asarray
    except ImportError:
        return None
    return np.asarray


def interface_rows(n: int) -> list[Row]:
    """The gate-level batch under every interface installed (forward evaluations)."""
    rows = []
    with emulator() as server:
        for interface in INTERFACES:
            convert = _converter(interface)
            if convert is None:
                continue
            dev = qml.device("ionq.batch", wires=8, api_url=server.url, api_key=KEY,
                             seed=0, progress=False)
            rows.append(measure(server, dev, partial(gate_tapes, convert=convert), n, interface))
    return rows


def first_sightings(samples: int = 20) -> tuple[int, int, list[float]]:
    """Operations per tape as written and as compiled, and ms to compile and serialise a
    40-operation gate-level tape (8 ``RY`` + 2 layers) into an empty structure cache."""
    with emulator() as server:
        dev = qml.device("ionq.batch", wires=8, api_url=server.url, api_key=KEY,
                         progress=False)
        rng = np.random.default_rng(2)
        written = qml.tape.QuantumScript(
            [qml.RY(x, wires=i) for i, x in enumerate(rng.uniform(0, 1, 8))]
            + gate_ops(rng.uniform(0, 3, (2, 8, 3))), [qml.expval(qml.PauliZ(0))], shots=SHOTS)
        pipeline = build_pipeline(dev.wires, dev.options, max_qubits=dev.max_qubits)
        (tape,), _ = pipeline([written])
        ops, order, entangler = tape.operations, wire_order(tape, dev.wires), dev.entangler()
        times = []
        for _ in range(samples):  # as timeit does: the collector paused while timing
            gc.collect()
            gc.disable()
            try:
                times.append(timed(partial(StructureCache().serialize, [ops], [order],
                                           entangler))[0] * 1e3)
            finally:
                gc.enable()
    return len(written.operations), len(ops), times


def _classifier(dev: Any, samples: int) -> Callable[[Any], Any]:
    """A gate-level classifier's Python-loop cost: 8 qubits, ``RY`` embedding + 2 layers."""
    xs = np.random.default_rng(0).uniform(0, 1, (samples, 8))

    @qml.set_shots(shots=SHOTS)
    @qml.qnode(dev)
    def circuit(w: Any, x: Any) -> Any:
        for i in range(8):
            qml.RY(x[i], wires=i)
        gate_ops(w)  # operations queue as they are made
        return qml.expval(qml.PauliZ(0))

    return lambda w: sum((circuit(w, x) - 0.5) ** 2 for x in xs) / samples


class _Null(qml.devices.Device):
    """Answers every tape with 0 at once: what PennyLane alone costs per QNode call."""

    def execute(self, circuits: Any, execution_config: Any = None) -> Any:
        return tuple(np.float64(0.0) for _ in circuits)


def optimizer_steps(samples: int = 50, steps: int = 4) -> list[tuple[str, float, float]]:
    """(weights, µs of client CPU per circuit for a BatchSPSAOptimizer step, µs for the same
    QNode calls on a null device): the step calls the cost twice (record, replay)."""
    out = []
    with emulator() as server:
        for kind in ("numpy", "autograd"):
            dev = qml.device("ionq.batch", wires=8, api_url=server.url, api_key=KEY,
                             seed=0, progress=False)
            cost, opt = _classifier(dev, samples), BatchSPSAOptimizer(maxiter=10)
            w0 = np.random.default_rng(1).uniform(0, 3, (2, 8, 3))
            w = qml.numpy.array(w0, requires_grad=True) if kind == "autograd" else w0
            for _ in range(2):
                w = opt.step(cost, w)
            best = float("inf")
            for _ in range(steps):
                start = time.process_time()
                w = opt.step(cost, w)
                best = min(best, time.process_time() - start)
            null = _classifier(_Null(wires=8), samples)
            _, floor, _ = timed_cpu(lambda w=w, f=null: (f(w + 0.1), f(w - 0.1)))  # type: ignore[misc]
            circuits = 2 * samples
            out.append((kind, best * 1e6 / circuits, 2 * floor * 1e6 / circuits))
    return out


@dataclass
class GradientRun:
    device: str
    circuits: int
    jobs: int
    http_requests: int
    seconds: float


def gradient_runs(compare_theirs: bool = True) -> list[GradientRun]:
    """A parameter-shift gradient: 8 qubits, 2 layers (48 parameters), 10 samples broadcast."""
    runs = []
    with emulator() as server:
        devices = [("ionq.batch", qml.device("ionq.batch", wires=8, api_url=server.url,
                                             api_key=KEY, progress=False))]
        pl_dev = pennylane_ionq_device(server, 8) if compare_theirs else None
        if pl_dev is not None:
            devices.append(("pennylane-ionq ionq.simulator", pl_dev))
        rng = np.random.default_rng(1)
        shape = qml.StronglyEntanglingLayers.shape(n_layers=2, n_wires=8)
        weights = qml.numpy.array(rng.uniform(0, 3, shape), requires_grad=True)
        xs = qml.numpy.array(rng.uniform(0, 1, (10, 8)), requires_grad=False)
        for name, dev in devices:
            @qml.set_shots(shots=SHOTS)
            @qml.qnode(dev, diff_method="parameter-shift")
            def circuit(w: Any, x: Any) -> Any:
                qml.AngleEmbedding(x, wires=range(8))
                qml.StronglyEntanglingLayers(w, wires=range(8))
                return qml.expval(qml.sum(*(qml.PauliZ(i) for i in range(8))))

            jobs0, requests0 = server.counts()
            with qml.Tracker(dev) as tracker:
                seconds, _ = timed(lambda c=circuit: qml.grad(  # type: ignore[misc]
                    lambda w: qml.math.sum(c(w, xs)))(weights))
            jobs, requests = server.counts()
            runs.append(GradientRun(name, int(tracker.totals.get("executions", 0)),
                                    jobs - jobs0, requests - requests0, seconds))
    return runs


def _row_cells(r: Row, compared: bool) -> list[Any]:
    cells: list[Any] = [f"{r.cpu_us:.0f}", f"{r.wall_us:.0f}", f"{r.floor_us:.0f}",
                        f"{r.cpu_us / r.floor_us:.1f}×"]
    if not compared:
        return cells
    if r.theirs_cpu_us is not None and r.theirs_wall_us is not None:
        return cells + [f"{r.theirs_cpu_us:.0f}", f"{r.theirs_wall_us:.0f}",
                        f"**{r.theirs_cpu_us / r.cpu_us:.1f}×**",
                        f"{r.theirs_wall_us / r.wall_us:.1f}×"]
    return cells + [f"failed: {r.theirs_error}", "—", "—", "—"]


def report(sizes: tuple[int, ...] = (100, 1000), shapes: tuple[str, ...] = ("gate", "template"),
           compare_theirs: bool = True, interfaces: bool = True) -> str:
    written, compiled, first = first_sightings()  # before the big batches: memory lingers
    rows = shape_rows(shapes, sizes, compare_theirs)
    compared = any(r.theirs_cpu_us is not None or r.theirs_error for r in rows)
    ours = ["ionq.batch CPU", "wall", "floor", "CPU / floor"]
    theirs = ["pennylane-ionq CPU", "wall", "CPU ratio", "wall ratio"] if compared else []
    out = [f"µs per circuit; 8 qubits, 2 layers, ⟨Z0⟩, {SHOTS} shots; emulator --latency "
           "instant in another process. CPU = this process's CPU time (all threads) during a "
           "warm qml.execute; floor = orjson serialising the circuits and parsing the results "
           "alone.\n",
           markdown(["tapes", "written as", *ours, *theirs],
                    [[r.tapes, SHAPE_NAMES[r.label], *_row_cells(r, compared)] for r in rows])]
    if not compared:
        out.append("\n(pennylane-ionq is not installed or --no-compare: pip install -e "
                   "'.[bench]' to run it side by side)")
    if interfaces:
        n = max(s for s in sizes if s <= 1000) if min(sizes) <= 1000 else min(sizes)
        irows = interface_rows(n)
        out += [f"\nThe gate-level batch ({n} tapes) under each interface installed (forward "
                "evaluations):\n",
                markdown(["interface", *ours], [[r.label, *_row_cells(r, False)]
                                                 for r in irows])]
    steps = optimizer_steps()
    out += [f"\nA structure seen for the first time ({written} operations as written, "
            f"{compiled} compiled): compile + serialise {np.median(first):.2f} ms (median of "
            f"{len(first)}; worst {max(first):.2f}), each into an empty cache, "
            "the garbage collector paused (as timeit does).",
            "\nA BatchSPSAOptimizer step, gate-level classifier (8 RY + 2 layers), 50 samples "
            "(100 circuits): client CPU per circuit, and PennyLane's own QNode calls (record "
            "and replay) on a null device:\n",
            markdown(["weights", "step", "PennyLane alone", "ratio"],
                     [[k, f"{s:.0f}", f"{f:.0f}", f"{s / f:.2f}×"] for k, s, f in steps])]
    grad = gradient_runs(compare_theirs)
    out += ["\nParameter-shift gradient, 48 parameters × 10 broadcast samples:\n",
            markdown(["device", "circuits", "jobs", "HTTP requests", "seconds"],
                     [[g.device, g.circuits, g.jobs, g.http_requests, f"{g.seconds:.2f}"]
                      for g in grad])]
    return "\n".join(out)
