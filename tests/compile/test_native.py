"""The native compiler: compiled pulses reproduce the circuit's unitary, with few pulses."""

from __future__ import annotations

import math

import numpy as np
import pennylane as qml
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pennylane.devices.preprocess import decompose
from pennylane.tape import QuantumScript

from pennylane_ionq_batch import CompilationError
from pennylane_ionq_batch.apps.bench.pulses import CIRCUITS, generic_counts, native_counts
from pennylane_ionq_batch.compile import native
from pennylane_ionq_batch.compile.native import as_entries, compile_native, compile_with_frames, zyz
from pennylane_ionq_batch.ops import GPI, GPI2, MS, ZZ


def unitary(ops: list, wires: list) -> np.ndarray:
    tape = QuantumScript([*ops, *(qml.Identity(w) for w in wires)])
    return qml.matrix(tape, wire_order=wires)


def phase_distance(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − e^{iφ} b| for the best global phase φ."""
    i = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    return float(np.max(np.abs(a - a[i] / b[i] * b)))


def compiled_unitary(ops: list, wires: list, entangler: str) -> np.ndarray:
    """The unitary of the pulses, times the trailing frames the compiler drops."""
    gates, frames = compile_with_frames(ops, wires, entangler)
    frame_ops = [qml.RZ(2 * math.pi * f, wires[q]) for q, f in frames.items()]
    return unitary(native.native_operations(gates, wires) + frame_ops, wires)


def random_unitary(seed: int, dim: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim)))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def counts(gates: list) -> tuple[int, int]:
    two = sum(1 for g in gates if g[0] in ("ms", "zz"))
    return len(gates) - two, two


# -- every supported operation, as (factory(wires, angles, seed), number of wires) ---------------
ONE_QUBIT = [
    lambda w, a, s: qml.Identity(w), lambda w, a, s: qml.PauliX(w),
    lambda w, a, s: qml.PauliY(w), lambda w, a, s: qml.PauliZ(w),
    lambda w, a, s: qml.Hadamard(w), lambda w, a, s: qml.S(w), lambda w, a, s: qml.T(w),
    lambda w, a, s: qml.SX(w), lambda w, a, s: qml.adjoint(qml.S(w)),
    lambda w, a, s: qml.adjoint(qml.T(w)), lambda w, a, s: qml.adjoint(qml.SX(w)),
    lambda w, a, s: qml.RX(a[0], w), lambda w, a, s: qml.RY(a[0], w),
    lambda w, a, s: qml.RZ(a[0], w), lambda w, a, s: qml.PhaseShift(a[0], w),
    lambda w, a, s: qml.Rot(*a, wires=w), lambda w, a, s: qml.U1(a[0], w),
    lambda w, a, s: qml.U2(a[0], a[1], w), lambda w, a, s: qml.U3(*a, wires=w),
    lambda w, a, s: GPI(a[0], w), lambda w, a, s: GPI2(a[1], w),
    lambda w, a, s: qml.QubitUnitary(random_unitary(s, 2), w),
]
TWO_QUBIT = [
    lambda w, a, s: qml.CNOT(w), lambda w, a, s: qml.CZ(w), lambda w, a, s: qml.CY(w),
    lambda w, a, s: qml.CH(w), lambda w, a, s: qml.SWAP(w), lambda w, a, s: qml.ISWAP(w),
    lambda w, a, s: qml.SISWAP(w), lambda w, a, s: qml.ECR(w),
    lambda w, a, s: qml.IsingXX(a[0], w), lambda w, a, s: qml.IsingYY(a[0], w),
    lambda w, a, s: qml.IsingZZ(a[0], w), lambda w, a, s: qml.IsingXY(a[0], w),
    lambda w, a, s: qml.MultiRZ(a[0], w), lambda w, a, s: qml.PauliRot(a[0], "XY", w),
    lambda w, a, s: qml.CRX(a[0], w), lambda w, a, s: qml.CRY(a[0], w),
    lambda w, a, s: qml.CRZ(a[0], w), lambda w, a, s: qml.CRot(*a, wires=w),
    lambda w, a, s: qml.ControlledPhaseShift(a[0], w),
    lambda w, a, s: qml.SingleExcitation(a[0], w), lambda w, a, s: qml.PSWAP(a[0], w),
    lambda w, a, s: MS(a[0], a[1], a[2], w), lambda w, a, s: MS(a[0], a[1], wires=w),
    lambda w, a, s: ZZ(a[0], w),
    lambda w, a, s: qml.QubitUnitary(random_unitary(s, 4), w),
]
THREE_QUBIT = [
    lambda w, a, s: qml.Toffoli(w), lambda w, a, s: qml.CSWAP(w), lambda w, a, s: qml.CCZ(w),
    lambda w, a, s: qml.MultiRZ(a[0], w),
    lambda w, a, s: qml.MultiControlledX(wires=w, control_values=[1, 0]),
]
OPERATIONS = [(f, 1) for f in ONE_QUBIT] + [(f, 2) for f in TWO_QUBIT] + \
    [(f, 3) for f in THREE_QUBIT]

# Angles include the values where a pulse sequence changes shape.
SPECIAL = [0.0, math.pi, -math.pi, math.pi / 2, -math.pi / 2, 3 * math.pi / 2, 2 * math.pi,
           4 * math.pi, 1e-11, math.pi / 2 + 1e-11, 0.25, 0.5]
ANGLES = st.one_of(st.sampled_from(SPECIAL), st.floats(-100, 100, allow_nan=False))


@st.composite
def circuits(draw: st.DrawFn) -> tuple[list, list]:
    n = draw(st.integers(1, 5))
    wires = list(range(n))
    ops = []
    for _ in range(draw(st.integers(1, 12))):
        factory, width = draw(st.sampled_from([o for o in OPERATIONS if o[1] <= n]))
        w = draw(st.permutations(wires))[:width]
        angles = [draw(ANGLES) for _ in range(3)]
        op = factory(w[0] if width == 1 else w, angles, draw(st.integers(0, 2**31)))
        ops.append(op)
    return ops, wires


def decomposed(ops: list) -> list:
    [tape], _ = decompose(QuantumScript(ops), stopping_condition=native.supports_operation,
                          skip_initial_state_prep=False)
    return tape.operations


class TestProperty:
    @pytest.mark.parametrize("entangler", ["ms", "zz"])
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(circuit=circuits())
    def test_compiled_pulses_equal_the_circuit(self, entangler: str, circuit: tuple) -> None:
        ops, wires = circuit
        expected = unitary(ops, wires)
        got = compiled_unitary(decomposed(ops), wires, entangler)
        assert phase_distance(expected, got) < 1e-9
        for gate in compile_native(decomposed(ops), wires, entangler):
            if gate[0] in ("gpi", "gpi2"):
                assert 0.0 <= gate[2] < 1.0
            elif gate[0] == "ms":
                assert entangler == "ms" and 0.0 <= gate[3] < 1 and 0.0 <= gate[4] < 1
                assert 0.0 < gate[5] <= 0.25
            else:
                assert entangler == "zz" and -0.25 <= gate[3] <= 0.25


class TestPulseCounts:
    @pytest.mark.parametrize("op", [qml.RZ(0.3, 0), qml.PhaseShift(1.1, 0), qml.PauliZ(0),
                                    qml.S(0), qml.T(0), qml.adjoint(qml.S(0))])
    def test_diagonal_gates_are_free(self, op: qml.operation.Operator) -> None:
        assert compile_native([op], [0]) == []

    def test_a_run_of_single_qubit_gates_is_at_most_two_pulses(self) -> None:
        ops = [qml.RX(0.3, 0), qml.RY(1.2, 0), qml.Hadamard(0), qml.RZ(0.7, 0), qml.T(0),
               qml.RX(2.0, 0), qml.SX(0)]
        assert counts(compile_native(ops, [0])) == (2, 0)

    @pytest.mark.parametrize("op, pulse", [(qml.RX(math.pi / 2, 0), "gpi2"),
                                           (qml.RY(-math.pi / 2, 0), "gpi2"),
                                           (qml.PauliX(0), "gpi"), (qml.RY(math.pi, 0), "gpi"),
                                           (qml.Hadamard(0), "gpi2")])
    def test_quarter_and_half_turns_are_one_pulse(self, op: qml.operation.Operator,
                                                  pulse: str) -> None:
        gates = compile_native([op], [0])
        assert [g[0] for g in gates] == [pulse]

    @pytest.mark.parametrize("entangler", ["ms", "zz"])
    @pytest.mark.parametrize("op", [qml.IsingXX(0.3, [0, 1]), qml.IsingYY(-2.0, [0, 1]),
                                    qml.IsingZZ(5.0, [0, 1]), qml.MultiRZ(0.1, [0, 1]),
                                    qml.CNOT([0, 1]), qml.CZ([0, 1]), qml.CRX(0.4, [0, 1]),
                                    qml.CRY(0.4, [0, 1]), qml.ControlledPhaseShift(0.4, [0, 1]),
                                    qml.PauliRot(0.2, "XY", [0, 1]), qml.IsingXY(0.7, [0, 1])])
    def test_two_qubit_rotations_take_one_entangler(self, entangler: str,
                                                    op: qml.operation.Operator) -> None:
        gates = compile_native([op], [0, 1], entangler)
        assert counts(gates)[1] == (2 if op.name == "IsingXY" else 1)
        assert {g[0] for g in gates if g[0] in ("ms", "zz")} == {entangler}

    def test_ising_xx_is_a_single_partial_ms(self) -> None:
        assert compile_native([qml.IsingXX(0.3, [0, 1])], [0, 1], "ms") == \
            [("ms", 0, 1, 0.0, 0.0, pytest.approx(0.3 / (2 * math.pi)))]

    def test_ising_zz_is_a_single_zz_on_forte(self) -> None:
        assert compile_native([qml.IsingZZ(-0.3, [1, 0])], [0, 1], "zz") == \
            [("zz", 1, 0, pytest.approx(-0.3 / (2 * math.pi)))]

    def test_negative_ms_angle_flips_the_first_phase(self) -> None:
        [gate] = compile_native([qml.IsingXX(-0.3, [0, 1])], [0, 1], "ms")
        assert gate == ("ms", 0, 1, 0.5, 0.0, pytest.approx(0.3 / (2 * math.pi)))

    def test_full_turn_interactions_cost_nothing(self) -> None:
        assert compile_native([qml.IsingXX(2 * math.pi, [0, 1])], [0, 1]) == []
        assert counts(compile_native([qml.IsingZZ(math.pi, [0, 1])], [0, 1], "zz")) == (0, 0)

    @pytest.mark.parametrize("seed", range(20))
    def test_any_two_qubit_unitary_takes_at_most_three_entanglers(self, seed: int) -> None:
        u = random_unitary(seed, 4)
        gates = compile_native([qml.QubitUnitary(u, [0, 1])], [0, 1])
        assert counts(gates)[1] == 3
        assert phase_distance(u, compiled_unitary([qml.QubitUnitary(u, [0, 1])], [0, 1], "ms")) \
            < 1e-9

    def test_cnot_is_one_ms_and_three_pulses(self) -> None:
        assert counts(compile_native([qml.CNOT([0, 1])], [0, 1])) == (3, 1)

    def test_frames_move_into_later_phases(self) -> None:
        gates = compile_native([qml.RZ(math.pi / 2, 0), qml.RX(math.pi / 2, 0)], [0])
        assert gates == [("gpi2", 0, pytest.approx(0.75))]  # RX(π/2) after a quarter-turn frame


class TestErrors:
    def test_more_than_two_wires_must_be_decomposed_first(self) -> None:
        with pytest.raises(CompilationError, match="Toffoli on wires \\[0, 1, 2\\]"):
            compile_native([qml.Toffoli([0, 1, 2])], [0, 1, 2])

    @pytest.mark.parametrize("value", [math.nan, math.inf])
    def test_non_finite_parameters(self, value: float) -> None:
        with pytest.raises(CompilationError, match="IsingXX on wires \\[0, 1\\] has a non-fin"):
            compile_native([qml.IsingXX(value, [0, 1])], [0, 1])

    def test_unknown_entangler(self) -> None:
        with pytest.raises(CompilationError, match="'cz'"):
            compile_native([qml.CNOT([0, 1])], [0, 1], "cz")


@pytest.mark.parametrize("seed", range(30))
def test_zyz_reconstructs_the_unitary(seed: int) -> None:
    """With Python numbers (one circuit) and with arrays (a batch), to the same angles."""
    u = random_unitary(seed, 2)
    alone = zyz(as_entries(u))
    batched = [x[1] for x in zyz(as_entries(np.stack([random_unitary(seed + 99, 2), u])))]
    assert all(isinstance(x, float) for x in alone)
    assert alone == pytest.approx(batched, abs=1e-14)
    a, b, c = alone
    assert 0 <= b <= math.pi
    rebuilt = qml.matrix(qml.RZ(a, 0)) @ qml.matrix(qml.RY(b, 0)) @ qml.matrix(qml.RZ(c, 0))
    assert phase_distance(u, rebuilt) < 1e-12


@pytest.mark.parametrize("name", sorted(CIRCUITS))
def test_benchmark_circuits_take_fewer_pulses_than_the_generic_scheme(name: str) -> None:
    ops = CIRCUITS[name]()
    (gen_ms, gen_zz) = generic_counts(ops)
    for entangler, generic in (("ms", gen_ms), ("zz", gen_zz)):
        ours = native_counts(ops, entangler)
        assert ours[0] < generic[0] and ours[1] <= generic[1]
