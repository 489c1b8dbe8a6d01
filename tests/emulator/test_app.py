"""The emulator as a server: routes, auth, validation, lifecycle, faults (real client, loopback)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from pennylane_ionq_batch.client import IonQClient
from pennylane_ionq_batch.config import ClientConfig
from pennylane_ionq_batch.emulator import EmulatorServer, FaultModel, LatencyModel, parse_faults
from pennylane_ionq_batch.emulator.server import fetch_log
from pennylane_ionq_batch.exceptions import APIError

BELL = [{"gate": "h", "target": 0}, {"gate": "cnot", "control": 0, "target": 1}]


def payload(**kw: Any) -> bytes:
    body: dict[str, Any] = {"type": "ionq.multi-circuit.v1", "backend": "simulator",
                            "input": {"gateset": "qis", "circuits": [
                                {"qubits": 2, "circuit": BELL},
                                {"qubits": 2, "circuit": [{"gate": "x", "target": 1}]}]}}
    body.update(kw)
    return json.dumps(body).encode()


def client_for(server: EmulatorServer, key: str = "k") -> IonQClient:
    return IonQClient(ClientConfig(api_url=server.url, api_key=key, max_retries=0))


async def wait_done(client: IonQClient, job_id: str) -> dict[str, Any]:
    end = time.monotonic() + 120  # far beyond the expected milliseconds: only a hang fails
    while time.monotonic() < end:
        rec = await client.request("GET", f"/jobs/{job_id}")
        if rec["status"] in ("completed", "failed", "canceled"):
            return rec
        await asyncio.sleep(0.01)
    raise AssertionError("job never finished")


AGGREGATE = "ionq.result.probabilities-aggregate.json.v1"


class TestJobs:
    async def test_multi_circuit_job_lifecycle_and_results(self) -> None:
        """IonQ's document: results as a descriptor read through /artifacts/{opaque id};
        predictions null; started_at filled once the job has run (IonQ's live tests, October
        2026); no /aggregated route."""
        async with EmulatorServer(contract="current") as emulator, client_for(emulator) as c:
            created = await c.request("POST", "/jobs", body=payload(name="t1"))
            assert created == {"id": created["id"], "status": "submitted", "session_id": None}
            rec = await wait_done(c, created["id"])
            assert rec["status"] == "completed" and rec["name"] == "t1"
            assert len(rec["child_job_ids"]) == 2
            for key in ("submitter_id", "parent_job_id", "stats", "results", "failure",
                        "settings", "execution_duration_ms", "output", "dry_run"):
                assert key in rec
            assert rec["predicted_wait_time_ms"] is None and rec["started_at"] is not None
            assert rec["started_at"] >= rec["submitted_at"]
            assert rec["predicted_execution_duration_ms"] is None
            assert set(rec["results"]) == {AGGREGATE}
            descriptor = rec["results"][AGGREGATE]
            assert descriptor["format"] == AGGREGATE and descriptor["id"] not in (
                "probabilities-aggregate", created["id"])  # opaque: not guessable
            agg = await c.request("GET", f"/jobs/{created['id']}/artifacts/{descriptor['id']}")
            assert list(agg) == rec["child_job_ids"]
            first, second = (agg[i] for i in rec["child_job_ids"])
            assert first == pytest.approx({"0": 0.5, "3": 0.5})
            assert second == {"2": 1.0}  # X on qubit 1 → bit 2^1
            child = await c.request("GET", f"/jobs/{rec['child_job_ids'][1]}")
            assert child["parent_job_id"] == created["id"]
            assert await c.request(
                "GET", f"/jobs/{child['id']}/results/probabilities?sharpen=true") == {"2": 1.0}
            for path, status in (("/results/probabilities/aggregated", 404),
                                 ("/results/probabilities", 400),
                                 ("/artifacts/probabilities-aggregate", 404)):
                with pytest.raises(APIError) as info:
                    await c.request("GET", f"/jobs/{created['id']}{path}")
                assert info.value.status == status

    async def test_legacy_contract_also_gives_the_url(self) -> None:
        async with EmulatorServer(contract="legacy") as server, client_for(server) as c:
            created = await c.request("POST", "/jobs", body=payload())
            rec = await wait_done(c, created["id"])
            assert set(rec["results"]) == {AGGREGATE, "probabilities"}
            url = rec["results"]["probabilities"]["url"]
            assert url == f"/v0.4/jobs/{created['id']}/results/probabilities/aggregated"
            agg = await c.request("GET", url)
            assert list(agg) == rec["child_job_ids"]
            assert rec["predicted_wait_time_ms"] == 0 and rec["started_at"] is not None

    async def test_results_are_404_until_completed(self) -> None:
        latency = LatencyModel(queue_per_job=30)
        async with EmulatorServer(latency=latency) as server, client_for(server) as c:
            job = await c.request("POST", "/jobs", body=payload())
            rec = await c.request("GET", f"/jobs/{job['id']}")
            assert rec["status"] == "ready" and rec["results"] is None
            with pytest.raises(APIError) as info:
                await c.request("GET", f"/jobs/{rec['child_job_ids'][0]}/results/probabilities")
            assert info.value.status == 404 and "ready" in info.value.api_message
            await c.request("PUT", f"/jobs/{job['id']}/status/cancel")
            assert (await c.request("GET", f"/jobs/{job['id']}"))["status"] == "canceled"

    async def test_listing_follows_the_document(self, emulator: EmulatorServer) -> None:
        """Newest first, pages of at most 25, opaque cursors, child jobs listed."""
        async with client_for(emulator) as c:
            ids = [(await c.request("POST", "/jobs", body=payload(name=f"n{i}")))["id"]
                   for i in range(3)]
            everything = await c.request("GET", "/jobs")
            assert len(everything["jobs"]) == 9 and everything["next"] is None  # 3 + 6 children
            parents = [j["id"] for j in everything["jobs"] if j["parent_job_id"] is None]
            assert parents == ids[::-1]
            page = await c.request("GET", "/jobs", params={"limit": "4"})
            assert len(page["jobs"]) == 4 and page["next"] not in (None, "4")
            rest = await c.request("GET", "/jobs", params={"limit": "25", "next": page["next"]})
            assert len(rest["jobs"]) == 5 and rest["next"] is None
            children = await c.request("GET", "/jobs", params={"parent_job_id": ids[0]})
            assert {j["parent_job_id"] for j in children["jobs"]} == {ids[0]}
            for params, key in (({"limit": "26"}, "limit"), ({"limit": "100"}, "limit"),
                                ({"next": "made-up"}, "next")):
                with pytest.raises(APIError) as info:
                    await c.request("GET", "/jobs", params=params)
                assert info.value.status == 400 and key in info.value.api_message
            assert (await c.request("DELETE", f"/jobs/{ids[0]}"))["status"] == "deleted"
            with pytest.raises(APIError) as info:
                await c.request("GET", f"/jobs/{ids[0]}")
            assert info.value.status == 404

    async def test_a_lagging_listing_shows_new_jobs_late(self) -> None:
        async with EmulatorServer(latency=LatencyModel(listing_lag=0.3)) as server, \
                client_for(server) as c:
            job = await c.request("POST", "/jobs", body=payload())
            assert (await c.request("GET", "/jobs"))["jobs"] == []
            assert (await c.request("GET", f"/jobs/{job['id']}"))["id"] == job["id"]
            await asyncio.sleep(0.35)
            assert job["id"] in {j["id"] for j in (await c.request("GET", "/jobs"))["jobs"]}

    async def test_noisy_backend_samples_shots(self, emulator: EmulatorServer) -> None:
        async with client_for(emulator) as c:
            job = await c.request("POST", "/jobs", body=payload(backend="qpu.aria-1",
                                                                shots=1000))
            rec = await wait_done(c, job["id"])
            agg = await c.request("GET", f"/jobs/{job['id']}/artifacts/"
                                  f"{rec['results'][AGGREGATE]['id']}")
            bell = agg[rec["child_job_ids"][0]]
            assert all(abs(p * 1000 - round(p * 1000)) < 1e-9 for p in bell.values())
            assert bell.get("0", 0) + bell.get("3", 0) > 0.9

    async def test_a_dry_run_completes_without_results(self, emulator: EmulatorServer) -> None:
        async with client_for(emulator) as c:
            job = await c.request("POST", "/jobs", body=payload(dry_run=True))
            rec = await wait_done(c, job["id"])
            assert rec["status"] == "completed" and rec["dry_run"] is True
            assert rec["results"] is None

    async def test_unpublished_noise_rates_fail_the_job(self, emulator: EmulatorServer) -> None:
        """IonQ accepts harmony; its rates are not published, so nothing is made up."""
        async with client_for(emulator) as c:
            job = await c.request("POST", "/jobs", body=payload(
                noise={"model": "harmony"}, shots=100))
            rec = await wait_done(c, job["id"])
            assert rec["status"] == "failed" and rec["failure"]["code"] == "SimulationError"
            assert "not published the rates of noise model 'harmony'" in \
                rec["failure"]["message"]


class TestValidation:
    @pytest.mark.parametrize("change, message", [
        ({"type": "ionq.batch"}, "'type' must be"),
        ({"backend": "qpu.nope"}, "unknown backend"),
        ({"shots": 0}, "'shots' must be"),
        ({"input": {"gateset": "qis", "circuit": BELL, "circuits": []}}, "cannot both be sent"),
        ({"input": {"gateset": "qis", "circuits": [{"circuit": [{"gate": "foo",
                                                                  "target": 0}]}]}},
         "unsupported gate 'foo'"),
        ({"input": {"gateset": "native", "circuits": [{"circuit": [
            {"gate": "ms", "targets": [0, 1], "phases": [0, 0], "angle": 0.785}]}]}},
         "outside \\[0.0, 0.25\\]"),
        ({"input": {"gateset": "native", "circuits": [{"circuit": [
            {"gate": "zz", "targets": [0, 1], "phase": 0.25}]}]}}, "unknown field"),
        ({"input": {"gateset": "qis", "circuits": [{"circuit": [{"gate": "x", "target": 29}]}]}},
         "NotEnoughQubits"),
        ({"input": {"gateset": "qis", "circuits": [{"circuit": BELL}] * 5001}}, "too many"),
        ({"input": {"gateset": "qis", "circuits": [{"circuit": []}]}}, "at least one gate"),
        ({"lang": "json"}, "unknown job field"),
        ({"settings": {"error_mitigation": {"debias": True}}}, "settings.error_mitigation"),
        ({"settings": {"compilation": {"opt": "1"}}}, "settings.compilation"),
        ({"settings": {"speed": {}}}, "'settings' may hold"),
        ({"shots": 100, "settings": {"error_mitigation": {"debiasing": True}}}, "500 shots"),
        ({"dry_run": "yes"}, "'dry_run' must be"),
        ({"session_id": "s-1"}, "session 's-1' not found"),
        ({"input": {"gateset": "qis", "circuits": [{"circuit": [
            {"gate": "x", "target": 0}] * 50_001}] * 3}}, "TooManyGates"),
        ({"noise": {"model": "aria-1"}, "backend": "qpu.aria-1"}, "only accepted by the sim"),
        ({"backend": "qpu.aria-1", "shots": 10, "input": {"gateset": "native", "circuits": [
            {"circuit": [{"gate": "zz", "targets": [0, 1], "angle": 0.25}]}]}},
         "UnsupportedGate: .* not 'zz'"),
        ({"backend": "qpu.forte-1", "shots": 10, "input": {"gateset": "native", "circuits": [
            {"circuit": [{"gate": "ms", "targets": [0, 1], "phases": [0, 0]}]}]}},
         "UnsupportedGate: .* not 'ms'"),
    ])
    async def test_bad_payloads_get_400(self, emulator: EmulatorServer, change: dict,
                                        message: str) -> None:
        async with client_for(emulator) as c:
            with pytest.raises(APIError, match=message) as info:
                await c.request("POST", "/jobs", body=payload(**change))
        assert info.value.status == 400 and info.value.error_type == "Bad Request"
        assert emulator.log.jobs_created == 0

    async def test_oversized_body_is_413(self, emulator: EmulatorServer) -> None:
        async with client_for(emulator) as c:
            with pytest.raises(APIError) as info:
                await c.request("POST", "/jobs", body=b" " * 10_000_001)
        assert info.value.status == 413

    async def test_malformed_json_is_400(self, emulator: EmulatorServer) -> None:
        async with client_for(emulator) as c:
            with pytest.raises(APIError, match="not valid JSON") as info:
                await c.request("POST", "/jobs", body=b"{nope")
        assert info.value.status == 400 and emulator.log.jobs_created == 0


class TestBounds:
    """A development server on users' machines: no small payload may cost minutes or GBs."""

    @pytest.mark.parametrize("body, message", [
        (b"[" * 100_000 + b"]" * 100_000, "nests JSON deeper than the emulator reads"),
        (json.dumps({"type": "ionq.circuit.v1", "backend": "simulator", "input": {
            "gateset": "qis", "qubits": 14, "circuit": [{
                "gate": "pauliexp", "targets": list(range(14)), "terms": ["X" * 14],
                "coefficients": [1.0], "time": 0.1}]}}).encode(),
         "pauliexp on 14 targets; the emulator takes at most 10"),
        (json.dumps({"type": "ionq.circuit.v1", "backend": "simulator", "input": {
            "gateset": "qis", "qubits": 26, "circuit": [{"gate": "h", "target": 0}] * 200}}
         ).encode(), "simulating this job takes 1.34e\\+10 amplitude updates"),
        (json.dumps({"type": "ionq.circuit.v1", "backend": "simulator", "input": {
            "gateset": "qis", "circuit": [{"gate": "h", "target": 0}]}}).encode(),
         "'input.qubits' is required"),
    ])
    async def test_refused_with_a_400_naming_the_limit(self, emulator: EmulatorServer,
                                                       body: bytes, message: str) -> None:
        async with client_for(emulator) as c:
            with pytest.raises(APIError, match=message) as info:
                await c.request("POST", "/jobs", body=body)
        assert info.value.status == 400 and emulator.log.jobs_created == 0

    async def test_the_emulators_own_routes_need_the_key_when_it_has_one(self) -> None:
        async with EmulatorServer(api_key="secret") as server, aiohttp.ClientSession() as s:
            origin = server.url.removesuffix("/v0.4")
            for method, path in (("GET", "/_emulator/log"), ("POST", "/_emulator/log/reset")):
                async with s.request(method, origin + path) as r:
                    assert r.status == 401
                async with s.request(method, origin + path,
                                     headers={"Authorization": "apiKey secret"}) as r:
                    assert r.status == 200
            log = await asyncio.to_thread(fetch_log, server.url, "secret")  # another client
            assert log["jobs_created"] == 0


class TestOctoberDocument:
    @pytest.mark.parametrize("contract, estimate", [("current", None), ("legacy", 0.0)])
    async def test_simulator_costs_carry_no_estimate(self, contract: str,
                                                     estimate: float | None) -> None:
        # pinned: CI reruns the suite with every default emulator on the legacy contract
        async with EmulatorServer(contract=contract) as server, client_for(server) as c:
            job = await c.request("POST", "/jobs", body=payload())
            await wait_done(c, job["id"])
            cost = await c.request("GET", f"/jobs/{job['id']}/cost")
        expected = {"dry_run": False, "cost": {"value": 0.0, "unit": "usd"}}
        if estimate is not None:  # the older shape priced every job, the simulator at 0
            expected["estimated_cost"] = {"value": estimate, "unit": "usd"}
        assert cost == expected

    async def test_the_strict_contract_refuses_settings_compilation(self) -> None:
        body = payload(settings={"compilation": {"opt": 1}})
        async with EmulatorServer(contract="october") as server, client_for(server) as c:
            with pytest.raises(APIError, match="not a job creation field in IonQ's October"):
                await c.request("POST", "/jobs", body=body)
        async with EmulatorServer(contract="current") as server, client_for(server) as c:
            assert (await c.request("POST", "/jobs", body=body))["status"] == "submitted"

    async def test_debiased_jobs_name_their_aggregations(self) -> None:
        body = payload(backend="qpu.aria-1", shots=500, input={
            "gateset": "native", "qubits": 1, "circuit": [
                {"gate": "gpi2", "target": 0, "phase": 0}]}, type="ionq.circuit.v1",
            settings={"error_mitigation": {"debiasing": True}})
        async with EmulatorServer(qpu_noise=False) as server, client_for(server) as c:
            job = await c.request("POST", "/jobs", body=body)
            rec = await wait_done(c, job["id"])
            aggregations = rec["output"]["error_mitigation"]["aggregations"]
            assert set(aggregations) == {"average", "voting", "dnl", "majority"}
            voting = await c.request("GET", f"/jobs/{job['id']}/artifacts/"
                                     f"{aggregations['voting']['id']}")
        assert set(voting) == {"0", "1"} and sum(voting.values()) == pytest.approx(1.0)


class TestAuthAndBackends:
    async def test_key_required_except_on_backends(self) -> None:
        async with EmulatorServer(api_key="secret") as server:
            async with aiohttp.ClientSession() as s:
                async with s.get(f"{server.url}/jobs") as r:
                    assert r.status == 401
                    assert (await r.json())["error"] == "Unauthorized Error"
                async with s.get(f"{server.url}/backends") as r:
                    backends = {b["backend"]: b for b in await r.json()}
            assert backends["qpu.forte-1"]["supported_native_gates"] == ["gpi", "gpi2", "zz"]
            assert backends["qpu.aria-1"]["qubits"] == 25
            async with client_for(server, key="wrong") as c:
                with pytest.raises(APIError) as info:
                    await c.request("GET", "/jobs")
            assert info.value.status == 401
            async with client_for(server, key="secret") as c:
                assert (await c.request("GET", "/jobs"))["jobs"] == []

    async def test_binds_loopback_by_default(self, emulator: EmulatorServer) -> None:
        assert emulator.url.startswith("http://127.0.0.1:")


class TestFaultsAndLatency:
    def test_parse_faults(self) -> None:
        model = parse_faults("429=0.1, drop-after-create=0.05")
        assert model.rates == {"429": 0.1, "drop-after-create": 0.05}
        with pytest.raises(ValueError, match="unknown fault"):
            parse_faults("teapot=1")
        with pytest.raises(ValueError, match="within"):
            parse_faults("500=2")

    async def test_429_carries_retry_after_and_creates_no_job(self) -> None:
        async with EmulatorServer(faults=FaultModel(rates={"429": 1.0})) as server:
            async with client_for(server) as c:
                with pytest.raises(APIError) as info:
                    await c.request("POST", "/jobs", body=payload())
            assert info.value.status == 429 and info.value.retry_after == 0.05
            assert server.log.jobs_created == 0 and server.log.faults["429"] == 1

    async def test_drop_after_create_creates_the_job(self) -> None:
        async with EmulatorServer(faults=FaultModel(rates={"drop-after-create": 1.0})) as srv:
            async with aiohttp.ClientSession() as s:
                with pytest.raises(aiohttp.ClientError):
                    await s.post(f"{srv.url}/jobs", data=payload(),
                                 headers={"Authorization": "apiKey k"})
            assert srv.log.jobs_created == 1

    async def test_failed_job_fault(self) -> None:
        async with EmulatorServer(faults=FaultModel(rates={"fail": 1.0})) as server, \
                client_for(server) as c:
            job = await c.request("POST", "/jobs", body=payload())
            rec = await wait_done(c, job["id"])
            assert rec["status"] == "failed" and rec["failure"]["code"] == "SimulationError"

    async def test_execution_time_is_charged_per_gate(self) -> None:
        model = LatencyModel(per_circuit=0.01, per_1q_gate=0.001, per_2q_gate=0.005)
        async with EmulatorServer(latency=model) as server, client_for(server) as c:
            job = await c.request("POST", "/jobs", body=payload())  # 2 circuits, h + x + cnot
            rec = await wait_done(c, job["id"])
        assert rec["stats"]["gate_counts"] == {"1q": 2, "2q": 1}
        assert rec["execution_duration_ms"] == 27  # 2×10 + 2×1 + 1×5 ms

    async def test_latency_model_charges_queue_and_execution(self) -> None:
        model = LatencyModel(queue_per_job=1.3, per_circuit=0.25, time_scale=0.1)
        assert model.job_seconds(circuits=4) == pytest.approx((0.13, 0.1))
        async with EmulatorServer(latency=model, contract="legacy") as server, \
                client_for(server) as c:
            job = await c.request("POST", "/jobs", body=payload())
            rec = await c.request("GET", f"/jobs/{job['id']}")
            assert rec["predicted_execution_duration_ms"] == 50  # 2 circuits × 0.025 s
            assert 0 <= rec["predicted_wait_time_ms"] <= 130  # what is left of the queue
            [stored] = [j for j in server.store.all() if j.id == job["id"]]
            later = server.store.record(stored, stored.created + 0.03, "/v0.4", "legacy")
            assert later["predicted_wait_time_ms"] == 100  # 130 ms queue, 30 ms after
            assert (await wait_done(c, job["id"]))["status"] == "completed"

    async def test_a_fault_limited_to_once(self) -> None:
        """drop-after-create=1@1: the first POST's answer is lost, the second is not."""
        faults = parse_faults("drop-after-create=1@1")
        assert faults.limits == {"drop-after-create": 1}
        async with EmulatorServer(faults=faults) as srv, aiohttp.ClientSession() as s:
            headers = {"Authorization": "apiKey k"}
            with pytest.raises(aiohttp.ClientError):
                await s.post(f"{srv.url}/jobs", data=payload(), headers=headers)
            async with s.post(f"{srv.url}/jobs", data=payload(), headers=headers) as r:
                assert r.status == 201
            assert srv.log.jobs_created == 2 and srv.log.faults["drop-after-create"] == 1
