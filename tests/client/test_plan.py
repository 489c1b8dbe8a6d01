"""Planning a batch: pure functions from serialised circuits to job bodies, and back."""

from __future__ import annotations

import json

import pytest

from pennylane_ionq_batch.client.plan import GROUND, build_job, plan_batch, plan_chunks
from pennylane_ionq_batch.config import JobOptions
from pennylane_ionq_batch.exceptions import CompilationError, ConfigurationError
from pennylane_ionq_batch.payload import SerializedCircuit


def circ(gates: int = 1, qubits: int = 1, pad: int = 0, target: int = 0) -> SerializedCircuit:
    obj: dict = {"qubits": qubits, "circuit": [{"gate": "x", "target": target}] * gates}
    if pad:
        obj["pad"] = "x" * pad
    return SerializedCircuit(json.dumps(obj).encode(), qubits, gates)


def bodies(plan: object) -> list[dict]:
    return [json.loads(job.body) for job in plan.jobs]


class TestPlanChunks:
    def test_one_chunk_when_within_limits(self) -> None:
        assert plan_chunks([circ()] * 500) == [range(500)]

    def test_circuit_limit(self) -> None:
        """6,000 circuits → 5,000 + 1,000."""
        assert plan_chunks([circ()] * 6000) == [range(5000), range(5000, 6000)]

    def test_gate_limit(self) -> None:
        chunks = plan_chunks([circ(gates=40_000)] * 8)
        assert [len(c) for c in chunks] == [3, 3, 2]

    def test_byte_limit(self) -> None:
        chunks = plan_chunks([circ(pad=3_000_000)] * 5)
        assert [len(c) for c in chunks] == [3, 2]

    def test_oversized_circuit_is_an_error(self) -> None:
        with pytest.raises(CompilationError, match="alone exceeds"):
            plan_chunks([circ(gates=150_001)])


class TestBuildJob:
    def test_multi_circuit_body(self) -> None:
        opts = JobOptions(backend="qpu.aria-1", metadata={"project": "vqe"},
                          error_mitigation={"debiasing": False})
        job = build_job(opts, [circ(qubits=2), circ(qubits=3)], shots=1000)
        body = json.loads(job.body)
        assert body["type"] == "ionq.multi-circuit.v1"
        assert body["backend"] == "qpu.aria-1" and body["shots"] == 1000
        assert body["input"]["gateset"] == "native" and body["input"]["qubits"] == 3
        assert len(body["input"]["circuits"]) == 2
        assert body["name"] == job.name and job.name.startswith("ionq-batch-")
        assert body["metadata"] == {"project": "vqe", "client_token": job.name, "circuits": "2"}
        assert body["settings"] == {"error_mitigation": {"debiasing": False}}
        assert job.multi and job.n_circuits == 2

    def test_single_circuit_body_omits_null_shots(self) -> None:
        """IonQ rejects "shots": null, so analytic jobs omit the key."""
        job = build_job(JobOptions(gateset="qis"), [circ(qubits=2)], shots=None)
        body = json.loads(job.body)
        assert body["type"] == "ionq.circuit.v1" and "shots" not in body
        assert body["input"] == {"gateset": "qis", "qubits": 2,
                                 "circuit": [{"gate": "x", "target": 0}]}

    def test_names_are_unique(self) -> None:
        assert len({build_job(JobOptions(), [circ()], shots=None).name for _ in range(50)}) == 50

    @pytest.mark.parametrize("backend, gateset, shots, debiased", [
        ("qpu.forte-1", "qis", 500, True),  # IonQ's default: qis, ≥ 500 shots, a QPU
        ("qpu.forte-1", "qis", 499, False),
        ("qpu.forte-1", "native", 1000, False),  # native jobs: off by default
        ("simulator", "qis", 1000, False),
        ("simulator", "native", None, False),
    ])
    def test_debiasing_is_always_explicit(self, backend: str, gateset: str,
                                          shots: int | None, debiased: bool) -> None:
        job = build_job(JobOptions(backend=backend, gateset=gateset), [circ()], shots=shots)
        settings = json.loads(job.body)["settings"]
        assert settings == {"error_mitigation": {"debiasing": debiased}}
        assert job.debiasing is debiased

    def test_job_fields_pass_through(self) -> None:
        with pytest.warns(UserWarning, match=r"October 2026\) no longer lists it"):
            opts = JobOptions(job_fields={"settings": {"compilation": {"opt": 1,
                                                                       "precision": "1E-3"}},
                                          "dry_run": True, "session_id": "s-1"},
                              error_mitigation={"symmetry_verification": True})
        body = json.loads(build_job(opts, [circ()], shots=None).body)
        assert body["dry_run"] is True and body["session_id"] == "s-1"
        assert body["settings"] == {"compilation": {"opt": 1, "precision": "1E-3"},
                                    "error_mitigation": {"symmetry_verification": True,
                                                         "debiasing": False}}

    @pytest.mark.parametrize("fields, match", [
        ({"shots": 10}, "shots=10 is not one of them .the device sets it"),
        ({"settings": {"error_mitigation": {}}}, "use the device's error_mitigation option"),
        ({"settings": {"compilation": {"opt": "high"}}}, "opt .number."),
        ({"settings": {"compilation": {"speed": 1}}}, "gate_basis .str."),
        ({"dry_run": "yes"}, "dry_run='yes' is not one of them"),
        ({"lang": "json"}, "lang='json'"),
    ])
    def test_job_fields_are_checked_against_the_schema(self, fields: dict, match: str) -> None:
        with pytest.raises(ConfigurationError, match=match):
            JobOptions(job_fields=fields)


class TestPlanBatch:
    def test_empty_circuits_are_answered_exactly_without_a_job(self) -> None:
        plan = plan_batch([circ(gates=0, qubits=3), circ(gates=0)], [None, 100], JobOptions())
        assert plan.jobs == () and plan.slots == (-1, -1)
        assert plan.histograms([]) == [GROUND, GROUND]

    def test_empty_circuits_are_sent_as_cancelling_pulses_when_measured(self) -> None:
        """A measured backend samples SPAM noise: two pulses that cancel, never []."""
        opts = JobOptions(backend="qpu.aria-1")
        plan = plan_batch([circ(gates=0, qubits=2), circ(gates=2)], [100, 100], opts)
        (body,) = bodies(plan)
        empty, other = body["input"]["circuits"]
        assert empty == {"qubits": 2, "circuit": [{"gate": "gpi2", "target": 0, "phase": 0.0},
                                                  {"gate": "gpi2", "target": 0, "phase": 0.5}]}
        assert other["circuit"] and plan.slots == (0, 1)

    def test_qis_identity_is_two_x(self) -> None:
        opts = JobOptions(backend="simulator", noise_model="aria-1", gateset="qis")
        (body,) = bodies(plan_batch([circ(gates=0)], [100], opts))
        assert body["input"]["circuit"] == [{"gate": "x", "target": 0}] * 2

    def test_duplicates_sent_once_when_exact(self) -> None:
        plan = plan_batch([circ(), circ(target=0, qubits=2), circ()], [None, 10, 20],
                          JobOptions())
        assert plan.circuits_sent == 2 and plan.slots == (0, 1, 0)
        assert plan.histograms([{"1": 1.0}, {"2": 1.0}]) == [{"1": 1.0}, {"2": 1.0},
                                                             {"1": 1.0}]

    def test_measured_backends_keep_duplicates_and_group_by_shots(self) -> None:
        opts = JobOptions(backend="qpu.forte-1", gateset="qis")
        plan = plan_batch([circ(), circ(), circ()], [1000, 100, 1000], opts)
        assert [(json.loads(j.body)["shots"], j.n_circuits, j.debiasing) for j in plan.jobs] \
            == [(1000, 2, True), (100, 1, False)]
        assert plan.slots == (0, 2, 1)  # results concatenate in job order

    def test_large_batches_split_in_order(self) -> None:
        distinct = [circ(gates=40_000, qubits=8, target=i) for i in range(8)]
        plan = plan_batch(distinct, [None] * 8, JobOptions())
        assert [j.n_circuits for j in plan.jobs] == [3, 3, 2]
        assert plan.slots == tuple(range(8))
