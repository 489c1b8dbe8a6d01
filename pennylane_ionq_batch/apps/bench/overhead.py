"""Client-side time per circuit, and a 960-circuit gradient, against pennylane-ionq.

Both devices run the same tapes against the same emulator (``--latency instant``) running in
another process, so this process's CPU time is the client's alone: preprocessing, compiling,
serialising, HTTP and parsing. Wall time also includes the emulator's simulation and polling.
Stages are timed on their own, uncached (PennyLane's transforms; an empty template cache) and
cached (the structure seen before, new parameter values).
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import orjson
import pennylane as qml

from ...compile import StructureCache, Template, compile_key
from ...emulator.statevector import simulate
from ...execution import wire_order
from ...preprocess.transforms import build_pipeline
from ...results import batch_results, histogram_to_probs
from .common import (
    KEY,
    SHOTS,
    emulator,
    markdown,
    pennylane_ionq_device,
    sel_tapes,
    timed,
    timed_cpu,
)


@dataclass
class OverheadRow:
    tapes: int
    preprocess_us: float  # PennyLane's transforms, every tape
    preprocess_cached_us: float  # the device's pipeline, structure seen before
    uncached_us: float  # structure key + parameters + compile + serialise, empty cache
    cached_us: float  # the same with the structure's template cached
    lookup_us: float  # of which: structure key and gathering parameters
    bind_us: float  # of which: vectorised compile (bind) and JSON rendering
    parse_us: float
    ours_cpu_us: float  # qml.execute on ionq.batch: this process's CPU (cache warm)
    ours_wall_us: float
    ours_peak_kib: float  # peak Python memory per circuit during qml.execute (tracemalloc)
    theirs_cpu_us: float | None  # the same on pennylane-ionq's ionq.simulator
    theirs_wall_us: float | None
    theirs_error: str | None = None


def _histogram(body: bytes) -> dict[str, float]:
    """What the ideal simulator returns for a circuit (computed here, outside the timings)."""
    circuit = orjson.loads(body)
    probs = simulate(circuit["circuit"], circuit["qubits"])
    return {str(i): float(probs[i]) for i in np.flatnonzero(probs > 1e-300)}


def overhead_row(n: int, compare: bool = True) -> OverheadRow:
    per = 1e6 / n
    with emulator() as server:
        dev = qml.device("ionq.batch", wires=8, api_url=server.url, api_key=KEY, seed=0,
                         progress=False)
        tapes = sel_tapes(n)
        uncached = build_pipeline(dev.wires, dev.options, max_qubits=dev.max_qubits)
        t_pre, (prepared, _) = timed(lambda: uncached(tapes))
        program = dev.preprocess_transforms()
        program(sel_tapes(2, seed=1))  # seen twice: the parameter map is learned
        t_pre_cached, _ = timed(lambda: program(tapes), 3)
        orders = [wire_order(t, dev.wires) for t in prepared]
        ops = [t.operations for t in prepared]
        entangler = dev.entangler()
        t_cold, _ = timed(lambda: StructureCache().serialize(ops, orders, entangler))
        cache = StructureCache()
        cache.serialize(ops, orders, entangler)
        t_warm, (bodies, _) = timed(lambda: cache.serialize(ops, orders, entangler), 3)
        template = Template.build(ops[0], orders[0], entangler)
        t_lookup, data = timed(lambda: ([compile_key(o, w, entangler)
                                         for o, w in zip(ops, orders, strict=True)],
                                        template.gather(ops))[1], 3)
        t_bind, _ = timed(lambda: template.serialize(data, n), 3)
        hists = [_histogram(b.body) for b in bodies[:50]] * (n // 50 + 1)
        rng = np.random.default_rng(0)
        t_parse, _ = timed(lambda: batch_results(
            prepared, [histogram_to_probs(h, b.qubits) for h, b in zip(hists, bodies,
                                                                      strict=False)],
            orders, rng, exact=True), 3)
        qml.execute(tapes[:2], dev)  # open the HTTP session and cache the structure
        wall, cpu, ours = timed_cpu(lambda: qml.execute(tapes, dev))
        tracemalloc.start()
        qml.execute(tapes, dev)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        row = OverheadRow(n, t_pre * per, t_pre_cached * per, t_cold * per, t_warm * per,
                          t_lookup * per, t_bind * per, t_parse * per, cpu * per, wall * per,
                          peak / 1024 / n, None, None)
        pl_dev = pennylane_ionq_device(server, 8) if compare else None
        if pl_dev is not None:
            try:
                wall, cpu, theirs = timed_cpu(lambda: qml.execute(tapes, pl_dev))
            except Exception as exc:  # noqa: BLE001 - reported in the table, e.g. a 413
                row.theirs_error = str(exc)[:80]
            else:
                assert np.allclose(ours, theirs, atol=0.25), "pennylane-ionq disagrees"
                row.theirs_cpu_us, row.theirs_wall_us = cpu * per, wall * per
    return row


def first_sightings(samples: int = 200) -> tuple[int, list[float]]:
    """Operations per circuit, and ms to compile and serialise each of ``samples`` circuits
    into an empty structure cache (every structure seen for the first time)."""
    with emulator() as server:
        dev = qml.device("ionq.batch", wires=8, api_url=server.url, api_key=KEY,
                         progress=False)
        pipeline = build_pipeline(dev.wires, dev.options, max_qubits=dev.max_qubits)
        prepared, _ = pipeline(sel_tapes(samples, seed=2))
        entangler, times = dev.entangler(), []
        for tape in prepared:
            ops, order = tape.operations, wire_order(tape, dev.wires)
            seconds, _ = timed(partial(StructureCache().serialize, [ops], [order], entangler))
            times.append(seconds * 1e3)
    return len(prepared[0].operations), times


@dataclass
class GradientRun:
    device: str
    circuits: int
    jobs: int
    http_requests: int
    seconds: float


def gradient_runs(compare: bool = True) -> list[GradientRun]:
    """A parameter-shift gradient: 8 qubits, 2 layers (48 parameters), 10 samples broadcast."""
    runs = []
    with emulator() as server:
        devices = [("ionq.batch", qml.device("ionq.batch", wires=8, api_url=server.url,
                                             api_key=KEY, progress=False))]
        pl_dev = pennylane_ionq_device(server, 8) if compare else None
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


def report(sizes: tuple[int, ...] = (10, 100, 1000, 5000), compare: bool = True) -> str:
    operations, first = first_sightings()  # before the big batches: their memory lingers
    rows = [overhead_row(n, compare) for n in sizes]
    compared = any(r.theirs_cpu_us is not None or r.theirs_error for r in rows)
    header = ["tapes", "preprocess, uncached", "cached", "compile+serialise, uncached",
              "cached", "of which key + params", "of which bind + serialise", "parse",
              "ionq.batch client CPU", "wall", "peak KiB / circuit"]
    if compared:
        header += ["pennylane-ionq client CPU", "wall", "CPU ratio", "wall ratio"]
    table = []
    for r in rows:
        line = [r.tapes, f"{r.preprocess_us:.0f}", f"{r.preprocess_cached_us:.0f}",
                f"{r.uncached_us:.1f}", f"{r.cached_us:.1f}", f"{r.lookup_us:.1f}",
                f"{r.bind_us:.1f}", f"{r.parse_us:.1f}", f"{r.ours_cpu_us:.0f}",
                f"{r.ours_wall_us:.0f}", f"{r.ours_peak_kib:.1f}"]
        if compared and r.theirs_cpu_us is not None and r.theirs_wall_us is not None:
            line += [f"{r.theirs_cpu_us:.0f}", f"{r.theirs_wall_us:.0f}",
                     f"{r.theirs_cpu_us / r.ours_cpu_us:.2f}×",
                     f"{r.theirs_wall_us / r.ours_wall_us:.2f}×"]
        elif compared:
            line += [f"failed: {r.theirs_error}", "—", "—", "—"]
        table.append(line)
    grad = gradient_runs(compare)
    gtable = [[g.device, g.circuits, g.jobs, g.http_requests, f"{g.seconds:.2f}"] for g in grad]
    note = "" if compared else ("\n(pennylane-ionq is not installed: pip install -e '.[bench]' "
                                "to run it side by side)")
    return (f"µs per circuit; 8 qubits, AngleEmbedding + 2 StronglyEntanglingLayers, {SHOTS} "
            "shots; emulator --latency instant in another process. Client CPU = this "
            "process's CPU time during qml.execute (preprocess + compile + HTTP + parse).\n\n"
            + markdown(header, table) + note
            + f"\n\nA structure seen for the first time ({operations} operations): compile + "
              f"serialise {np.median(first):.2f} ms (median of {len(first)}; fastest "
              f"{min(first):.2f}, slowest {max(first):.2f}), each into an empty cache."
            + "\n\nParameter-shift gradient, 48 parameters × 10 broadcast samples:\n\n"
            + markdown(["device", "circuits", "jobs", "HTTP requests", "seconds"], gtable))

