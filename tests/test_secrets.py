"""Secrets never printed: a distinctive API key and proxy password through every error path
we can provoke, searched for everywhere an error or a log could show them."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import subprocess
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pennylane as qml
import pytest

from pennylane_ionq_batch import IonQBatchError
from pennylane_ionq_batch.config import ClientConfig

from .misbehaving import RawServer, answer, read_request, silent, trickle

KEY = "sk-SECRET-9d2f4c"
PASSWORD = "pw-SECRET-71b8"
SECRETS = (KEY, PASSWORD)
TAPE = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(qml.Z(0))])
HTTPS = "https://api.ionq.example/v0.4"  # reached through the proxy only
FAST = {"backoff_base": 0.01, "backoff_cap": 0.02, "poll_min": 0.01, "lookup_delay": 0.01,
        "max_retries": 1}
SEARCHED: list[int] = []  # places searched, per path (reported by the last test)


async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads a request and hangs up without answering."""
    await read_request(reader)


def places(error: BaseException, *objects: object) -> list[str]:
    """Everything that could show a secret: the error every way it can be printed or sent
    (pickle), its chain, and the reprs of the objects involved."""
    texts = [str(error), repr(error), "".join(traceback.format_exception(error)),
             repr(error.args), repr(getattr(error, "__notes__", [])),
             pickle.dumps(error).decode("latin-1")]
    cause = error.__cause__ or error.__context__
    while cause is not None:
        texts += [str(cause), repr(cause)]
        cause = cause.__cause__ or cause.__context__
    return texts + [repr(o) for o in objects]


@pytest.fixture
def servers() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(handler: object) -> RawServer:
        started.append(RawServer(handler))  # type: ignore[arg-type]
        return started[-1]
    yield start
    for server in started:
        server.stop()


def device(url: str, tmp_path: Path, **client: object) -> object:
    return qml.device("ionq.batch", wires=1, api_url=url, api_key=KEY, progress=False,
                      journal=str(tmp_path / "journal.sqlite3"), timeout=client.pop("timeout",
                                                                                    None),
                      client_options={**FAST, **client})


def test_no_error_path_shows_the_key_or_the_proxy_password(
        servers: Callable[..., RawServer], tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    proxy_407 = servers(answer(407, "Proxy Authentication Required"))
    proxy_502 = servers(answer(502, "Bad Gateway"))
    proxy_silent = servers(silent)
    redirect = servers(answer(307, "Temporary Redirect", {"Location": "/v0.4/jobs"}))
    unauthorized = servers(answer(401, "Unauthorized", {"Content-Type": "application/json"},
                                  b'{"error": "Unauthorized Error", "message": "bad key"}'))
    failing = servers(answer(500, "Internal Server Error"))
    dropping = servers(drop)
    trickling = servers(trickle(0.2))

    def proxied(port: int) -> str:
        return f"http://alice:{PASSWORD}@127.0.0.1:{port}"

    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login alice password {PASSWORD}\n")
    netrc.chmod(0o600)
    paths: dict[str, Callable[[], object]] = {
        "proxy answers 407 (CONNECT)": lambda: device(
            HTTPS, tmp_path, proxy=proxied(proxy_407.port)),
        "proxy answers 502 (CONNECT)": lambda: device(
            HTTPS, tmp_path, proxy=proxied(proxy_502.port)),
        "proxy never answers, timeout=": lambda: device(
            HTTPS, tmp_path, proxy=proxied(proxy_silent.port), timeout=1.0),
        "proxy never answers, connect limit": lambda: device(
            HTTPS, tmp_path, proxy=proxied(proxy_silent.port), connect_timeout=0.3),
        "redirect": lambda: device(redirect.url(), tmp_path),
        "401": lambda: device(unauthorized.url(), tmp_path),
        "500 until retries run out": lambda: device(failing.url(), tmp_path),
        "dropped connections (ambiguous POST)": lambda: device(dropping.url(), tmp_path),
        "trickle past the deadline": lambda: device(trickling.url(), tmp_path, timeout=1.0),
    }
    env_paths = {  # the password from the environment: HTTPS_PROXY, then ~/.netrc
        "HTTPS_PROXY with a password": (
            {"HTTPS_PROXY": proxied(proxy_407.port)}, lambda: device(HTTPS, tmp_path)),
        "~/.netrc's password": (
            {"HTTPS_PROXY": f"http://127.0.0.1:{proxy_407.port}", "NETRC": str(netrc)},
            lambda: device(HTTPS, tmp_path)),
    }
    found, tried = [], 0
    caplog.set_level(logging.DEBUG)
    for name, (env, make) in {**{k: ({}, v) for k, v in paths.items()},
                              **env_paths}.items():
        with monkeypatch.context() as m:
            for var, value in env.items():
                m.setenv(var, value)
            dev = make()
            with warnings.catch_warnings(record=True) as caught, \
                    pytest.raises(IonQBatchError) as info:
                warnings.simplefilter("always")  # a warning could show a secret too
                qml.execute([TAPE], dev)
        tried += 1
        texts = places(info.value, dev, dev.client_config,  # type: ignore[attr-defined]
                       *(w.message for w in caught))
        SEARCHED.append(len(texts))
        found += [(name, i) for i, text in enumerate(texts) for s in SECRETS if s in text]
    for bad in (f"ftp://alice:{PASSWORD}@proxy:1", f"alice:{PASSWORD}@proxy"):  # bad URLs
        with pytest.raises(IonQBatchError) as info:
            ClientConfig(api_key=KEY, proxy=bad)
        tried += 1
        texts = places(info.value)
        SEARCHED.append(len(texts))
        found += [("bad proxy URL", i) for i, t in enumerate(texts) for s in SECRETS if s in t]
    logs = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    journal = (tmp_path / "journal.sqlite3").read_bytes().decode("latin-1")
    SEARCHED.extend([1, 1])
    found += [(where, 0) for where, text in (("logs", logs), ("journal", journal))
              for s in SECRETS if s in text]
    assert tried == 13 and not found


@pytest.mark.parametrize("debug", [False, True])
def test_the_cli_never_shows_them(servers: Callable[..., RawServer], debug: bool) -> None:
    proxy = servers(answer(407, "Proxy Authentication Required"))
    env = {**os.environ, "HTTPS_PROXY": f"http://alice:{PASSWORD}@127.0.0.1:{proxy.port}"}
    done = subprocess.run(
        [sys.executable, "-m", "pennylane_ionq_batch", *(["--debug"] if debug else []),
         "jobs", "--api-key", KEY, "--api-url", HTTPS, "list"],
        capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0 and "asks for credentials (407)" in done.stderr
    assert not any(s in done.stdout + done.stderr for s in SECRETS)
    SEARCHED.append(2)


def test_report() -> None:
    """How much was searched (run with -s to see it)."""
    print(f"\nsecret sweep: {len(SEARCHED)} searches, {sum(SEARCHED)} places, 0 hits")
    assert sum(SEARCHED) > 100
