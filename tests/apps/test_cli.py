"""The ionq-batch command line: what it does, and what it says to a mistake."""

from __future__ import annotations

import subprocess
import sys

import pennylane as qml
import pytest

from pennylane_ionq_batch.apps.cli import build_parser, main
from pennylane_ionq_batch.emulator import EmulatorServer

from ..conftest import LOCAL, queued_emulator  # noqa: F401 - a fixture

# Each mistake a newcomer made (issue 21), and the one line it now gets (exit status 2).
MISTAKES = [
    (["demo", "--backend", "quantum"], "ionq-batch demo: argument --backend: unknown backend "
     "'quantum'; use \"simulator\", a QPU such as \"qpu.forte-1\", \"emulator\", or "
     "\"emulator:<backend>\" (see ionq-batch demo --help)"),
    (["demo", "--wires", "1"], "ionq-batch demo: argument --wires: 1 must be at least 2 and at "
     "most 29 (see ionq-batch demo --help)"),
    (["train", "--epochs", "0"], "ionq-batch train: argument --epochs: 0 must be at least 1 "
     "(see ionq-batch train --help)"),
    (["train", "--backend", "simulator"], "ionq-batch train: no IonQ API key: pass --api-key "
     "KEY or set IONQ_API_KEY (or use --backend emulator, which needs none)"),
    (["train", "--backend", "emulator:qpu.aria-1"], "ionq-batch train: --backend "
     "emulator:qpu.aria-1 returns measured counts, so it needs --shots (e.g. --shots 1000)"),
    (["jobs", "list"], "ionq-batch jobs list: no IonQ API key: pass --api-key KEY or set "
     "IONQ_API_KEY (or point --api-url at an emulator, which needs none)"),
    (["emulator", "--faults", "teapot=1"], "ionq-batch emulator: --faults: unknown fault "
     "'teapot'; choose from 429, 500, 502, 503, drop, drop-after-create, fail, fail-child, "
     "cancel, slow"),
]


@pytest.mark.parametrize("argv, line", MISTAKES, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else "")
def test_a_mistake_gets_one_line_and_status_2(argv: list[str], line: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's own
        status = exit_.code  # type: ignore[assignment]
    captured = capsys.readouterr()
    assert status == 2 and captured.err == line + "\n" and "Traceback" not in captured.out


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(Exception, match="no IonQ API key"):
        main(["--debug", "train", "--backend", "simulator"])


def test_help_is_fast_because_pennylane_is_not_imported() -> None:
    out = subprocess.run([sys.executable, "-c", "import sys\n"
                          "from pennylane_ionq_batch.apps.cli import main\n"
                          "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
                          "print('pennylane' in sys.modules)"],
                         capture_output=True, text=True, check=True).stdout
    assert "jobs       your IonQ jobs" in out and "``" not in out
    assert out.strip().endswith("False")


def test_every_option_has_help() -> None:
    parsers = [build_parser()]
    missing = []
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            if action.choices and isinstance(action.choices, dict):
                parsers.extend(action.choices.values())
            elif action.help is None and action.dest != "help":
                missing.append(f"{parser.prog} {action.dest}")
    assert not missing


class TestJobs:
    @pytest.fixture
    def server(self) -> EmulatorServer:
        # the October contract, pinned: its simulator jobs carry no estimate
        server = EmulatorServer(seed=1, contract="current").start_in_thread()
        yield server
        server.stop_thread()

    def run(self, server: EmulatorServer, *argv: str) -> int:
        return main(["jobs", "--api-url", server.url, *argv])  # an emulator needs no key

    def job(self, server: EmulatorServer) -> str:
        dev = qml.device("ionq.batch", wires=1, api_url=server.url, api_key="k",
                         client_options=LOCAL)
        tape = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(qml.Z(0))])
        qml.execute([tape], dev)
        return dev.last_execution.job_ids[0]

    def test_list_show_results_cost(self, server: EmulatorServer,
                                    capsys: pytest.CaptureFixture[str]) -> None:
        job = self.job(server)
        assert self.run(server, "list") == 0 and job in capsys.readouterr().out
        assert self.run(server, "show", job) == 0
        show = capsys.readouterr().out
        assert "None" not in show and "journal" not in show  # no journal given: no row
        assert self.run(server, "results", job) == 0
        assert capsys.readouterr().out.startswith("circuit 0: 0: 0.9777, 1: 0.02233")
        assert self.run(server, "cost", job) == 0
        # IonQ's October document: a simulator job is never priced, so it has no estimate
        assert capsys.readouterr().out == "no estimate; billed 0.00 usd\n"

    def test_cancel_tells_the_truth(self, server: EmulatorServer,
                                    capsys: pytest.CaptureFixture[str]) -> None:
        job = self.job(server)
        assert self.run(server, "cancel", job) == 1
        assert capsys.readouterr().err == (f"ionq-batch jobs cancel: job {job} has already "
                                           "completed: nothing to cancel\n")
        assert self.run(server, "results", job, "--sharpen") == 2
        assert "was not debiased, so it has no sharpened results" in capsys.readouterr().err

    def test_a_canceled_job_has_no_results(self, queued_emulator: EmulatorServer,  # noqa: F811
                                           capsys: pytest.CaptureFixture[str]) -> None:
        dev = qml.device("ionq.batch", wires=1, api_url=queued_emulator.url, api_key="k",
                         timeout=5.0, client_options=LOCAL, progress=False)
        tape = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(qml.Z(0))])
        with pytest.raises(TimeoutError):
            qml.execute([tape], dev)
        [job] = [j.id for j in queued_emulator.store.all()]
        assert main(["jobs", "--api-url", queued_emulator.url, "results", job]) == 1
        assert capsys.readouterr().err == (f"ionq-batch jobs results: job {job} was "
                                           "canceled: it has no results\n")


def test_demo_runs_on_the_embedded_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--wires", "2", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    value, reference = (float(part.split()[0]) for part in
                        out.split("QNode value:")[1].split("default.qubit:"))
    assert value == pytest.approx(reference, abs=1e-10)
    # forward and every parameter-shifted circuit of the gradient: one job per step
    assert out.count("circuits   25  jobs 1") == 2


def test_emulator_options_parse() -> None:
    args = build_parser().parse_args(["emulator", "--port", "9999", "--latency", "ionq-cloud",
                                      "--time-scale", "0.1", "--faults", "429=0.1", "--seed",
                                      "3", "--api-key", "s"])
    assert (args.port, args.latency, args.time_scale, args.faults, args.seed, args.api_key) == \
        (9999, "ionq-cloud", 0.1, "429=0.1", 3, "s")
    assert args.host == "127.0.0.1"


def test_emulator_rejects_bad_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--faults", "teapot=1"]) == 2
    assert "unknown fault 'teapot'" in capsys.readouterr().err


def test_unknown_latency_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["emulator", "--latency", "warp"])


def test_bench_pulses_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "pulses"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| QAOA")]
    assert len(rows) == 1


def test_emulator_ideal_qpus_flag() -> None:
    assert build_parser().parse_args(["emulator", "--ideal-qpus"]).ideal_qpus


def test_bench_train_runs_one_job_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "train", "--steps", "1", "--time-scale", "0.01", "--no-compare"]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.startswith("| ionq.batch + Batch")]
    assert row.split("|")[3].strip() == "1"  # jobs per step
    [row] = [line for line in out.splitlines() if line.startswith("| ionq.batch + qml.SPSA")]
    assert row.split("|")[3].strip() == "20"  # qml.SPSAOptimizer: one job per QNode call
