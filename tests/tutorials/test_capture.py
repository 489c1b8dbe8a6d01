"""The newest tutorials begin with qml.capture.enable(): a program with a Python loop, a
mid-circuit measurement and qml.cond, evaluated on both devices."""

from __future__ import annotations

import warnings

import numpy as np
import pennylane as qml
import pytest

from .conftest import assert_close, run_both

pytest.importorskip("jax")


@pytest.fixture(autouse=True)
def _capture():
    qml.capture.enable()
    with warnings.catch_warnings():  # PennyLane: "should be done inside qp.qjit"
        warnings.filterwarnings("ignore", "Executing PennyLane programs with capture")
        warnings.filterwarnings("ignore", "Explicitly requested dtype")  # JAX without x64
        yield
    qml.capture.disable()


def program(dev):
    @qml.qnode(dev, diff_method="parameter-shift")
    def circuit(x, weights):
        qml.RX(x, 0)
        qml.CNOT([0, 1])
        for i in range(2):
            qml.RY(weights[i], i + 1)
        m = qml.measure(0)
        qml.cond(m, qml.X)(2)
        return qml.expval(qml.Z(1)), qml.probs(wires=[2])

    return [circuit(x, np.array([0.1, 0.2 + x])) for x in (0.3, 1.1)]


def test_captured_program_matches() -> None:
    ours, expected, jobs = run_both(program, wires=4)
    assert_close(ours, expected, atol=1e-6)  # default.qubit computes in float32 here
    assert jobs.count == 2
