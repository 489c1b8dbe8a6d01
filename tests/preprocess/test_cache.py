"""The preprocessing cache: what it returns for a tape equals PennyLane's own pipeline's output
(operations, parameters to 1e-12, measurements), for random circuits, templates and angles."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

from pennylane_ionq_batch import BatchSPSAOptimizer
from pennylane_ionq_batch.preprocess.cache import PreprocessCache, fingerprint

WIRES = 4
SINGLE = [qml.RX, qml.RY, qml.RZ, qml.PhaseShift]
DOUBLE = [qml.IsingXX, qml.IsingYY, qml.IsingZZ, qml.CRX, qml.CRY, qml.CRZ,
          qml.ControlledPhaseShift]


def random_structure(rng: np.random.Generator) -> tuple[object, int]:
    """A circuit-building function of a parameter vector, and how many parameters it takes."""
    layout: list[tuple[str, object]] = []
    count = 0
    for _ in range(rng.integers(2, 7)):
        kind = rng.integers(10)
        if kind == 0:
            layout.append(("angle", None))
            count += WIRES
        elif kind == 1:
            layers = int(rng.integers(1, 3))
            layout.append(("sel", layers))
            count += layers * WIRES * 3
        elif kind == 2:
            layout.append(("basic", None))
            count += WIRES
        elif kind == 3:
            layout.append(("rot", int(rng.integers(WIRES))))
            count += 3
        elif kind == 4:
            a, b = rng.choice(WIRES, 2, replace=False)
            layout.append((DOUBLE[rng.integers(len(DOUBLE))].__name__, (int(a), int(b))))
            count += 1
        elif kind == 5:
            layout.append(("multirz", tuple(int(w) for w in rng.choice(WIRES, 3, False))))
            count += 1
        elif kind == 6:
            layout.append((SINGLE[rng.integers(len(SINGLE))].__name__, int(rng.integers(WIRES))))
            count += 1
        elif kind == 7:
            layout.append(("ctrl", tuple(int(w) for w in rng.choice(WIRES, 2, False))))
            count += 1
        elif kind == 8:
            layout.append(("adjoint", int(rng.integers(WIRES))))
            count += 3
        else:
            layout.append(("fixed", (int(rng.integers(WIRES)), int(rng.integers(1, WIRES)))))
    observables = [lambda: qml.expval(qml.Z(0) @ qml.X(2)),
                   lambda: qml.expval(0.3 * qml.Y(1) + qml.Z(3) - 0.2 * qml.X(0) @ qml.X(1)),
                   lambda: qml.var(qml.X(1)), lambda: qml.probs(wires=[0, 3]),
                   lambda: qml.expval(qml.Hermitian(np.diag([1.0, 0.0, 0.0, 2.0]), [1, 2]))]
    measured = [observables[i] for i in rng.choice(len(observables), 2, replace=False)]

    def build(values: np.ndarray) -> list:
        ops, k = [], 0
        for name, arg in layout:
            if name == "angle":
                ops.append(qml.AngleEmbedding(values[k:k + WIRES], wires=range(WIRES)))
                k += WIRES
            elif name == "sel":
                n = arg * WIRES * 3
                ops.append(qml.StronglyEntanglingLayers(
                    values[k:k + n].reshape(arg, WIRES, 3), wires=range(WIRES)))
                k += n
            elif name == "basic":
                ops.append(qml.BasicEntanglerLayers(values[k:k + WIRES].reshape(1, WIRES),
                                                    wires=range(WIRES)))
                k += WIRES
            elif name == "rot":
                ops.append(qml.Rot(*values[k:k + 3], wires=arg))
                k += 3
            elif name == "multirz":
                ops.append(qml.MultiRZ(values[k], wires=list(arg)))
                k += 1
            elif name == "ctrl":
                ops.append(qml.ctrl(qml.RY(values[k], wires=arg[1]), control=arg[0]))
                k += 1
            elif name == "adjoint":
                ops.append(qml.adjoint(qml.Rot(*values[k:k + 3], wires=arg)))
                k += 3
            elif name == "fixed":
                ops += [qml.Hadamard(arg[0]), qml.CNOT([arg[0], (arg[0] + arg[1]) % WIRES])]
            else:
                ops.append(getattr(qml, name)(values[k], wires=arg))
                k += 1
        return ops

    return (lambda values, shots=None: qml.tape.QuantumScript(
        build(values), [m() for m in measured], shots=shots)), count


def assert_same(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert [(op.name, op.wires.tolist()) for op in a.operations] == \
            [(op.name, op.wires.tolist()) for op in b.operations]
        for x, y in zip(a.operations, b.operations, strict=True):
            assert all(np.allclose(u, v, rtol=0, atol=1e-12)
                       for u, v in zip(x.data, y.data, strict=True))
        assert repr(a.measurements) == repr(b.measurements) and a.shots == b.shots


def test_cached_preprocessing_equals_the_pipeline_on_600_random_tapes() -> None:
    rng = np.random.default_rng(2026)
    dev = qml.device("ionq.batch", wires=WIRES, backend="emulator")
    pipeline = dev.preprocess_transforms()[0].kwargs["pipeline"]  # PennyLane's, uncached
    cache = PreprocessCache()
    hits, learned, compared, pairs = [], 0, 0, []
    for _ in range(120):
        build, count = random_structure(rng)
        shots = None if rng.random() < 0.7 else 1000
        for k in range(5):  # 1: seen once, 2: learned, 3-5: from the cache
            tape = build(rng.uniform(-2 * np.pi, 2 * np.pi, count), shots)
            before = cache.stats.hits
            out, post = cache.apply(tape, pipeline)
            learned += k == 4 and cache.stats.hits > before
            expected, _ = pipeline([tape])
            pairs.append((list(out), list(expected)))
            compared += 1
            if k >= 2 and cache.stats.hits:
                hits.append(tape)
    for out, expected in pairs:  # at the end: binding one tape must not change another
        assert_same(out, expected)
    assert compared == 600 and learned >= 100 and cache.stats.hits >= 300
    exact = [t for t in hits if not t.shots]
    ours = qml.execute(exact, dev)
    theirs = qml.execute(exact, qml.device("default.qubit", wires=WIRES))
    assert len(exact) >= 200
    assert np.allclose(flat(ours), flat(theirs), rtol=0, atol=1e-10)


def flat(results: object) -> np.ndarray:
    """Every number of a batch's results, in order."""
    if isinstance(results, (tuple, list)):
        return np.concatenate([flat(r) for r in results]) if results else np.zeros(0)
    return np.ravel(np.asarray(results, dtype=float))


def test_a_structure_whose_map_is_not_affine_is_preprocessed_in_full() -> None:
    """QubitUnitary's decomposition is not affine in the matrix: never cached, still right."""
    dev = qml.device("ionq.batch", wires=3, backend="emulator")
    pipeline = dev.preprocess_transforms()[0].kwargs["pipeline"]
    cache = PreprocessCache()
    rng = np.random.default_rng(1)
    for _ in range(4):
        u = qml.math.linalg.qr(rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8)))[0]
        tape = qml.tape.QuantumScript([qml.QubitUnitary(u, wires=range(3))],
                                      [qml.probs(wires=range(3))])
        out, _ = cache.apply(tape, pipeline)
        assert_same(list(out), list(pipeline([tape])[0]))
    assert cache.stats.hits == 0 and len(cache) == 0  # complex values: never keyed


def test_a_structure_seen_once_costs_nothing_extra() -> None:
    dev = qml.device("ionq.batch", wires=2, backend="emulator")
    calls = []
    inner = dev.preprocess_transforms()[0].kwargs["pipeline"]

    def pipeline(tapes):
        calls.append(len(tapes))
        return inner(tapes)

    cache = PreprocessCache()
    cache.apply(qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(qml.Z(0))]), pipeline)
    assert calls == [1]  # learning waits for a second sighting


@pytest.mark.parametrize("shots", [None, 2000])
def test_device_results_with_the_cache_equal_default_qubit(shots: int | None) -> None:
    dev = qml.device("ionq.batch", wires=3, backend="emulator", seed=4)
    tapes = [qml.tape.QuantumScript(
        [qml.AngleEmbedding([a, 2 * a, 0.3], wires=range(3)),
         qml.StronglyEntanglingLayers(np.full((1, 3, 3), a), wires=range(3))],
        [qml.expval(qml.Z(0) @ qml.Z(2)), qml.probs(wires=[1])], shots=shots)
        for a in np.linspace(0.1, 2.0, 40)]
    ours = qml.execute(tapes, dev)
    exact = [t.copy(shots=None) for t in tapes]
    theirs = qml.execute(exact, qml.device("default.qubit", wires=3))
    tolerance = 1e-10 if shots is None else 0.1  # 4.5 σ of 2,000 shots
    for (e1, p1), (e2, p2) in zip(ours, theirs, strict=True):
        assert abs(e1 - e2) < tolerance and np.allclose(p1, p2, atol=tolerance)
    assert dev._preprocessed.stats.hits == 38


def test_the_replay_pass_reuses_what_the_record_pass_preprocessed() -> None:
    """A structure that cannot be bound (QubitUnitary of the parameters) is preprocessed in
    full once per evaluation of a BatchSPSAOptimizer step, not again in the replay pass."""
    dev = qml.device("ionq.batch", wires=1, backend="emulator")

    @qml.qnode(dev)
    def cost(x):
        qml.QubitUnitary(qml.matrix(qml.RY(x[0], 0) @ qml.RZ(x[1], 0)), wires=0)
        return qml.expval(qml.Z(0))

    opt = BatchSPSAOptimizer(maxiter=2)
    opt.step(cost, qml.numpy.array([0.3, 0.4], requires_grad=True))
    assert opt.fallbacks == 0
    # SPSA evaluates the cost at two points: two full runs, two reuses in the replay
    assert dev.metrics["preprocess_cache_misses"] == 2
    assert dev.metrics["preprocess_cache_hits"] == 2


@pytest.mark.parametrize("measure", [
    lambda: [qml.expval(0.5 * qml.Z(0) + 2.0 * qml.Z(1))],  # one tape; coefficients applied after
    lambda: [qml.expval(3.0 * qml.Z(0) @ qml.Z(1))],
    lambda: [qml.var(2.0 * qml.X(1))],
    lambda: [qml.expval(qml.Z(0)), qml.expval(0.25 * qml.Y(1))],
    lambda: [qml.expval(qml.Z(0))],  # nothing to apply: the postprocessing is skipped
    lambda: [qml.probs(wires=[1, 0])],
])
def test_bound_tapes_get_the_postprocessing_their_structure_needs(measure: object) -> None:
    """Postprocessing that computes (coefficients, sums of terms) runs for every bound tape;
    only a pass-through is skipped. Results from the cache equal default.qubit's."""
    dev = qml.device("ionq.batch", wires=2, backend="emulator")
    tapes = [qml.tape.QuantumScript([qml.RX(a, 0), qml.RY(2 * a, 1), qml.CNOT([0, 1])],
                                    measure())  # type: ignore[operator]
             for a in np.linspace(0.2, 2.9, 6)]
    ours = [qml.execute([t], dev)[0] for t in tapes]  # one by one: the 3rd on are bound
    theirs = qml.execute(tapes, qml.device("default.qubit", wires=2))
    assert dev.metrics["preprocess_cache_hits"] == 4
    assert np.allclose(flat(ours), flat(theirs), rtol=0, atol=1e-10)


def test_fingerprints_tell_tapes_apart_as_their_results_do() -> None:
    # A recorded step's replay is matched by fingerprint: equal for equal tapes, different
    # for anything that changes a result (a value, a wire, a gate, a measurement, shots).
    def tape(theta: float = 0.5, wire: int = 1, gate: type = qml.RX,
             obs: object = None, shots: int | None = None) -> qml.tape.QuantumScript:
        return qml.tape.QuantumScript(
            [qml.Rot(0.1, 0.2, 0.3, 0), qml.CNOT([0, 1]), gate(theta, wire)],
            [qml.expval(obs if obs is not None else qml.Z(0))], shots=shots)

    base = fingerprint(tape())
    assert fingerprint(tape()) == base and hash(base) == hash(fingerprint(tape()))
    for other in (tape(theta=0.5 + 1e-12), tape(wire=0), tape(gate=qml.RY),
                  tape(obs=qml.X(0)), tape(obs=qml.Z(1)), tape(obs=2.0 * qml.Z(0)),
                  tape(shots=100)):
        assert fingerprint(other) != base
    matrix = qml.tape.QuantumScript([qml.QubitUnitary(qml.matrix(qml.S(0)), 0)],
                                    [qml.expval(qml.Z(0))])
    assert fingerprint(matrix) == matrix.hash  # values that are structure: PennyLane's hash
