"""The edges a user meets first, each against a real misbehaving server on loopback: servers
that hang, trickle or answer nonsense, proxies that hang or want a password, redirects, huge
bodies. What must hold: ``timeout=`` is met, nothing is repaired, every error is ours and
names what went wrong.

Elapsed times are bounded only generously (60 s for a 1 s deadline): the point is "not
minutes", and the suite must pass on a slow, busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pennylane as qml
import pytest

from pennylane_ionq_batch import (
    ConfigurationError,
    CredentialsError,
    DeadlineError,
    JobTimeoutError,
    MaybeSentError,
    ResponseError,
    RetriableAPIError,
    TransportError,
)
from pennylane_ionq_batch.client import IonQClient
from pennylane_ionq_batch.config import ClientConfig
from pennylane_ionq_batch.runtime import background_loop

from ..misbehaving import CATALOG, RawServer, ScriptedAPI, answer, huge, silent, trickle

KEY = "sk-edge-KEY-7f3a"
TAPE = qml.tape.QuantumScript([qml.RX(0.3, 0), qml.RY(0.2, 1)], [qml.probs(wires=[0, 1])])
FAST = {"backoff_base": 0.01, "backoff_cap": 0.05, "poll_min": 0.01, "lookup_delay": 0.01}


def device(url: str, **kw: object) -> object:
    options = {**FAST, **kw.pop("client_options", {})}  # type: ignore[dict-item]
    return qml.device("ionq.batch", wires=2, api_url=url, api_key=KEY, progress=False,
                      client_options=options, **kw)


def execute(dev: object) -> tuple[BaseException, float]:
    start = time.monotonic()
    with pytest.raises(Exception) as info:  # noqa: PT011 - each test checks the type
        qml.execute([TAPE], dev)
    return info.value, time.monotonic() - start


@pytest.fixture
def raw(request: pytest.FixtureRequest) -> Iterator[RawServer]:
    server = RawServer(request.param)
    yield server
    server.stop()


class TestDeadline:
    @pytest.mark.parametrize("raw", [silent], indirect=True)
    def test_a_server_that_never_answers(self, raw: RawServer) -> None:
        error, elapsed = execute(device(raw.url(), timeout=1.0))
        assert isinstance(error, DeadlineError) and isinstance(error, TimeoutError)
        assert "did not answer GET /backends within timeout=1 s" in str(error)
        assert elapsed < 60

    def test_a_post_that_is_never_answered_names_the_job(self) -> None:
        """The catalogue answers; POST /jobs hangs. The error says the job may exist, and
        how to find it."""
        async def handler(reader, writer) -> None:  # type: ignore[no-untyped-def]
            head = await reader.readuntil(b"\r\n\r\n")
            if head.startswith(b"GET /v0.4/backends"):
                body = str(CATALOG).replace("'", '"').encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
            await __import__("asyncio").sleep(3600)

        server = RawServer(handler)
        try:
            error, elapsed = execute(device(server.url(), timeout=1.0, job_name="mine"))
        finally:
            server.stop()
        assert isinstance(error, JobTimeoutError) and elapsed < 60
        assert "no job was created; the job(s) mine-" in str(error)
        assert "may or may not exist: look for them by name" in str(error)

    @pytest.mark.parametrize("raw", [trickle(0.2)], indirect=True)
    def test_a_trickle_without_timeout_ends_at_the_request_limit(self, raw: RawServer) -> None:
        client = IonQClient(ClientConfig(api_url=raw.url(), api_key=KEY, max_retries=0,
                                         request_timeout=1.0, read_timeout=30.0))
        try:
            with pytest.raises(MaybeSentError, match="no complete answer within 1 s"):
                background_loop().run(client.request("GET", "/jobs/x"))
        finally:
            background_loop().run(client.close())

    @pytest.mark.parametrize("raw", [trickle(0.2)], indirect=True)
    def test_a_trickle_with_timeout(self, raw: RawServer) -> None:
        error, elapsed = execute(device(raw.url(), timeout=1.0))
        assert isinstance(error, DeadlineError) and elapsed < 60

    @pytest.mark.parametrize("raw", [answer(429, "Too Many Requests",
                                            {"Retry-After": "1000000000"})], indirect=True)
    def test_retry_after_never_waits_past_the_deadline(self, raw: RawServer) -> None:
        with pytest.warns(UserWarning, match="could not read IonQ's backend catalogue"):
            error, elapsed = execute(device(raw.url(), timeout=1.0))
        assert isinstance(error, RetriableAPIError) and error.status == 429
        assert "(not retried: the next try, in 60.0 s, would pass the deadline)" in str(error)
        assert raw.connections == 2 and elapsed < 60  # the catalogue and the POST, once each


class TestProxies:
    API = "https://api.ionq.example/v0.4"  # reached only through the proxy's CONNECT

    @pytest.mark.parametrize("raw", [silent], indirect=True)
    def test_a_proxy_that_never_answers_connect(self, raw: RawServer) -> None:
        proxy = {"proxy": raw.url("")}
        error, elapsed = execute(device(self.API, timeout=1.0, client_options=proxy))
        assert isinstance(error, DeadlineError) and elapsed < 60
        with pytest.warns(UserWarning, match="could not read"):  # without timeout=: connect
            error, _ = execute(device(self.API, client_options={
                **proxy, "connect_timeout": 0.5, "max_retries": 0}))
        assert isinstance(error, TransportError) and not isinstance(error, MaybeSentError)
        assert "cannot connect to https://api.ionq.example through the proxy" in str(error)

    @pytest.mark.parametrize("raw", [answer(407, "Proxy Authentication Required")],
                             indirect=True)
    def test_a_proxy_asking_for_a_password_never_shows_it(self, raw: RawServer) -> None:
        proxy = f"http://alice:PA55-w0rd@127.0.0.1:{raw.port}"
        dev = device(self.API, client_options={"proxy": proxy})
        error, _ = execute(dev)
        assert isinstance(error, ConfigurationError) and raw.connections == 1  # not retried
        assert "asks for credentials (407): put them in the proxy URL" in str(error)
        assert error.__cause__ is None and "PA55-w0rd" not in repr(error)
        assert "PA55-w0rd" not in repr(dev.client_config)  # type: ignore[attr-defined]


class TestAnswers:
    @pytest.mark.parametrize("raw", [answer(307, "Temporary Redirect",
                                            {"Location": "http://other.example/v0.4/jobs"})],
                             indirect=True)
    def test_a_redirect_is_not_followed(self, raw: RawServer) -> None:
        client = IonQClient(ClientConfig(api_url=raw.url(), api_key=KEY, max_retries=0))
        try:
            with pytest.raises(ResponseError, match="answered with a redirect to "
                               "http://other.example/v0.4/jobs; IonQ's API does not "
                               "redirect, so it was not followed") as info:
                background_loop().run(client.request("POST", "/jobs", body=b"{}"))
        finally:
            background_loop().run(client.close())
        assert info.value.status == 307 and raw.connections == 1

    @pytest.mark.parametrize("raw", [huge(200 << 20)], indirect=True)
    def test_a_huge_answer_is_refused_as_it_arrives(self, raw: RawServer) -> None:
        client = IonQClient(ClientConfig(api_url=raw.url(), api_key=KEY, max_retries=0))
        try:
            with pytest.raises(ResponseError, match="exceeds 8,388,608 bytes"):
                background_loop().run(client.request("GET", "/jobs/x"))
        finally:
            background_loop().run(client.close())

    @pytest.mark.parametrize("histogram, wires, message", [
        ({"0": 1, "3": 2}, 2, "the probabilities sum to 3, not 1"),
        ({"0": 0.5, "00": 0.5}, 2, "a key with a leading zero"),
        ({"4": 1.0}, 2, "state 4 is beyond the circuit's 2 qubits"),
        ({str(2**21 + 1): 0.5, "1": 0.5}, 21, "state 2097153 is beyond the circuit's 21"),
        ({str(2**64): 1.0}, 2, "state 18446744073709551616 is beyond"),
        ({"0": -0.5, "1": 1.5}, 2, "a negative probability"),
    ])
    def test_nonsense_results_are_refused_not_repaired(self, histogram: dict, wires: int,
                                                       message: str) -> None:
        server = ScriptedAPI(histogram)
        try:
            dev = qml.device("ionq.batch", wires=wires, api_url=server.url, api_key=KEY,
                             progress=False, client_options=FAST)
            tape = qml.tape.QuantumScript([qml.RX(0.3, w) for w in range(wires)],
                                          [qml.probs(wires=range(wires))])
            with pytest.raises(ResponseError, match=message) as info:
                qml.execute([tape], dev)
        finally:
            server.stop()
        assert "j1" in str(info.value)  # the job is named


class TestInputs:
    def test_loopback_is_an_address_not_a_prefix(self) -> None:
        with pytest.raises(ConfigurationError, match="refusing to send the API key over plain"):
            ClientConfig(api_url="http://127.example.com/v0.4", api_key=KEY)
        for url in ("http://127.0.0.2:9/v0.4", "http://[::1]:9/v0.4", "http://localhost/v0.4"):
            assert ClientConfig(api_url=url, api_key=KEY)

    @pytest.mark.parametrize("job_id", ["..", ".", "a/b", "", "x\x00"])
    def test_an_id_never_becomes_another_path(self, job_id: str) -> None:
        client = IonQClient(ClientConfig(api_url="http://127.0.0.1:9/v0.4", api_key=KEY))
        with pytest.raises(ConfigurationError, match="is not a job id"):
            background_loop().run(client.get_job(job_id))

    def test_a_ca_bundle_that_is_not_pem(self, tmp_path: object) -> None:
        bundle = tmp_path / "ca.pem"  # type: ignore[operator]
        bundle.write_text("not a certificate")
        with pytest.raises(ConfigurationError, match="holds no PEM certificate"):
            ClientConfig(api_key=KEY, ca_bundle=str(bundle))

    def test_a_key_with_a_control_character(self) -> None:
        with pytest.raises(CredentialsError, match="control or non-ASCII character"):
            qml.device("ionq.batch", wires=1, api_key="abc\x07def")

    def test_credentials_in_the_api_url(self) -> None:
        with pytest.raises(ConfigurationError, match="must not hold credentials") as info:
            ClientConfig(api_url="https://me:pw@api.ionq.co/v0.4", api_key=KEY)
        assert "pw" not in str(info.value)
