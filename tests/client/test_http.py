"""IonQClient.request against mocked HTTP (aioresponses): headers, retries, error mapping."""

from __future__ import annotations

import asyncio
import json
import pickle
import random
import ssl
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import pennylane_ionq_batch
from pennylane_ionq_batch.client.http import (
    IonQClient,
    RequestStats,
    _ssl_setting,
    environment_proxy,
)
from pennylane_ionq_batch.config import ClientConfig
from pennylane_ionq_batch.emulator import EmulatorServer
from pennylane_ionq_batch.exceptions import (
    AmbiguousSubmitError,
    APIError,
    ConfigurationError,
    JobCanceledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    MaybeSentError,
    ResponseError,
    RetriableAPIError,
    TransportError,
)

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


class TestNetworks:
    """Proxies, CA bundles and the User-Agent, as every peer's users expect."""

    def test_user_agent_carries_the_version(self) -> None:
        async def user_agent() -> str:
            async with make_client() as client:
                return client._get_session().headers["User-Agent"]

        assert asyncio.run(user_agent()).startswith(
            f"pennylane-ionq-batch/{pennylane_ionq_batch.__version__} python/")

    def test_environment_proxy_and_no_proxy(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.corp:3128")
        monkeypatch.setenv("NO_PROXY", "internal.corp")
        assert environment_proxy(API) == "http://user:pw@proxy.corp:3128"
        assert environment_proxy("https://internal.corp/v0.4") is None
        client = IonQClient(ClientConfig(api_url=API, api_key=KEY))
        assert client._proxy == "http://proxy.corp:3128"  # the credentials go in a header
        assert client._proxy_headers == {"Proxy-Authorization": "Basic dXNlcjpwdw=="}
        assert IonQClient(ClientConfig(api_url=API, api_key=KEY, trust_env=False))._proxy is None

    def test_proxy_credentials_from_netrc(self, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
        netrc = tmp_path / "netrc"
        netrc.write_text("machine proxy.corp login alice password s3:cret\n")
        netrc.chmod(0o600)
        monkeypatch.setenv("NETRC", str(netrc))
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
        assert environment_proxy(API) == "http://alice:s3%3Acret@proxy.corp:3128"

    def test_loopback_is_never_sent_to_the_environments_proxy(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp:3128")
        client = IonQClient(ClientConfig(api_url="http://127.0.0.1:8765/v0.4", api_key=KEY))
        assert client._proxy is None

    async def test_requests_go_through_an_explicit_proxy(self) -> None:
        """A real forwarding proxy on loopback sees every request; the answers come back."""
        seen: list[str] = []

        async def forward(request: web.Request) -> web.Response:
            seen.append(f"{request.method} {request.url}")
            async with aiohttp.ClientSession() as s, s.request(
                    request.method, str(request.url), headers={
                        k: v for k, v in request.headers.items() if k.lower() != "host"},
                    data=await request.read()) as upstream:
                return web.Response(status=upstream.status, body=await upstream.read(),
                                    content_type=upstream.content_type)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        async with EmulatorServer() as emulator, TestServer(app) as proxy:
            cfg = ClientConfig(api_url=emulator.url, api_key=KEY,
                               proxy=str(proxy.make_url("/")).rstrip("/"))
            async with IonQClient(cfg) as client:
                backends = await client.list_backends()
        assert "simulator" in {b.backend for b in backends}
        assert seen == [f"GET {emulator.url}/backends"]
        assert emulator.log.count("GET", "/v0.4/backends") == 1

    def test_ca_bundle_and_verification(self) -> None:
        certifi = pytest.importorskip("certifi")
        context = _ssl_setting(ClientConfig(api_key=KEY, ca_bundle=certifi.where()))
        assert isinstance(context, ssl.SSLContext)
        assert context.cert_store_stats()["x509_ca"] > 50
        assert _ssl_setting(ClientConfig(api_key=KEY)) is True
        assert _ssl_setting(ClientConfig(api_key=KEY, verify_ssl=False)) is False


@pytest.mark.parametrize("error", [
    APIError(404, "gone", error_type="Not Found Error", method="GET", path="/jobs/x",
             job_id="x", retry_after=1.5),
    RetriableAPIError(503, "busy", job_id="y"),
    ResponseError(200, "malformed", job_id="z"),
    TransportError("refused"),
    MaybeSentError("no answer"),
    AmbiguousSubmitError("maybe", job_name="ionq-batch-1"),
    JobError("bad", job_id="j"),
    JobFailedError("j", "SimulationError", "boom"),
    JobCanceledError("canceled", job_id="j"),
    JobTimeoutError("late", job_ids=["a", "b"]),
    ConfigurationError("ionq.batch: wrong"),
])
def test_every_error_pickles(error: Exception) -> None:
    """Errors cross process pools and notebook kernels whole."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert vars(copy) == vars(error)
