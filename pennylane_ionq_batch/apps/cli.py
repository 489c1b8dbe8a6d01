"""The ``ionq-batch`` command.

A mistake gets one line saying what was wrong and which flag fixes it, and exit status 2; an
IonQ or network error one line and status 1; only a bug shows a traceback (``--debug``, or
``IONQ_BATCH_DEBUG=1``, shows it for every error). PennyLane is imported only by the commands
that need it, so ``--help`` and ``jobs`` start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .._version import __version__

DESCRIPTION = """\
IonQ from PennyLane, one multi-circuit job per execute().

commands:
  train      train a 4-qubit classifier, one IonQ job per step (the embedded emulator by
             default; any ionq.batch backend with --backend, --shots and --api-key)
  demo       evaluate a QNode against default.qubit and take a few gradient steps
  jobs       your IonQ jobs: list, show, results, cost, cancel
  emulator   serve the IonQ API emulator until interrupted
  bench      benchmark figures, side by side with pennylane-ionq

Run "ionq-batch COMMAND --help" for a command's options. Errors show no traceback unless you
pass --debug (or set IONQ_BATCH_DEBUG=1)."""


class UsageError(Exception):
    """A mistake on the command line, said in terms of its flags."""


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (and the --help that explains it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


# -- argument types: refuse a bad value while parsing, naming the flag -----------------------
def _bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            upper = f" and at most {high:,}" if high is not None else ""
            raise argparse.ArgumentTypeError(f"{value} must be at least {low}{upper}")
        return value
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} must be more than 0")
    return value


def _backend(text: str) -> str:
    from ..config import JobOptions, parse_backend
    from ..exceptions import ConfigurationError

    try:
        JobOptions(backend=parse_backend(text)[0])
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("ionq.batch: ")) from None
    return text


POSITIVE = _bounded_int(1)
SHOTS = _bounded_int(1, 1_000_000)


def _add_device_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", type=_backend, default="emulator",
                        help='"emulator" (the default: offline, no key), "emulator:qpu.aria-1" '
                        '(an emulated QPU), "simulator" (IonQ\'s cloud) or a QPU such as '
                        '"qpu.forte-1"')
    parser.add_argument("--shots", type=SHOTS, default=None,
                        help="shots per circuit; needed by QPUs and emulated QPUs (the "
                        "simulators return exact probabilities without)")
    parser.add_argument("--api-key", default=None,
                        help="your IonQ API key (default: $IONQ_API_KEY); not needed by the "
                        "emulator")
    parser.add_argument("--api-url", default=None,
                        help="IonQ's API (default: $IONQ_API_URL, else IonQ's cloud)")
    parser.add_argument("--budget", type=_positive_float, default=None,
                        help="QPUs: refuse any job that would take the run's estimated cost "
                        "past this amount (in your rate card's unit, e.g. usd)")


def _device(args: argparse.Namespace, progress: Any = True) -> Any:
    """The device the flags describe, refusing combinations that cannot run."""
    import pennylane as qml

    from ..config import JobOptions, parse_backend

    backend, _ = parse_backend(args.backend)
    if JobOptions(backend=backend).noisy and args.shots is None:
        raise UsageError(f"--backend {args.backend} returns measured counts, so it needs "
                         "--shots (e.g. --shots 1000)")
    kwargs: dict[str, Any] = {"api_key": args.api_key, "api_url": args.api_url,
                              "progress": progress}
    if args.budget is not None:
        kwargs["budget"] = args.budget
    return qml.device("ionq.batch", wires=args.wires, backend=args.backend, **kwargs)


# -- commands -----------------------------------------------------------------------------------
def _demo(args: argparse.Namespace) -> int:
    import pennylane as qml
    from pennylane import numpy as pnp

    dev = _device(args)
    print(f"device: {dev}")

    @qml.qnode(dev, shots=args.shots)
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
    print(f"training {args.steps} steps of gradient descent (parameter-shift: "
          f"{2 * weights.size} shifted circuits per gradient)")
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

    from .train import WIRES, JobWaits, train, write_outputs

    waits = JobWaits()
    args.wires = WIRES
    dev = _device(args, progress=True if args.quiet else waits)
    steps = args.epochs * -(-40 // args.batch_size)
    print(f"device: {dev}")
    print(f"training a 4-qubit classifier on two half-moons (40 samples, test 20): "
          f"{args.epochs} epoch{'s' * (args.epochs != 1)} of mini-batches of "
          f"{args.batch_size}, {steps} step{'s' * (steps != 1)}, one IonQ job each")
    summary, _ = train(dev, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                       shots=args.shots, progress=not args.quiet, checkpoint=args.checkpoint,
                       waits=waits)
    written = write_outputs(summary, Path(args.out))
    print(f"steps {summary.steps}  jobs {summary.jobs}  HTTP requests {summary.http_requests}  "
          f"circuits {summary.circuits}  {summary.seconds:.1f} s "
          f"({summary.seconds / max(1, summary.steps):.2f} s per step)")
    print(f"training-set loss {summary.final_loss:.4f} (test {summary.test_loss:.4f})  "
          f"train accuracy {summary.train_accuracy:.0%}  test accuracy "
          f"{summary.test_accuracy:.0%}")
    print("wrote " + ", ".join(str(p) for p in written)
          + ("" if len(written) > 1 else "  (pip install 'pennylane-ionq-batch[plot]' for "
             "loss.png)"))
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from ..emulator import EmulatorServer, latency_preset, parse_faults

    try:
        faults = parse_faults(args.faults or "")
    except ValueError as exc:
        raise UsageError(f"--faults: {exc}") from None
    latency = latency_preset(args.latency, args.time_scale)

    async def serve() -> None:
        server = EmulatorServer(host=args.host, port=args.port, latency=latency, faults=faults,
                                api_key=args.api_key, seed=args.seed,
                                qpu_noise=not args.ideal_qpus, contract=args.contract)
        async with server:
            key = repr(args.api_key) if args.api_key else "'any'"
            print(f"IonQ API emulator listening on {server.url}  (Ctrl-C to stop)", flush=True)
            print(f"  use: qml.device('ionq.batch', wires=N, api_url='{server.url}', "
                  f"api_key={key})", flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        print("emulator stopped")
    except OSError as exc:
        raise UsageError(f"cannot serve on {args.host}:{args.port} ({exc.strerror}); choose "
                         "another --port") from None
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..browser import Browser
    from ..client import IonQClient, Journal
    from ..client.journal import default_path
    from ..config import ClientConfig, is_loopback, resolve_api_key, resolve_api_url

    url = resolve_api_url(args.api_url)
    key = args.api_key or os.environ.get("IONQ_API_KEY") or ("emulator" if is_loopback(url)
                                                            else None)  # any key will do
    config = ClientConfig(api_url=url, api_key=resolve_api_key(key))
    journal_path = Path(args.journal) if args.journal else default_path()
    journal = Journal(journal_path) if journal_path.exists() else None
    with Browser(IonQClient(config), journal) as browser:
        return _browse(browser, args)


def _cell(value: Any) -> Any:
    return "-" if value is None or value == "" else value


def _browse(browser: Any, args: argparse.Namespace) -> int:
    from ..browser import table

    if args.action == "list":
        rows = [[j.id, j.status, j.backend, j.circuits, _cell(j.shots), _cell(j.submitted_at),
                 _cell(j.journal)] for j in browser.jobs(args.limit, args.backend)]
        print(table(rows, ["id", "status", "backend", "circuits", "shots", "submitted",
                           "journal"]))
    elif args.action == "show":
        info = browser.show(args.job_id)
        print(table([[k, _cell(v)] for k, v in info.items()], ["field", "value"]))
    elif args.action == "results":
        results = browser.results(args.job_id, sharpen=args.sharpen)
        for i, probs in enumerate(results):
            states = ", ".join(f"{k}: {v:.4g}" for k, v in sorted(
                probs.items(), key=lambda kv: -kv[1])[:8])
            print(f"circuit {i}: {states}{' …' if len(probs) > 8 else ''}")
    elif args.action == "cost":
        cost = browser.cost(args.job_id)
        estimated = (f"estimated {cost.estimated:.2f} {cost.unit}" if cost.estimated is not None
                     else "no estimate")
        billed = f"{cost.billed:.2f} {cost.unit}" if cost.billed is not None else "not yet"
        print(f"{estimated}; billed {billed}{' (dry run)' if cost.dry_run else ''}")
    else:
        before = browser.cancel(args.job_id)
        print(f"canceled {args.job_id} (it was {before})")
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.benchmark == "pulses":
        from .bench.pulses import pulse_table

        print("Pulses per circuit: single-qubit pulses / entangling gates (MS on Aria, ZZ on "
              "Forte).")
        print("generic = 3 pulses per single-qubit gate after transpiling to CNOTs (cirq-ionq, "
              "qiskit-ionq).\n")
        print(pulse_table().markdown())
    elif args.benchmark == "overhead":
        from .bench.overhead import report

        print(report(tuple(args.sizes), tuple(args.shapes), compare_theirs=not args.no_compare,
                     interfaces=not args.no_interfaces))
    elif args.benchmark == "kernel":
        from .bench.kernel import report as kernel_report

        print(kernel_report(args.points, args.time_scale, compare=not args.no_compare))
    elif args.benchmark == "train":
        from .bench.training import report as train_report

        print(train_report(args.steps, args.time_scale, compare=not args.no_compare,
                           latency=args.latency))
    else:
        from .bench.soak import report as soak_report

        print(soak_report(args.executes))
    return 0


# -- the parser ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ionq-batch", description=DESCRIPTION,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of any error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)

    tr = sub.add_parser("train", help="train a classifier, one IonQ job per step")
    tr.add_argument("--epochs", type=POSITIVE, default=30,
                    help="passes over the 40 training samples (default 30)")
    tr.add_argument("--batch-size", type=_bounded_int(1, 40), default=10,
                    help="samples per step (default 10; 1 to 40)")
    tr.add_argument("--seed", type=int, default=1,
                    help="seed of the initial weights and the sample order (default 1)")
    _add_device_options(tr)
    tr.add_argument("--out", default="ionq-batch-train", help="directory for summary.json "
                    "and loss.png (default ionq-batch-train)")
    tr.add_argument("--checkpoint", default=None, help="save the run here after every step, "
                    "and resume from it if it exists")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(func=_train)

    demo = sub.add_parser("demo", help="evaluate a QNode and take a few gradient steps")
    demo.add_argument("--wires", type=_bounded_int(2, 29), default=4,
                      help="qubits of the demo circuit (default 4; at least 2)")
    demo.add_argument("--steps", type=POSITIVE, default=5,
                      help="gradient-descent steps (default 5)")
    _add_device_options(demo)
    demo.set_defaults(func=_demo)

    jobs = sub.add_parser("jobs", help="your IonQ jobs: list, show, results, cost, cancel")
    jobs.add_argument("--api-url", default=None,
                      help="IonQ's API (default: $IONQ_API_URL, else IonQ's cloud); an "
                      "emulator's URL needs no key")
    jobs.add_argument("--api-key", default=None, help="your IonQ API key (default: "
                      "$IONQ_API_KEY)")
    jobs.add_argument("--journal", default=None, help="a job journal to read too (default: "
                      "the one QPU runs keep, if it exists)")
    actions = jobs.add_subparsers(dest="action", required=True, metavar="ACTION",
                                  parser_class=Parser)
    listing = actions.add_parser("list", help="the newest jobs")
    listing.add_argument("--limit", type=POSITIVE, default=20,
                         help="how many jobs (default 20)")
    listing.add_argument("--backend", default=None, help="only jobs on this backend")
    for action, text in (("show", "a job's status, timings and cost"),
                         ("results", "a completed job's probabilities, per circuit"),
                         ("cost", "a job's estimated and billed cost"),
                         ("cancel", "cancel a job that has not ended")):
        one = actions.add_parser(action, help=text)
        one.add_argument("job_id", help="the job's id (ionq-batch jobs list)")
        if action == "results":
            one.add_argument("--sharpen", action="store_true",
                             help="a debiased job's results sharpened (plurality voting "
                             "across its variants)")
    jobs.set_defaults(func=_jobs)

    from ..emulator.models import LATENCY_PRESETS

    emu = sub.add_parser("emulator", help="serve the IonQ API emulator until interrupted")
    emu.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    emu.add_argument("--port", type=_bounded_int(0, 65535), default=8765,
                     help="port (default 8765; 0 picks a free one)")
    emu.add_argument("--latency", default="instant", choices=sorted(LATENCY_PRESETS),
                     help="latency model (default instant)")
    emu.add_argument("--time-scale", type=_positive_float, default=1.0,
                     help="multiply every latency by this (default 1)")
    emu.add_argument("--faults", default="", help="e.g. 429=0.1,500=0.05,drop=0.05,fail=0.02 "
                     "(KIND=RATE@N: at most N times)")
    emu.add_argument("--contract", default=None, choices=("current", "october", "legacy"),
                     help="current (default): IonQ's API document as the live service "
                     "answers; october: also refuses what the October 2026 document dropped "
                     "from job creation; legacy: also results.probabilities.url and "
                     "/aggregated")
    emu.add_argument("--seed", type=int, default=None,
                     help="seed of sampling and injected faults")
    emu.add_argument("--api-key", default=None, help="require this key (default: any key)")
    emu.add_argument("--ideal-qpus", action="store_true",
                     help="impersonated QPUs sample shots without their noise model")
    emu.set_defaults(func=_emulator)

    bench = sub.add_parser("bench", help="benchmark figures").add_subparsers(
        dest="benchmark", required=True, metavar="BENCHMARK", parser_class=Parser)
    bench.add_parser("pulses", help="native pulse counts against the generic scheme")
    overhead = bench.add_parser("overhead", help="client-side time per circuit against "
                                "pennylane-ionq and the floor, per tape shape and interface")
    overhead.add_argument("--sizes", type=POSITIVE, nargs="+", default=[100, 1000],
                          help="batch sizes, in tapes (default 100 1000)")
    overhead.add_argument("--shapes", nargs="+", choices=["gate", "template"],
                          default=["gate", "template"],
                          help="tapes written gate by gate, or as two templates (default both, "
                          "gate-level first)")
    overhead.add_argument("--no-compare", action="store_true",
                          help="skip pennylane-ionq even if it is installed")
    overhead.add_argument("--no-interfaces", action="store_true",
                          help="skip the autograd, torch and JAX rows")
    training = bench.add_parser("train", help="seconds, jobs and requests per SPSA step under "
                                "IonQ-like latency, against pennylane-ionq and qml.SPSA")
    training.add_argument("--steps", type=POSITIVE, default=5,
                          help="steps timed after the first (default 5)")
    training.add_argument("--latency", default="ionq-cloud", choices=["ionq-cloud", "ionq-qpu"],
                          help="ionq-qpu: an emulated QPU with a ten-minute queue per job "
                          "(scaled), with and without an IonQ session")
    training.add_argument("--time-scale", type=_positive_float, default=0.1,
                          help="multiply the emulator's latency by this (default 0.1)")
    training.add_argument("--no-compare", action="store_true",
                          help="skip pennylane-ionq even if it is installed")
    kernel = bench.add_parser("kernel", help="a quantum-kernel matrix under IonQ-like latency: "
                              "one job with batched, against one job per entry")
    kernel.add_argument("--points", type=_bounded_int(2), default=50,
                        help="data points (default 50: 1,225 kernel evaluations)")
    kernel.add_argument("--time-scale", type=_positive_float, default=0.01,
                        help="multiply the emulator's latency by this (default 0.01)")
    kernel.add_argument("--no-compare", action="store_true",
                        help="skip pennylane-ionq even if it is installed")
    soak = bench.add_parser("soak", help="executes under 20%% injected faults of every kind")
    soak.add_argument("--executes", type=POSITIVE, default=200,
                      help="executes of 20 circuits each (default 200)")
    for name in ("pulses", "overhead", "train", "kernel", "soak"):
        bench.choices[name].set_defaults(func=_bench)
    return parser


def _one_line(exc: BaseException, command: str) -> tuple[str, int] | None:
    """A user-facing error as (one line, exit status); None for a bug."""
    from ..exceptions import ConfigurationError, CostLimitError, CredentialsError, IonQBatchError

    text = str(exc).removeprefix("ionq.batch: ")
    if isinstance(exc, CredentialsError):
        offline = ("point --api-url at an emulator" if command == "jobs"
                   else "use --backend emulator")
        return (f"no IonQ API key: pass --api-key KEY or set IONQ_API_KEY (or {offline}, "
                "which needs none)"), 2
    if isinstance(exc, (UsageError, ConfigurationError, CostLimitError)):
        return text, 2
    device_error = getattr(sys.modules.get("pennylane.exceptions"), "DeviceError", None)
    if device_error is not None and isinstance(exc, device_error):
        return text, 2
    if isinstance(exc, IonQBatchError):
        return text, 1
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get("IONQ_BATCH_DEBUG", "") not in ("", "0")
    name = " ".join(filter(None, ["ionq-batch", args.command, getattr(args, "action", None)
                                  or getattr(args, "benchmark", None)]))
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        said = None if debug else _one_line(exc, args.command)
        if said is None:
            raise
        print(f"{name}: {said[0]}", file=sys.stderr)
        return said[1]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
