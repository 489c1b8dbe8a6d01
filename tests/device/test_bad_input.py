"""Bad input fails before any request, naming what is wrong; the key never leaks."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError, WireError

from pennylane_ionq_batch import (
    CompilationError,
    ConfigurationError,
    CredentialsError,
    JobFailedError,
)
from pennylane_ionq_batch.emulator import EmulatorServer, FaultModel

from ..conftest import LOCAL

OPTIONS = [
    ({"backend": 42}, ConfigurationError, "backend must be a string"),
    ({"backend": "quantum"}, ConfigurationError, "unknown backend 'quantum'"),
    ({"gateset": "openqasm"}, ConfigurationError, "gateset must be"),
    ({"noise_model": "aria-9"}, ConfigurationError, "unknown noise_model"),
    ({"backend": "qpu.aria-1", "noise_model": "aria-1"}, ConfigurationError, "simulator only"),
    ({"noise_model": "aria-1", "noise_seed": -1}, ConfigurationError, "noise_seed must be"),
    ({"error_mitigation": {"debias": True}}, ConfigurationError, "error_mitigation must"),
    ({"job_name": 3}, ConfigurationError, "job_name must be"),
    ({"metadata": {"k": 1}}, ConfigurationError, "metadata must"),
    ({"seed": "x"}, ConfigurationError, "seed must be a non-negative int"),
    ({"timeout": -1}, ConfigurationError, "timeout must be positive"),
    ({"client_options": {"retries": 3}}, ConfigurationError, "unknown client_options"),
    ({"client_options": {"max_retries": -1}}, ConfigurationError, "max_retries must"),
    ({"client_options": {"read_timeout": 0}}, ConfigurationError, "read_timeout must"),
    ({"api_url": "ftp://x"}, ConfigurationError, "http\\(s\\) URL"),
    ({"api_url": "http://example.com/v0.4"}, ConfigurationError, "plain http"),
    ({"api_url": 3}, ConfigurationError, "api_url must be a string"),
    ({"api_key": ""}, CredentialsError, "IONQ_API_KEY"),
    ({"structure_cache_size": 0}, ConfigurationError, "structure_cache_size"),
    ({"journal": 3}, ConfigurationError, "journal must be"),
    ({"cancel_on_interrupt": "no"}, ConfigurationError, "cancel_on_interrupt must"),
    ({"sharpen": True}, ConfigurationError, "sharpen=True reads debiased results"),
    ({"sharpen": "yes"}, ConfigurationError, "sharpen must be True or False"),
    ({"job_fields": {"noise": {}}}, ConfigurationError, "the device sets it"),
    ({"client_options": {"proxy": "socks5://x"}}, ConfigurationError, "proxy must be"),
    ({"client_options": {"ca_bundle": "/no/such.pem"}}, ConfigurationError, "ca_bundle"),
    ({"client_options": {"trust_env": "yes"}}, ConfigurationError, "trust_env must be"),
    ({"emulator_contract": "legacy"}, ConfigurationError, "apply to the emulator only"),
]


@pytest.mark.parametrize("kwargs, error, message", OPTIONS)
def test_bad_options(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as info:
        qml.device("ionq.batch", **{"wires": 2, "api_key": "k", **kwargs})
    assert str(info.value).startswith("ionq.batch:")


CIRCUITS = [
    (lambda: (qml.RX(np.nan, 0), qml.expval(qml.Z(0)))[1], None, CompilationError,
     "RX on wires \\[0\\] has a non-finite"),
    (lambda: (qml.RX(np.inf, 0), qml.expval(qml.Z(0)))[1], None, CompilationError,
     "non-finite"),
    (lambda: (qml.RX(0.1, 5), qml.expval(qml.Z(0)))[1], None, WireError, "\\{5\\}"),
    (lambda: (qml.RX(0.1, 0), qml.state())[1], None, DeviceError,
     r"qml.state\(\) is not supported"),
    (lambda: (qml.RX(0.1, 0), qml.sample())[1], None, DeviceError, "needs shots"),
    (lambda: (qml.RX(0.1, 0), qml.expval(qml.Z(0)))[1], 2_000_000, DeviceError,
     "exceed IonQ's limit"),
]


@pytest.mark.parametrize("fn, shots, error, message", CIRCUITS)
def test_bad_circuits_fail_before_any_request(threaded_emulator: EmulatorServer, fn: object,
                                              shots: int | None, error: type,
                                              message: str) -> None:
    dev = qml.device("ionq.batch", wires=2, api_url=threaded_emulator.url, api_key="k",
                     client_options=LOCAL)
    qnode = qml.QNode(fn, dev)
    if shots:
        qnode = qml.set_shots(qnode, shots)
    with pytest.raises(error, match=message):
        qnode()
    assert only_the_catalogue_was_read(threaded_emulator)


def only_the_catalogue_was_read(server: EmulatorServer) -> bool:
    """The one request before a job may be the public backend catalogue."""
    return set(server.log.requests) <= {"GET /v0.4/backends"} and server.log.jobs_created == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"backend": "emulator:qpu.aria-1", "wires": 30},
     "30 wires requested but qpu.aria-1 takes circuits of at most 25 qubits"),
    ({"backend": "emulator", "wires": 26, "noise_model": "aria-1"}, "at most 25 qubits"),
    ({"backend": "emulator:qpu.tempo-9", "wires": 2},
     "backend 'qpu.tempo-9' is not in IonQ's catalogue; available: qpu.aria-1, qpu.aria-2, "
     "qpu.forte-1, qpu.forte-enterprise-1, simulator"),
    ({"backend": "emulator", "wires": 2, "error_mitigation": {"debiasing": True}},
     "simulator does not offer debiasing"),
])
def test_the_catalogue_refuses_before_any_job(kwargs: dict, message: str) -> None:
    dev = qml.device("ionq.batch", **kwargs)
    dev.emulator.reset_log()
    qnode = qml.set_shots(qml.QNode(lambda: qml.expval(qml.Z(0)), dev), 1000)
    with pytest.raises(ConfigurationError, match=message):
        qnode()
    assert only_the_catalogue_was_read(dev.emulator)


@pytest.mark.parametrize("kwargs, shots, message", [
    ({"error_mitigation": {"debiasing": True}}, 499, "debiasing needs at least 500 shots"),
    ({"gateset": "qis", "sharpen": True}, 400, "a job of 400 shots is not debiased"),
])
def test_debiasing_rules_before_any_request(kwargs: dict, shots: int, message: str) -> None:
    dev = qml.device("ionq.batch", wires=1, backend="emulator:qpu.forte-1", **kwargs)
    dev.emulator.reset_log()
    qnode = qml.set_shots(qml.QNode(lambda: qml.expval(qml.Z(0)), dev), shots)
    with pytest.raises(DeviceError, match=message):
        qnode()
    assert only_the_catalogue_was_read(dev.emulator)


SECRET = "sk-live-DO-NOT-LEAK-0123456789"


def test_the_key_never_appears(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Logs, reprs, errors, job names, the journal and tracker data, with every path taken."""
    caplog.set_level(logging.DEBUG)
    server = EmulatorServer(api_key=SECRET, seed=2, faults=FaultModel(
        rates={"503": 0.3, "drop-after-create": 0.3})).start_in_thread()
    failing = EmulatorServer(api_key=SECRET, faults=FaultModel(rates={"fail": 1.0})
                             ).start_in_thread()
    journal = tmp_path / "journal.sqlite3"
    seen: list[str] = []
    try:
        fast = {"backoff_base": 0.001, "backoff_cap": 0.01, **LOCAL}
        dev = qml.device("ionq.batch", wires=2, api_url=server.url, api_key=SECRET,
                         journal=str(journal), client_options=fast)
        seen += [repr(dev), repr(dev.client_config), repr(dev.policy), str(dev.options)]
        tape = qml.tape.QuantumScript([qml.RY(0.4, 0), qml.CNOT([0, 1])],
                                      [qml.expval(qml.Z(1))])
        with qml.Tracker(dev) as tracker:
            for _ in range(5):
                qml.execute([tape], dev)
        seen += [str(tracker.history), str(tracker.totals), str(dev.metrics)]
        for bad_key, url in (("wrong-key", server.url), (SECRET, failing.url)):
            other = qml.device("ionq.batch", wires=2, api_url=url, api_key=bad_key,
                               client_options=LOCAL)
            with pytest.raises(Exception) as info:  # noqa: PT011 - 401, then a failed job
                qml.execute([tape], other)
            seen.append(str(info.value) + repr(info.value))
        assert any("401" in s or "Unauthorized" in s for s in seen)
        assert isinstance(info.value, JobFailedError)
        seen += [job.parsed.name or "" for job in server.store.all()]
        seen += [str(job.parsed.metadata) for job in server.store.all()]
        files = list(tmp_path.glob("journal.sqlite3*"))  # the database and its WAL
        assert files and any(f.stat().st_size for f in files)
        seen += [f.read_bytes().decode("latin-1") for f in files]
        seen.append(caplog.text)
    finally:
        server.stop_thread()
        failing.stop_thread()
    assert all(SECRET not in s for s in seen)
    assert server.log.faults["503"] + server.log.faults["drop-after-create"] > 0
