"""Job planning, bodies, and the submit/poll/fetch cycle against mocked HTTP."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from pennylane_ionq_batch.client import IonQClient, RunPolicy, build_job, plan_chunks, run_jobs
from pennylane_ionq_batch.client.http import RequestStats
from pennylane_ionq_batch.client.jobs import JobTiming, fetch_backend, job_timing, submit
from pennylane_ionq_batch.config import ClientConfig, JobOptions
from pennylane_ionq_batch.exceptions import (
    AmbiguousSubmitError,
    APIError,
    IonQBatchError,
    JobCanceledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
)
from pennylane_ionq_batch.payload import SerializedCircuit

from ..conftest import API, job_record
from .mock_http import aioresponses


def circ(gates: int = 1, qubits: int = 1, pad: int = 0) -> SerializedCircuit:
    obj: dict = {"qubits": qubits, "circuit": [{"gate": "x", "target": 0}] * gates}
    if pad:
        obj["pad"] = "x" * pad
    body = json.dumps(obj).encode()
    return SerializedCircuit(body, qubits, gates)


def client() -> IonQClient:
    return IonQClient(ClientConfig(api_url=API, api_key="k", poll_min=0.001,
                                   backoff_base=0.001, backoff_cap=0.002, max_retries=2),
                      rng=random.Random(0))


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
        with pytest.raises(IonQBatchError, match="alone exceeds"):
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


class TestRunJobs:
    async def test_results_follow_child_job_ids_not_dict_order(self) -> None:
        """The aggregate's keys come back shuffled; circuits still get their own results."""
        job = build_job(JobOptions(), [circ(), circ(), circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p", "status": "submitted"})
            m.get(f"{API}/jobs/p", payload=job_record("p", "ready",
                                                      predicted_wait_time_ms=1))
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a", "b", "c"]))
            m.get(f"{API}/jobs/p/results/probabilities/aggregated",
                  payload={"c": {"3": 1.0}, "a": {"1": 1.0}, "b": {"2": 1.0}})
            async with client() as c:
                out = await run_jobs(c, [job])
        assert out.histograms == [{"1": 1.0}, {"2": 1.0}, {"3": 1.0}]
        assert out.job_ids == ["p"] and out.stats.requests == 4

    async def test_mismatched_children_is_an_error(self) -> None:
        job = build_job(JobOptions(), [circ(), circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a"]))
            m.get(f"{API}/jobs/p/results/probabilities/aggregated", payload={"a": {"0": 1}})
            async with client() as c:
                with pytest.raises(JobError, match="do not match") as info:
                    await run_jobs(c, [job])
        assert info.value.job_id == "p"

    async def test_a_truncated_job_record_names_the_job(self) -> None:
        job = build_job(JobOptions(), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", status=200, body=b'{"id": "p", "status": "compl')
            async with client() as c:
                with pytest.raises(APIError, match="not valid JSON") as info:
                    await run_jobs(c, [job])
        assert info.value.job_id == "p"

    @pytest.mark.parametrize("child, error, match", [
        (job_record("b", "failed", failure={"code": "SimulationError", "message": "boom"}),
         JobFailedError, "b failed: SimulationError: circuit 1 of job p: boom"),
        (job_record("b"), JobError, r"circuit 1 \(job b, status 'completed'\) has no results"),
    ])
    async def test_a_circuit_without_results_is_explained_by_its_child(
            self, child: dict, error: type, match: str) -> None:
        job = build_job(JobOptions(), [circ(), circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a", "b"]))
            m.get(f"{API}/jobs/p/results/probabilities/aggregated", payload={"a": {"0": 1}})
            m.get(f"{API}/jobs/b", payload=child)
            async with client() as c:
                with pytest.raises(error, match=match) as info:
                    await run_jobs(c, [job])
        assert info.value.job_id == "b"

    @pytest.mark.parametrize("status, error, match", [
        ("failed", JobFailedError, "p failed: TooManyGates: too big"),
        ("canceled", JobCanceledError, "p was canceled"),
        ("deleted", JobError, "unexpected status 'deleted'"),
    ])
    async def test_terminal_states_raise(self, status: str, error: type, match: str) -> None:
        job = build_job(JobOptions(), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", payload=job_record(
                "p", status, failure={"code": "TooManyGates", "message": "too big"}))
            async with client() as c:
                with pytest.raises(error, match=match) as info:
                    await run_jobs(c, [job])
        assert info.value.job_id == "p"

    async def test_failure_in_legacy_error_field(self) -> None:
        """Clients in the wild read failure.error; it is understood too."""
        job = build_job(JobOptions(), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", payload=job_record("p", "failed",
                                                      failure={"error": "SimulationError"}))
            async with client() as c:
                with pytest.raises(JobFailedError, match="SimulationError"):
                    await run_jobs(c, [job])

    async def test_timeout_cancels_the_remote_job(self) -> None:
        job = build_job(JobOptions(), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", repeat=True, payload=job_record(
                "p", "ready", predicted_wait_time_ms=60_000))
            m.put(f"{API}/jobs/p/status/cancel", payload={"id": "p", "status": "canceled"})
            async with client() as c:
                with pytest.raises(JobTimeoutError, match="canceled") as info:
                    await run_jobs(c, [job], RunPolicy(timeout=0.2))
            assert len(m.requests[("PUT", aiohttp.client.URL(
                f"{API}/jobs/p/status/cancel"))]) == 1
        assert info.value.job_id == "p"

    async def test_ambiguous_post_names_the_job_token(self) -> None:
        """503, and the lookup fails too: nothing is re-sent, the error names the job."""
        job = build_job(JobOptions(job_name="mine"), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=503, payload={"message": "unavailable"})
            m.get(LIST, status=400, payload={"message": "no"})
            async with client() as c:
                with pytest.raises(AmbiguousSubmitError, match="lookup failed") as info:
                    await run_jobs(c, [job])
        assert info.value.job_name == job.name and job.name in str(info.value)
        assert "not sent again" in str(info.value)
        assert len(m.requests[("POST", aiohttp.client.URL(f"{API}/jobs"))]) == 1


LIST = re.compile(rf"^{re.escape(API)}/jobs\?.*$")


def listing(*records: dict, next_cursor: str | None = None) -> dict:
    return {"jobs": list(records), "next": next_cursor}


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


class TestIdempotentCreate:
    """After an ambiguous POST the job is looked up by its token before anything is re-sent."""

    def job(self) -> object:
        return build_job(JobOptions(job_name="mine"), [circ()], shots=None)

    def posts(self, m: object) -> int:
        return len(m.requests.get(("POST", aiohttp.client.URL(f"{API}/jobs")), []))

    async def test_no_answer_then_found_is_adopted(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", exception=TimeoutError())
            m.get(LIST, payload=listing({"id": "other", "name": "x", "submitted_at": ago(1)},
                                        {"id": "j9", "name": job.name, "submitted_at": ago(2)}))
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "j9"
            assert self.posts(m) == 1

    async def test_found_by_metadata_token(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=502, payload={"message": "bad gateway"})
            m.get(LIST, payload=listing({"id": "j7", "name": None, "submitted_at": ago(1),
                                         "metadata": {"client_token": job.name}}))
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "j7"

    async def test_proven_absent_is_sent_again(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=500, payload={"message": "boom"})
            m.get(LIST, payload=listing())  # the whole list: not there
            m.post(f"{API}/jobs", status=201, payload={"id": "new", "status": "submitted"})
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "new"
            assert self.posts(m) == 2

    async def test_older_jobs_newest_first_prove_absence(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=503, payload={"message": "busy"})
            m.get(LIST, payload=listing({"id": "a", "name": "x", "submitted_at": ago(5)},
                                        {"id": "b", "name": "y", "submitted_at": ago(3600)},
                                        next_cursor="2"))
            m.post(f"{API}/jobs", status=201, payload={"id": "new", "status": "submitted"})
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "new"

    async def test_unordered_endless_listing_is_not_proof(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=503, payload={"message": "busy"})
            m.get(LIST, repeat=True, payload=listing(
                {"id": "a", "name": "x", "submitted_at": ago(7200)},
                {"id": "b", "name": "y", "submitted_at": ago(5)}, next_cursor="more"))
            async with client() as c:
                with pytest.raises(AmbiguousSubmitError, match="could not rule out"):
                    await submit(c, job, RequestStats())
            assert self.posts(m) == 1

    async def test_gives_up_after_max_retries_proven_failures(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=500, repeat=True, payload={"message": "boom"})
            m.get(LIST, repeat=True, payload=listing())
            async with client() as c:
                with pytest.raises(AmbiguousSubmitError, match="3 attempts"):
                    await submit(c, job, RequestStats())
            assert self.posts(m) == 3  # max_retries=2 in these tests


def test_job_timing_reads_queue_and_execution() -> None:
    record = {"submitted_at": "2026-11-23T04:00:00.000Z", "started_at": "2026-11-23T04:00:02.500Z",
              "execution_duration_ms": 750}
    assert job_timing(record, 4.0) == JobTiming(2.5, 0.75, 4.0)
    assert job_timing({"started_at": "garbage"}, 1.0) == JobTiming(0.0, 0.0, 1.0)


async def test_fetch_backend_rejects_a_non_record() -> None:
    with aioresponses() as m:
        m.get(f"{API}/backends/qpu.aria-1", payload=["not", "a", "record"])
        async with client() as c:
            with pytest.raises(APIError, match="expected a backend record, got list"):
                await fetch_backend(c, "qpu.aria-1")
