"""tutorial_rotoselect: choose each rotation's generator and angle from three evaluations."""

from __future__ import annotations

import numpy as np
import pennylane as qml

from .conftest import assert_close, run_both

GENERATORS = [qml.RX, qml.RY, qml.RZ]


def rotoselect(dev):
    @qml.qnode(dev)
    def circuit(params, generators):
        generators[0](params[0], wires=0)
        generators[1](params[1], wires=1)
        qml.CNOT([0, 1])
        return qml.expval(0.5 * qml.Y(0) + 0.8 * qml.Z(0) - 0.2 * qml.X(1))

    params, generators = np.array([0.3, 0.25]), [qml.RX, qml.RY]
    history = []
    for _ in range(2):
        for d in range(2):
            best = None
            for generator in GENERATORS:
                trial = list(generators)
                trial[d] = generator
                m = [circuit(np.array([*params[:d], phi, *params[d + 1:]]), trial)
                     for phi in (0.0, np.pi / 2, -np.pi / 2)]
                angle = -np.pi / 2 - np.arctan2(2 * m[0] - m[1] - m[2], m[1] - m[2])
                value = circuit(np.array([*params[:d], angle, *params[d + 1:]]), trial)
                if best is None or value < best[0]:
                    best = (value, generator, angle)
            generators[d], params[d] = best[1], best[2]
            history.append((best[0], GENERATORS.index(best[1])))
    return params, history


def test_rotoselect_chooses_the_same_generators_and_angles() -> None:
    (params, history), (expected_params, expected_history), jobs = run_both(rotoselect, wires=2)
    assert_close(history, expected_history)
    # The tutorial's formula gives −3π/2 or π/2 for the same rotation, by the sign of a zero
    wrap = lambda a: np.mod(a + np.pi, 2 * np.pi) - np.pi  # noqa: E731
    assert_close(wrap(params), wrap(expected_params))
    assert jobs.count == 2 * 2 * 3 * 4  # every evaluation is one QNode call: one job
