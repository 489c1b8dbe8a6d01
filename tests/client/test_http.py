"""IonQClient.request against mocked HTTP (aioresponses): headers, retries, error mapping."""

from __future__ import annotations

import json
import random

import aiohttp
import pytest

from pennylane_ionq_batch.client.http import IonQClient, MaybeSentError, RequestStats
from pennylane_ionq_batch.config import ClientConfig
from pennylane_ionq_batch.exceptions import APIError, RetriableAPIError, TransportError

from ..conftest import API
from .mock_http import aioresponses

KEY = "sk-test-0123456789"


def make_client(**kw: object) -> IonQClient:
    cfg = ClientConfig(api_url=API, api_key=KEY, backoff_base=0.001, backoff_cap=0.002, **kw)
    return IonQClient(cfg, rng=random.Random(0))


class TestRequest:
    async def test_sends_apikey_header_and_json(self) -> None:
        """The key goes in 'Authorization: apiKey <key>', never Bearer."""
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=201, payload={"id": "j1", "status": "submitted"})
            async with make_client() as client:
                reply = await client.request("POST", "/jobs", body=b'{"a":1}')
            assert reply == {"id": "j1", "status": "submitted"}
            (call,) = m.requests[("POST", aiohttp.client.URL(f"{API}/jobs"))]
            assert call.kwargs["headers"]["Authorization"] == f"apiKey {KEY}"
            assert call.kwargs["headers"]["Content-Type"] == "application/json"
            assert call.kwargs["data"] == b'{"a":1}'

    async def test_legacy_absolute_paths_join_the_host(self) -> None:
        """IonQ's result URLs include /v0.4 and are joined to the host, not the base."""
        client = make_client()
        assert client.url("/v0.4/jobs/x/results/probabilities") == \
            "https://api.ionq.co/v0.4/jobs/x/results/probabilities"
        assert client.url("/jobs") == f"{API}/jobs"

    async def test_get_retries_429_then_succeeds(self) -> None:
        """429 with Retry-After is retried and counted."""
        stats = RequestStats()
        with aioresponses() as m:
            m.get(f"{API}/jobs/j1", status=429, headers={"Retry-After": "0"},
                  payload={"error": "Too Many Requests", "message": "slow down"})
            m.get(f"{API}/jobs/j1", status=503, payload={"message": "down"})
            m.get(f"{API}/jobs/j1", payload={"id": "j1"})
            async with make_client() as client:
                assert await client.request("GET", "/jobs/j1", stats=stats) == {"id": "j1"}
        assert (stats.requests, stats.retries) == (3, 2)

    async def test_get_gives_up_after_max_retries(self) -> None:
        with aioresponses() as m:
            m.get(f"{API}/jobs/j1", status=500, repeat=True, payload={"message": "boom"})
            async with make_client(max_retries=2) as client:
                with pytest.raises(RetriableAPIError, match="500.*boom.*gave up after 2"):
                    await client.request("GET", "/jobs/j1")

    async def test_error_body_is_parsed(self) -> None:
        """IonQ's {error, message, statusCode} reaches the exception."""
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=400, payload={
                "error": "Bad Request", "message": "too many circuits", "statusCode": 400})
            async with make_client() as client:
                with pytest.raises(APIError) as info:
                    await client.request("POST", "/jobs", body=b"{}")
        assert info.value.status == 400
        assert info.value.error_type == "Bad Request"
        assert info.value.api_message == "too many circuits"
        assert "POST /jobs" in str(info.value)

    async def test_malformed_success_body_is_an_api_error(self) -> None:
        with aioresponses() as m:
            m.get(f"{API}/jobs/j1", status=200, body=b'{"id": "j1", "stat')
            async with make_client() as client:
                with pytest.raises(APIError, match="not valid JSON.*GET /jobs/j1|GET /jobs/j1"
                                   ".*not valid JSON") as info:
                    await client.request("GET", "/jobs/j1")
        assert info.value.status == 200

    async def test_post_500_is_not_retried(self) -> None:
        """A 5xx after POST /jobs is raised at once: the job may exist."""
        with aioresponses() as m:
            m.post(f"{API}/jobs", status=502, payload={"message": "bad gateway"})
            async with make_client() as client:
                with pytest.raises(APIError) as info:
                    await client.request("POST", "/jobs", body=b"{}")
            assert info.value.status == 502
            assert len(m.requests[("POST", aiohttp.client.URL(f"{API}/jobs"))]) == 1

    async def test_post_timeout_is_maybe_sent_and_not_retried(self) -> None:
        with aioresponses() as m:
            m.post(f"{API}/jobs", exception=aiohttp.ServerDisconnectedError())
            m.post(f"{API}/jobs", status=201, payload={"id": "dup"})
            async with make_client() as client:
                with pytest.raises(MaybeSentError):
                    await client.request("POST", "/jobs", body=b"{}")
            assert len(m.requests[("POST", aiohttp.client.URL(f"{API}/jobs"))]) == 1

    async def test_get_dropped_connection_is_retried(self) -> None:
        with aioresponses() as m:
            m.get(f"{API}/jobs/j1", exception=aiohttp.ServerDisconnectedError())
            m.get(f"{API}/jobs/j1", payload={"id": "j1"})
            async with make_client() as client:
                assert await client.request("GET", "/jobs/j1") == {"id": "j1"}

    async def test_connection_refused_is_a_transport_error(self) -> None:
        """Nothing listening: retried, then TransportError naming the host (not the key)."""
        cfg = ClientConfig(api_url="http://127.0.0.1:9/v0.4", api_key=KEY, max_retries=1,
                           backoff_base=0.001)
        async with IonQClient(cfg) as client:
            with pytest.raises(TransportError, match="127.0.0.1:9") as info:
                await client.request("GET", "/jobs")
        assert KEY not in str(info.value)

    def test_key_never_in_repr(self) -> None:
        client = make_client()
        assert KEY not in repr(client) and KEY not in repr(client.config)


def test_error_shapes() -> None:
    """All three error-body shapes IonQ has used are understood."""
    a = APIError.from_body(401, {"error": "Unauthorized Error", "message": "bad key",
                                 "statusCode": 401})
    b = APIError.from_body(400, {"code": "InvalidInput", "message": "nope"})
    c = APIError.from_body(500, {"error": {"type": "internal", "message": "oops"}})
    d = APIError.from_body(502, "<html>gateway</html>")
    assert (a.error_type, a.api_message) == ("Unauthorized Error", "bad key")
    assert (b.error_type, b.api_message) == ("InvalidInput", "nope")
    assert (c.error_type, c.api_message) == ("internal", "oops")
    assert d.api_message == "<html>gateway</html>"
    assert json.dumps(a.status) == "401"
