"""Gate-level circuits (written gate by gate, as most QNodes are) through the preprocessing
cache: what it returns equals PennyLane's own pipeline for random tapes of every gate of
PennyLane's default gate set (default.qubit's), plain, controlled and adjoint."""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.devices.default_qubit import ALL_DQ_GATES

from pennylane_ionq_batch.preprocess.cache import PreprocessCache

from .test_cache import assert_same, flat

WIRES = 4
BASE = sorted(str(g) for g in ALL_DQ_GATES if "(" not in str(g) and str(g) != "Projector")
WIDTH = {"MultiRZ": 3, "MultiControlledX": 3, "GlobalPhase": 0, "Identity": 1}


def make_gate(name: str, rng: np.random.Generator, wrap: str) -> tuple[object, int]:
    """A builder of one gate (plain, controlled or adjoint) from its parameter values."""
    cls = getattr(qml, name)
    width = WIDTH.get(name, cls.num_wires)
    count = cls.num_params if isinstance(cls.num_params, int) else 1
    wires = [int(w) for w in rng.choice(WIRES, width + (wrap == "ctrl"), replace=False)]
    control, wires = (wires[0], wires[1:]) if wrap == "ctrl" else (None, wires)
    control_value = int(rng.integers(2))

    def build(values: np.ndarray) -> object:
        if name == "GlobalPhase":
            op = qml.GlobalPhase(values[0])
        else:
            op = cls(*values[:count], wires=wires)
        if wrap == "ctrl":
            return qml.ctrl(op, control=control, control_values=control_value)
        return qml.adjoint(op) if wrap == "adjoint" else op

    return build, count


def random_gate_tape(rng: np.random.Generator, names: list[str]) -> tuple[object, int]:
    gates, count = [], 0
    for name in names:
        wrap = rng.choice(["plain", "plain", "ctrl", "adjoint"])
        if name == "GlobalPhase" and wrap == "ctrl":
            wrap = "plain"
        build, n = make_gate(name, rng, str(wrap))
        gates.append((build, count, n))
        count += n
    measured = [qml.expval(qml.Z(0) @ qml.Z(3)), qml.probs(wires=[1, 2]),
                qml.var(qml.X(2)), qml.expval(0.5 * qml.Z(1) - qml.Y(0))]
    picked = [measured[i] for i in rng.choice(len(measured), 2, replace=False)]

    def tape(values: np.ndarray) -> qml.tape.QuantumScript:
        ops = [build(values[k:k + n]) for build, k, n in gates]
        return qml.tape.QuantumScript(ops, [m for m in picked])

    return tape, count


def test_gate_level_tapes_of_every_default_gate_equal_the_pipeline() -> None:
    rng = np.random.default_rng(20)
    dev = qml.device("ionq.batch", wires=WIRES, backend="emulator")
    pipeline = dev.preprocess_transforms()[0].kwargs["pipeline"]
    cache = PreprocessCache()
    order = list(BASE) * 3
    rng.shuffle(order)
    pairs, bound, used = [], [], set()
    for start in range(0, len(order), 6):
        names = order[start:start + 6] + [str(n) for n in rng.choice(BASE, 6)]
        used.update(names)
        build, count = random_gate_tape(rng, names)
        for _ in range(4):  # 1: seen once, 2: learned, 3-4: bound from the cache
            tape = build(rng.uniform(-np.pi, np.pi, count))
            before = cache.stats.hits
            out, _ = cache.apply(tape, pipeline)
            pairs.append((list(out), list(pipeline([tape])[0])))
            if cache.stats.hits > before:
                bound.append(tape)
    for ours, theirs in pairs:
        assert_same(ours, theirs)
    assert used == set(BASE) and len(BASE) >= 30
    assert len(bound) >= 10  # (a controlled rotation of a rotation decomposes to matrices)
    ours = qml.execute(bound, dev)
    theirs = qml.execute(bound, qml.device("default.qubit", wires=WIRES))
    assert np.allclose(flat(ours), flat(theirs), rtol=0, atol=1e-10)


def test_every_default_gate_is_bound_from_the_cache() -> None:
    """Plain and adjoint, and controlled when that decomposes to rotations: from the third
    sighting on, a gate's tapes are bound (no transform runs). A controlled parametrised
    two-qubit gate decomposes to matrices, which are structure: preprocessed in full."""
    rng = np.random.default_rng(3)
    dev = qml.device("ionq.batch", wires=WIRES, backend="emulator")
    pipeline = dev.preprocess_transforms()[0].kwargs["pipeline"]
    unbound = []
    for name in BASE:
        for wrap in ("plain", "adjoint", "ctrl"):
            if name == "GlobalPhase" and wrap == "ctrl":
                continue
            build, count = make_gate(name, rng, wrap)
            cache = PreprocessCache()
            for _ in range(3):
                tape = qml.tape.QuantumScript([build(rng.uniform(-3, 3, count))],  # type: ignore[operator]
                                              [qml.expval(qml.Z(0))])
                cache.apply(tape, pipeline)
            if not cache.stats.hits:
                unbound.append(f"{wrap} {name}")
    assert unbound == [f"ctrl {n}" for n in ("CRX", "CRY", "CRZ", "CRot", "CY",
                                              "ControlledPhaseShift", "IsingXY", "IsingYY")]
