"""The emulator's payload validation, as IonQ's 400s: what is refused, naming which field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pennylane_ionq_batch.emulator.validate import PayloadError, gate_counts, parse_job

GOOD: dict[str, Any] = {
    "type": "ionq.multi-circuit.v1", "backend": "simulator", "shots": 100,
    "input": {"gateset": "qis", "qubits": 2, "circuits": [
        {"circuit": [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]},
        {"circuit": [{"gate": "rx", "target": 1, "rotation": 0.5}]}]},
}


def job(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(GOOD)
    body.update(changes)
    return body


def native(*gates: dict[str, Any], backend: str = "qpu.aria-1") -> dict[str, Any]:
    return job(backend=backend, input={"gateset": "native", "qubits": 2,
                                       "circuits": [{"circuit": list(gates)}]})


def test_a_good_job() -> None:
    parsed = parse_job(GOOD)
    assert (parsed.backend, parsed.shots, len(parsed.circuits)) == ("simulator", 100, 2)
    assert [c.qubits for c in parsed.circuits] == [2, 2]
    assert gate_counts(g for c in parsed.circuits for g in c.gates) == (2, 1)


@pytest.mark.parametrize("body, message, keys", [
    (job(colour="red"), "unknown job field", ["colour"]),
    (job(type="ionq.batch.v1"), "'type' must be", ["type"]),
    (job(backend="qpu.nope"), "unknown backend 'qpu.nope'", ["backend"]),
    (job(shots=0), "'shots' must be an integer from 1", ["shots"]),
    (job(shots=True), "'shots' must be an integer from 1", ["shots"]),
    (job(noise={"model": "aria-1"}, backend="qpu.aria-1"), "only accepted by the simulator",
     ["noise"]),
    (job(settings={"error_mitigation": {"debiasing": True}}),
     "debiasing needs at least 500 shots", ["settings"]),
    (job(settings={"compilation": {"opt": "max"}}), "'settings.compilation' may hold",
     ["settings"]),
    (job(metadata={"k": 1}), "'metadata' must map", ["metadata"]),
    (job(input={"gateset": "qis", "circuit": [], "circuits": []}), "cannot both be sent",
     ["input"]),
    (job(input={"gateset": "qis", "circuits": [{"circuit": []}]}), "at least one gate",
     ["circuit"]),
    (job(input={"gateset": "qis", "circuits": [{"circuit": [{"gate": "h", "target": 0}]}]
                * 5001}), "too many circuits: 5001 > 5000", ["input"]),
    (job(input={"gateset": "qis", "circuits": [{"circuit": [{"gate": "h", "target": 0}]
                                                * 150_001}]}), "TooManyGates", ["input"]),
    (job(input={"gateset": "qis", "circuits": [{"qubits": 40, "circuit": [
        {"gate": "h", "target": 0}]}]}), "NotEnoughQubits", ["qubits"]),
])
def test_refused_jobs(body: dict[str, Any], message: str, keys: list[str]) -> None:
    with pytest.raises(PayloadError, match=message) as info:
        parse_job(body)
    assert info.value.keys == keys


@pytest.mark.parametrize("gate, message", [
    ({"gate": "ms", "targets": [0, 1], "phases": [0, 0], "angle": 0.3}, "outside"),
    ({"gate": "gpi", "target": 0, "phase": 1.5}, "outside"),
    ({"gate": "zz", "targets": [0, 1], "angle": 0.1}, "UnsupportedGate"),  # Aria: MS only
    ({"gate": "gpi2", "target": 0, "phase": 0.1, "rotation": 1}, "unknown field"),
    ({"gate": "ms", "targets": [0, 0], "phases": [0, 0]}, "uses a qubit twice"),
    ({"gate": "h", "target": 0}, "unsupported gate 'h' for gateset 'native'"),
])
def test_refused_native_gates(gate: dict[str, Any], message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_job(native(gate))


def test_forte_takes_zz_and_its_angle_may_be_negative() -> None:
    parsed = parse_job(native({"gate": "zz", "targets": [0, 1], "angle": -0.1},
                              backend="qpu.forte-1"))
    assert gate_counts(parsed.circuits[0].gates) == (0, 1)


@pytest.mark.parametrize("gate, message", [
    ({"gate": "cnot", "target": 1}, "cnot needs 'control'"),
    ({"gate": "x", "target": 0, "controls": list(range(1, 9))}, "TooManyControls"),
    ({"gate": "pauliexp", "targets": [0, 1], "terms": ["XQ"], "coefficients": [1.0],
      "time": 0.1}, "must be one of I/X/Y/Z"),
    ({"gate": "rz", "target": 0, "rotation": float("inf")}, "finite number"),
])
def test_refused_qis_gates(gate: dict[str, Any], message: str) -> None:
    body = job(input={"gateset": "qis", "qubits": 9, "circuits": [{"circuit": [gate]}]})
    with pytest.raises(PayloadError, match=message):
        parse_job(body)
