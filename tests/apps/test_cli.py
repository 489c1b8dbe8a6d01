"""The ionq-batch command line."""

from __future__ import annotations

import pytest

from pennylane_ionq_batch.apps.cli import build_parser, main


def test_demo_runs_on_the_embedded_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--wires", "2", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    value, reference = (float(part.split()[0]) for part in
                        out.split("QNode value:")[1].split("default.qubit:"))
    assert value == pytest.approx(reference, abs=1e-10)
    assert out.count("jobs 2") == 2  # forward + one parameter-shift batch per step


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
