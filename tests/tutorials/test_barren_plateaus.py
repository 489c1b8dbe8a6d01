"""tutorial_barren_plateaus: gradients of random circuits under a global cost |0…0⟩⟨0…0|,
written as the tutorial does, as a qml.Hermitian; and as a qml.Projector for comparison."""

from __future__ import annotations

import time

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from .conftest import assert_close, run_both

WIRES = 6
GLOBAL = np.zeros((2**WIRES, 2**WIRES))
GLOBAL[0, 0] = 1.0
GATES = [qml.RX, qml.RY, qml.RZ]


def gradient_variance(dev, observable=lambda: qml.Hermitian(GLOBAL, wires=range(WIRES))):
    @qml.qnode(dev)
    def circuit(params, choices):
        for w in range(WIRES):
            qml.RY(np.pi / 4, wires=w)
        for w in range(WIRES):
            GATES[choices[w]](params[w], wires=w)
        for w in range(WIRES - 1):
            qml.CZ([w, w + 1])
        return qml.expval(observable())

    grads = []
    for _ in range(4):
        choices = np.random.choice(3, WIRES)
        params = pnp.array(np.random.uniform(0, 2 * np.pi, WIRES), requires_grad=True)
        grads.append(qml.grad(circuit)(params, choices)[0])
    return np.var(grads)


def test_gradient_variance_matches() -> None:
    ours, expected, jobs = run_both(gradient_variance, wires=WIRES, seed=4)
    assert_close(ours, expected)
    assert jobs.count == 4  # each gradient: its forward and shifted circuits, one job


def test_a_diagonal_hermitian_costs_what_a_projector_costs() -> None:
    """No diagonalizing gate: the same circuit as with qml.Projector (it was 3,298
    operations and 2,213 MS gates on 6 wires)."""
    timings, gates = {}, {}
    for name, observable in (
            ("Hermitian", lambda: qml.Hermitian(GLOBAL, wires=range(WIRES))),
            ("Projector", lambda: qml.Projector([0] * WIRES, wires=range(WIRES)))):
        dev = qml.device("ionq.batch", wires=WIRES, backend="emulator")
        start = time.perf_counter()
        np.random.seed(5)
        gradient_variance(dev, observable)
        timings[name] = time.perf_counter() - start
        [job] = [j for j in dev.emulator.store.all() if j.parent_id is None][-1:]
        gates[name] = [len(c.gates) for c in job.parsed.circuits]
    assert gates["Hermitian"] == gates["Projector"] and max(gates["Hermitian"]) < 40
    print(f"\nper gradient, 6 wires: gates per circuit {gates['Hermitian'][0]} (Hermitian) vs "
          f"{gates['Projector'][0]} (Projector); seconds {timings['Hermitian']:.2f} vs "
          f"{timings['Projector']:.2f}")
