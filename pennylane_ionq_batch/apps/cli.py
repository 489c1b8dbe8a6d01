"""The ``ionq-batch`` command: ``train`` (a classifier, one job per step), ``demo``,
``emulator``, and ``bench`` (figures printed side by side with the alternatives)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import Any

from ..emulator import EmulatorServer, latency_preset, parse_faults
from ..emulator.models import LATENCY_PRESETS


def _emulator(args: argparse.Namespace) -> int:
    try:
        latency = latency_preset(args.latency, args.time_scale)
        faults = parse_faults(args.faults or "")
    except ValueError as exc:
        print(f"ionq-batch emulator: {exc}", file=sys.stderr)
        return 2

    async def serve() -> None:
        server = EmulatorServer(host=args.host, port=args.port, latency=latency, faults=faults,
                                api_key=args.api_key, seed=args.seed,
                                qpu_noise=not args.ideal_qpus, contract=args.contract)
        async with server:
            print(f"IonQ API emulator listening on {server.url}  (Ctrl-C to stop)", flush=True)
            print(f"  use: qml.device('ionq.batch', wires=N, api_url='{server.url}', "
                  "api_key='any')", flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("emulator stopped")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import pennylane as qml
    from pennylane import numpy as pnp

    dev = qml.device("ionq.batch", wires=args.wires, backend=args.backend, seed=7)
    print(f"device: {dev}")

    @qml.qnode(dev)
    def circuit(weights: Any, x: Any) -> Any:
        qml.AngleEmbedding(x, wires=range(args.wires))
        qml.StronglyEntanglingLayers(weights, wires=range(args.wires))
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(args.wires - 1))

    shape = qml.StronglyEntanglingLayers.shape(n_layers=2, n_wires=args.wires)
    weights = pnp.array(pnp.random.default_rng(1).uniform(0, 3.1, shape), requires_grad=True)
    x = pnp.linspace(0.1, 0.9, args.wires, requires_grad=False)
    ref = qml.QNode(circuit.func, qml.device("default.qubit", wires=args.wires))
    print(f"QNode value: {float(circuit(weights, x)):+.10f}   default.qubit: "
          f"{float(ref(weights, x)):+.10f}")

    opt = qml.GradientDescentOptimizer(stepsize=0.2)
    print(f"training {args.steps} steps (parameter-shift: {2 * weights.size} circuits per "
          "gradient, one IonQ job each)")
    for step in range(1, args.steps + 1):
        start = time.perf_counter()
        with qml.Tracker(dev) as tracker:
            weights, cost = opt.step_and_cost(lambda w: circuit(w, x), weights)
        t = tracker.totals
        print(f"  step {step}: cost {float(cost):+.6f}  circuits {t['executions']:4d}  "
              f"jobs {t['jobs']}  HTTP requests {t['http_requests']:2d}  "
              f"{time.perf_counter() - start:.2f} s")
    print(f"final cost: {float(circuit(weights, x)):+.6f}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from pathlib import Path

    import pennylane as qml

    from .train import train, write_outputs

    dev = qml.device("ionq.batch", wires=4, backend=args.backend)
    print(f"device: {dev}")
    print(f"training a 4-qubit classifier on two half-moons (40 samples, test 20): "
          f"{args.epochs} epochs of mini-batches of {args.batch_size}, one IonQ job per step")
    summary, _ = train(dev, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                       progress=not args.quiet, checkpoint=args.checkpoint)
    written = write_outputs(summary, Path(args.out))
    print(f"steps {summary.steps}  jobs {summary.jobs}  HTTP requests {summary.http_requests}  "
          f"circuits {summary.circuits}  {summary.seconds:.1f} s "
          f"({summary.seconds / max(1, summary.steps):.2f} s per step)")
    print(f"final loss {summary.final_loss:.4f}  train accuracy {summary.train_accuracy:.0%}  "
          f"test accuracy {summary.test_accuracy:.0%}")
    print("wrote " + ", ".join(str(p) for p in written)
          + ("" if len(written) > 1 else "  (pip install 'pennylane-ionq-batch[plot]' for "
             "loss.png)"))
    return 0


def _bench_pulses(args: argparse.Namespace) -> int:
    from .bench.pulses import pulse_table

    print("Pulses per circuit: single-qubit pulses / entangling gates (MS on Aria, ZZ on Forte).")
    print("generic = 3 pulses per single-qubit gate after transpiling to CNOTs (cirq-ionq, "
          "qiskit-ionq).\n")
    print(pulse_table().markdown())
    return 0


def _bench_overhead(args: argparse.Namespace) -> int:
    from .bench.overhead import report

    print(report(tuple(args.sizes), compare=not args.no_compare))
    return 0


def _bench_train(args: argparse.Namespace) -> int:
    from .bench.training import report

    print(report(args.steps, args.time_scale, compare=not args.no_compare,
                 latency=args.latency))
    return 0


def _bench_soak(args: argparse.Namespace) -> int:
    from .bench.soak import report

    print(report(args.executes))
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..browser import Browser
    from ..client import IonQClient, Journal
    from ..client.journal import default_path
    from ..config import ClientConfig, resolve_api_key, resolve_api_url
    from ..exceptions import IonQBatchError

    try:
        config = ClientConfig(api_url=resolve_api_url(args.api_url),
                              api_key=resolve_api_key(args.api_key))
    except IonQBatchError as exc:
        print(f"ionq-batch jobs: {exc}", file=sys.stderr)
        return 2
    journal_path = Path(args.journal) if args.journal else default_path()
    journal = Journal(journal_path) if journal_path.exists() else None
    with Browser(IonQClient(config), journal) as browser:
        return _browse(browser, args)


def _browse(browser: Any, args: argparse.Namespace) -> int:
    from ..browser import table
    from ..exceptions import IonQBatchError

    try:
        if args.action == "list":
            rows = [[j.id, j.status, j.backend, j.circuits, j.shots or "-", j.submitted_at,
                     j.journal or "-"] for j in browser.jobs(args.limit, args.backend)]
            print(table(rows, ["id", "status", "backend", "circuits", "shots", "submitted",
                               "journal"]))
        elif args.action == "show":
            info = browser.show(args.job_id)
            print(table([[k, v] for k, v in info.items()], ["field", "value"]))
        elif args.action == "results":
            results = browser.results(args.job_id, sharpen=args.sharpen)
            for i, probs in enumerate(results):
                states = ", ".join(f"{k}: {v:.4g}" for k, v in sorted(
                    probs.items(), key=lambda kv: -kv[1])[:8])
                print(f"circuit {i}: {states}{' …' if len(probs) > 8 else ''}")
        elif args.action == "cost":
            cost = browser.cost(args.job_id)
            billed = f"{cost.billed:.2f} {cost.unit}" if cost.billed is not None else "not yet"
            print(f"estimated {cost.estimated:.2f} {cost.unit}; billed {billed}"
                  f"{' (dry run)' if cost.dry_run else ''}")
        else:
            browser.cancel(args.job_id)
            print(f"canceled {args.job_id}")
    except IonQBatchError as exc:
        print(f"ionq-batch jobs: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ionq-batch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="evaluate and train a QNode on the embedded emulator")
    demo.add_argument("--wires", type=int, default=4)
    demo.add_argument("--steps", type=int, default=5)
    demo.add_argument("--backend", default="emulator",
                      help='"emulator" (default, offline) or any ionq.batch backend')
    demo.set_defaults(func=_demo)

    tr = sub.add_parser("train", help="train a variational classifier, one IonQ job per step")
    tr.add_argument("--epochs", type=int, default=30)
    tr.add_argument("--batch-size", type=int, default=10)
    tr.add_argument("--seed", type=int, default=1)
    tr.add_argument("--backend", default="emulator",
                    help='"emulator" (default, offline) or any ionq.batch backend')
    tr.add_argument("--out", default="ionq-batch-train", help="directory for summary.json "
                    "and loss.png")
    tr.add_argument("--checkpoint", default=None, help="save here every step; resume if it "
                    "exists")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(func=_train)

    emu = sub.add_parser("emulator", help="serve the IonQ API emulator until interrupted")
    emu.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    emu.add_argument("--port", type=int, default=8765)
    emu.add_argument("--latency", default="instant", choices=sorted(LATENCY_PRESETS))
    emu.add_argument("--time-scale", type=float, default=1.0)
    emu.add_argument("--faults", default="", help="e.g. 429=0.1,500=0.05,drop=0.05,fail=0.02 "
                     "(KIND=RATE@N: at most N times)")
    emu.add_argument("--contract", default=None, choices=("current", "legacy"),
                     help="current: IonQ's API document (result descriptors, artifacts); "
                     "legacy: also results.probabilities.url and /aggregated")
    emu.add_argument("--seed", type=int, default=None)
    emu.add_argument("--api-key", default=None, help="require this key (default: any key)")
    emu.add_argument("--ideal-qpus", action="store_true",
                     help="impersonated QPUs sample shots without their noise model")
    emu.set_defaults(func=_emulator)

    jobs = sub.add_parser("jobs", help="your IonQ jobs: list, show, results, cost, cancel")
    jobs.add_argument("--api-url", default=None, help="else IONQ_API_URL, else IonQ's cloud")
    jobs.add_argument("--api-key", default=None, help="else IONQ_API_KEY")
    jobs.add_argument("--journal", default=None, help="a job journal to read too (default: "
                      "the one QPU runs keep, if it exists)")
    actions = jobs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the newest jobs")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--backend", default=None)
    for action, text in (("show", "a job's status, timings and cost"),
                         ("results", "a finished job's probabilities, per circuit"),
                         ("cost", "a job's estimated and billed cost"),
                         ("cancel", "cancel a job")):
        one = actions.add_parser(action, help=text)
        one.add_argument("job_id")
        if action == "results":
            one.add_argument("--sharpen", action="store_true")
    jobs.set_defaults(func=_jobs)

    bench = sub.add_parser("bench", help="print benchmark figures").add_subparsers(
        dest="benchmark", required=True)
    bench.add_parser("pulses", help="native pulse counts against the generic scheme"
                     ).set_defaults(func=_bench_pulses)
    overhead = bench.add_parser("overhead", help="client-side time per circuit and a "
                                "960-circuit gradient, against pennylane-ionq")
    overhead.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    overhead.add_argument("--no-compare", action="store_true",
                          help="skip pennylane-ionq even if it is installed")
    overhead.set_defaults(func=_bench_overhead)
    training = bench.add_parser("train", help="seconds, jobs and requests per SPSA step under "
                                "IonQ-like latency, against pennylane-ionq and qml.SPSA")
    training.add_argument("--steps", type=int, default=5)
    training.add_argument("--latency", default="ionq-cloud", choices=["ionq-cloud", "ionq-qpu"],
                          help="ionq-qpu: an emulated QPU with a ten-minute queue per job "
                          "(scaled), with and without an IonQ session")
    training.add_argument("--time-scale", type=float, default=0.1)
    training.add_argument("--no-compare", action="store_true",
                          help="skip pennylane-ionq even if it is installed")
    training.set_defaults(func=_bench_train)
    soak = bench.add_parser("soak", help="executes under 20%% injected faults of every kind")
    soak.add_argument("--executes", type=int, default=200)
    soak.set_defaults(func=_bench_soak)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
