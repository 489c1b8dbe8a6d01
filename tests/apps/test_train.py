"""The bundled classifier: the same training on ionq.batch and default.qubit, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch.apps.cli import main
from pennylane_ionq_batch.apps.train import JobWaits, moons, train
from pennylane_ionq_batch.emulator import EmulatorServer
from pennylane_ionq_batch.progress import JobProgress

from ..conftest import LOCAL


def test_moons_is_balanced_and_scaled() -> None:
    X, Y = moons(60, seed=0)
    assert X.shape == (60, 2) and set(np.unique(Y)) == {-1.0, 1.0}
    assert X.min() == pytest.approx(0.0) and X.max() == pytest.approx(np.pi)


def test_same_accuracy_as_default_qubit(threaded_emulator: EmulatorServer) -> None:
    dev = qml.device("ionq.batch", wires=4, api_url=threaded_emulator.url, api_key="k",
                     client_options=LOCAL)
    ours, w_ours = train(dev, epochs=6, seed=1)
    ref, w_ref = train(qml.device("default.qubit", wires=4), epochs=6, seed=1)
    assert ours.steps == ref.steps == 24
    assert np.allclose(w_ours, w_ref, atol=1e-9)  # the same trajectory
    assert ours.test_accuracy == ref.test_accuracy and ours.train_accuracy == ref.train_accuracy
    assert ours.final_loss == pytest.approx(ref.final_loss, abs=1e-9)  # the training set's
    assert ours.jobs == ours.steps  # one job per training step
    assert ours.smoothed_losses[-1] == pytest.approx(np.mean(ours.losses[-4:]))  # an epoch


def test_train_command_writes_summary(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--epochs", "1", "--quiet", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["jobs"] == 4 and len(summary["losses"]) == 4
    assert "test accuracy" in capsys.readouterr().out


class Bar:
    def __init__(self) -> None:
        self.postfixes: list[str] = []

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfixes.append(text)


def test_the_progress_bar_shows_only_jobs_that_wait() -> None:
    waits, bar = JobWaits(quiet_for=2.0), Bar()
    waits.bar = bar
    waits(JobProgress("a", "started", 0.1))
    waits(JobProgress("a", "completed", 0.3))  # a job done at once: nothing shown
    assert bar.postfixes == []
    waits(JobProgress("b", "ready", 1.0))
    waits(JobProgress("b", "ready", 2.5))
    waits(JobProgress("b", "started", 4.0))
    waits(JobProgress("b", "completed", 4.2))
    assert bar.postfixes == ["queued 2 s", "running 4 s", ""]
