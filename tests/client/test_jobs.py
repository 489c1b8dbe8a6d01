"""The submit/poll/fetch cycle of one job against mocked HTTP, as IonQ's document describes it."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from pennylane_ionq_batch.client import IonQClient, RunPolicy, build_job, run_jobs
from pennylane_ionq_batch.client.http import RequestStats
from pennylane_ionq_batch.client.jobs import job_timing, submit
from pennylane_ionq_batch.client.records import JobRecord
from pennylane_ionq_batch.config import ClientConfig, JobOptions
from pennylane_ionq_batch.exceptions import (
    AmbiguousSubmitError,
    JobCanceledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    ResponseError,
)
from pennylane_ionq_batch.payload import SerializedCircuit
from pennylane_ionq_batch.stats import Timing

from ..conftest import API, job_record
from .mock_http import aioresponses

AGGREGATE = "ionq.result.probabilities-aggregate.json.v1"


def circ(gates: int = 1, qubits: int = 1, pad: int = 0) -> SerializedCircuit:
    obj: dict = {"qubits": qubits, "circuit": [{"gate": "x", "target": 0}] * gates}
    if pad:
        obj["pad"] = "x" * pad
    body = json.dumps(obj).encode()
    return SerializedCircuit(body, qubits, gates)


def client(**kw: object) -> IonQClient:
    return IonQClient(ClientConfig(api_url=API, api_key="k", poll_min=0.001,
                                   backoff_base=0.001, backoff_cap=0.002, max_retries=2,
                                   lookup_delay=0.001, **kw), rng=random.Random(0))


def requested(m: aioresponses, method: str, url: str) -> list:
    return m.requests.get((method, aiohttp.client.URL(url)), [])


class TestResultsFromTheRecord:
    """Results come from what the completed job's record names, never from a guessed route."""

    async def test_aggregate_artifact_mapped_by_child_job_ids(self) -> None:
        """Descriptors only (IonQ's document): the aggregate artifact, whose keys come back
        shuffled; its opaque id is quoted into the path."""
        job = build_job(JobOptions(), [circ(), circ(), circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p", "status": "submitted"})
            m.get(f"{API}/jobs/p", payload=job_record("p", "ready"))
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a", "b", "c"],
                                                      artifact="agg:7 x"))
            m.get(f"{API}/jobs/p/artifacts/agg%3A7%20x",
                  payload={"c": {"3": 1.0}, "a": {"1": 1.0}, "b": {"2": 1.0}})
            async with client() as c:
                out = await run_jobs(c, [job])
        assert out.histograms == [{"1": 1.0}, {"2": 1.0}, {"3": 1.0}]
        assert out.job_ids == ["p"] and out.stats.requests == 4

    async def test_legacy_url_is_used_when_the_record_gives_one(self) -> None:
        job = build_job(JobOptions(), [circ(), circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p", "status": "submitted"})
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a", "b"], legacy=True))
            m.get(f"{API}/jobs/p/results/probabilities/aggregated",
                  payload={"b": {"2": 1.0}, "a": {"1": 1.0}})
            async with client() as c:
                out = await run_jobs(c, [job])
            assert not requested(m, "GET", f"{API}/jobs/p/artifacts/art-1")
        assert out.histograms == [{"1": 1.0}, {"2": 1.0}]

    async def test_a_legacy_url_without_an_aggregate_falls_back_to_the_descriptor(self) -> None:
        """A parent's legacy link that does not give {child id: probabilities} is not
        trusted: the aggregate descriptor is read instead."""
        job = build_job(JobOptions(), [circ(), circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p", "status": "submitted"})
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a", "b"], legacy=True))
            m.get(f"{API}/jobs/p/results/probabilities/aggregated", payload={"0": 1.0})
            m.get(f"{API}/jobs/p/artifacts/art-1", payload={"b": {"2": 1.0}, "a": {"1": 1.0}})
            async with client() as c:
                out = await run_jobs(c, [job])
        assert out.histograms == [{"1": 1.0}, {"2": 1.0}]

    async def test_without_an_aggregate_each_childs_probabilities(self) -> None:
        """A record naming no aggregate: each circuit's documented /results/probabilities."""
        job = build_job(JobOptions(), [circ(), circ()], shots=None)
        record = job_record("p", children=["a", "b"])
        record["results"] = {}
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p", "status": "submitted"})
            m.get(f"{API}/jobs/p", payload=record)
            m.get(f"{API}/jobs/a/results/probabilities", payload={"1": 1.0})
            m.get(f"{API}/jobs/b/results/probabilities", payload={"0": 0.5, "3": 0.5})
            async with client() as c:
                out = await run_jobs(c, [job])
        assert out.histograms == [{"1": 1.0}, {"0": 0.5, "3": 0.5}]

    async def test_single_circuit_artifact(self) -> None:
        job = build_job(JobOptions(), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "s", "status": "submitted"})
            m.get(f"{API}/jobs/s", payload=job_record("s", artifact="0198-opaque"))
            m.get(f"{API}/jobs/s/artifacts/0198-opaque", payload={"1": 0.25, "0": 0.75})
            async with client() as c:
                assert (await run_jobs(c, [job])).histograms == [{"1": 0.25, "0": 0.75}]

    async def test_only_a_v2_descriptor_reads_the_documented_probabilities(self) -> None:
        """v2 formats key registers by bitstrings of undocumented order: not guessed at."""
        job = build_job(JobOptions(), [circ()], shots=None)
        record = job_record("s")
        record["results"] = {"ionq.result.probabilities.json.v2": {
            "id": "x", "format": "ionq.result.probabilities.json.v2",
            "media_type": "application/json"}}
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "s", "status": "submitted"})
            m.get(f"{API}/jobs/s", payload=record)
            m.get(f"{API}/jobs/s/results/probabilities", payload={"2": 1.0})
            async with client() as c:
                assert (await run_jobs(c, [job])).histograms == [{"2": 1.0}]

    async def test_sharpened_results_are_read_per_circuit(self) -> None:
        """sharpen=true is a parameter of /results/probabilities, not of the aggregate."""
        options = JobOptions(backend="qpu.forte-1", gateset="qis", sharpen=True)
        job = build_job(options, [circ(), circ()], shots=1000)
        assert job.debiasing and job.sharpen
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p", "status": "submitted"})
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a", "b"], legacy=True))
            m.get(f"{API}/jobs/a/results/probabilities?sharpen=true", payload={"1": 1.0})
            m.get(f"{API}/jobs/b/results/probabilities?sharpen=true", payload={"0": 1.0})
            async with client() as c:
                out = await run_jobs(c, [job])
        assert out.histograms == [{"1": 1.0}, {"0": 1.0}]

    async def test_a_dry_run_has_no_results(self) -> None:
        job = build_job(JobOptions(job_fields={"dry_run": True}), [circ()], shots=None)
        assert json.loads(job.body)["dry_run"] is True
        record = job_record("d", dry_run=True)
        record["results"] = None
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "d", "status": "submitted"})
            m.get(f"{API}/jobs/d", payload=record)
            async with client() as c:
                with pytest.raises(JobError, match="d completed without results: it was a "
                                   "dry run") as info:
                    await run_jobs(c, [job])
        assert info.value.job_id == "d"

    async def test_mismatched_children_is_an_error(self) -> None:
        job = build_job(JobOptions(), [circ(), circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", payload=job_record("p", children=["a"]))
            async with client() as c:
                with pytest.raises(JobError, match="1 child_job_ids for 2 circuits") as info:
                    await run_jobs(c, [job])
        assert info.value.job_id == "p"

    async def test_an_empty_distribution_is_refused(self) -> None:
        job = build_job(JobOptions(), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "s"})
            m.get(f"{API}/jobs/s", payload=job_record("s"))
            m.get(f"{API}/jobs/s/artifacts/art-1", payload={})
            async with client() as c:
                with pytest.raises(ResponseError, match="malformed probabilities") as info:
                    await run_jobs(c, [job])
        assert info.value.job_id == "s"


class TestRunJobs:
    async def test_a_truncated_job_record_names_the_job(self) -> None:
        job = build_job(JobOptions(), [circ()], shots=None)
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "p"})
            m.get(f"{API}/jobs/p", status=200, body=b'{"id": "p", "status": "compl')
            async with client() as c:
                with pytest.raises(ResponseError, match="not valid JSON") as info:
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
            m.get(f"{API}/jobs/p/artifacts/art-1", payload={"a": {"0": 1}})
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
            m.get(f"{API}/jobs/p", repeat=True, payload=job_record("p", "ready"))
            m.put(f"{API}/jobs/p/status/cancel", payload={"id": "p", "status": "canceled"})
            async with client() as c:
                with pytest.raises(JobTimeoutError, match="canceled") as info:
                    await run_jobs(c, [job], RunPolicy(timeout=0.2))
            assert len(requested(m, "PUT", f"{API}/jobs/p/status/cancel")) == 1
        assert info.value.job_id == "p" and info.value.job_ids == ("p",)

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
    return {"jobs": [job_record(r.pop("id"), "ready", **r) for r in records],
            "next": next_cursor}


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


class TestIdempotentCreate:
    """After an ambiguous POST the job is looked up by its token before anything is re-sent."""

    def job(self, backend: str = "simulator") -> object:
        return build_job(JobOptions(job_name="mine", backend=backend), [circ()], shots=None)

    def posts(self, m: object) -> int:
        return len(requested(m, "POST", f"{API}/jobs"))

    async def test_no_answer_then_found_is_adopted(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", exception=TimeoutError())
            m.get(LIST, payload=listing({"id": "other", "name": "x", "submitted_at": ago(1)},
                                        {"id": "j9", "name": job.name, "submitted_at": ago(2)}))
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "j9"
            assert self.posts(m) == 1
            ((url, calls),) = [(k[1], v) for k, v in m.requests.items() if k[0] == "GET"]
            assert url.query["limit"] == "25" and url.query["target"] == "simulator"

    async def test_found_by_metadata_token(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=502, payload={"message": "bad gateway"})
            m.get(LIST, payload=listing({"id": "j7", "name": None, "submitted_at": ago(1),
                                         "metadata": {"client_token": job.name}}))
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "j7"

    async def test_child_jobs_are_skipped_and_cursors_followed(self) -> None:
        """Pages of 25 full of another job's children; ours follows behind an opaque cursor."""
        job = self.job("qpu.aria-1")
        children = [{"id": f"c{i}", "name": job.name, "parent_job_id": "other",
                     "submitted_at": ago(1)} for i in range(25)]
        with aioresponses() as m:
            m.post(f"{API}/jobs", exception=TimeoutError())
            m.get(LIST, payload=listing(*children, next_cursor="0198-opaque-cursor"))
            m.get(LIST, payload=listing({"id": "mine", "name": job.name,
                                         "submitted_at": ago(1)}))
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "mine"
            urls = [k[1] for k in m.requests if k[0] == "GET"]
            assert [u.query.get("next") for u in urls] == [None, "0198-opaque-cursor"]
            assert all(u.query["target"] == "qpu.aria-1" for u in urls)

    async def test_a_lagging_listing_is_looked_at_twice(self) -> None:
        """Missing on the first reading, there on the second: adopted, nothing re-sent."""
        job = self.job("qpu.forte-1")
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=500, payload={"message": "boom"})
            m.get(LIST, payload=listing())
            m.get(LIST, payload=listing({"id": "late", "name": job.name,
                                         "submitted_at": ago(0)}))
            m.post(f"{API}/jobs", status=201, payload={"id": "duplicate"})
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "late"
            assert self.posts(m) == 1

    async def test_proven_absent_twice_is_sent_again(self) -> None:
        job = self.job()
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=500, payload={"message": "boom"})
            m.get(LIST, payload=listing())  # the whole list: not there
            m.get(LIST, payload=listing())  # and not there a moment later
            m.post(f"{API}/jobs", status=201, payload={"id": "new", "status": "submitted"})
            async with client() as c:
                assert await submit(c, job, RequestStats()) == "new"
            assert self.posts(m) == 2

    async def test_older_jobs_newest_first_prove_absence(self) -> None:
        job = self.job()
        old = listing({"id": "a", "name": "x", "submitted_at": ago(5)},
                      {"id": "b", "name": "y", "submitted_at": ago(3600)}, next_cursor="2")
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=503, payload={"message": "busy"})
            m.get(LIST, payload=old)
            m.get(LIST, payload=old)
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
    record = JobRecord.parse({"id": "j", "status": "completed",
                              "submitted_at": "2026-11-23T04:00:00.000Z",
                              "started_at": "2026-11-23T04:00:02.500Z",
                              "execution_duration_ms": 750})
    assert job_timing(record, 4.0) == Timing(2.5, 0.75, 4.0)


def test_job_timing_without_started_at() -> None:
    """The live service leaves started_at null: the queue is the round trip less execution."""
    record = JobRecord.parse(job_record("j", execution_duration_ms=250))
    assert job_timing(record, 1.0) == Timing(0.75, 0.25, 1.0)
