"""Option objects: every bad value refused with a message naming it, defaults as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from pennylane_ionq_batch.config import (
    ClientConfig,
    DeviceOptions,
    JobOptions,
    client_config,
    parse_backend,
    resolve_api_key,
    resolve_api_url,
)
from pennylane_ionq_batch.exceptions import ConfigurationError, CredentialsError


class TestClientConfig:
    def test_the_key_is_never_in_the_repr(self) -> None:
        config = ClientConfig(api_key="sk-very-secret")
        assert "sk-very-secret" not in repr(config)

    @pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v0.4", "http://localhost/v0.4",
                                     "http://[::1]:9/v0.4"])
    def test_plain_http_only_to_loopback(self, url: str) -> None:
        assert ClientConfig(api_url=url).api_url == url
        with pytest.raises(ConfigurationError, match="refusing to send the API key over plain"):
            ClientConfig(api_url="http://api.example.com/v0.4")
        assert ClientConfig(api_url="http://api.example.com/v0.4", allow_insecure=True)

    @pytest.mark.parametrize("field, value, message", [
        ("read_timeout", 0, "read_timeout must be a positive number"),
        ("connect_timeout", float("nan"), "connect_timeout must be a positive number"),
        ("poll_min", True, "poll_min must be a positive number"),
        ("lookup_delay", -1, "lookup_delay must be seconds ≥ 0"),
        ("max_retries", -1, "max_retries must be a non-negative int"),
        ("max_connections", 0, "max_connections must be a positive int"),
        ("verify_ssl", "no", "verify_ssl must be True or False"),
        ("proxy", "proxy.corp:3128", "proxy must be an http"),
        ("ca_bundle", "/no/such/file.pem", "ca_bundle must be the path of a PEM file"),
    ])
    def test_bad_values(self, field: str, value: object, message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            ClientConfig(**{field: value})  # type: ignore[arg-type]

    def test_client_options_over_defaults_and_unknown_ones_refused(self) -> None:
        config = client_config(None, "k", {"poll_min": 1.0}, {"poll_min": 0.1, "poll_max": 2.0})
        assert (config.poll_min, config.poll_max) == (1.0, 2.0)
        with pytest.raises(ConfigurationError, match=r"unknown client_options \['pol_min'\]"):
            client_config(None, "k", {"pol_min": 1.0})
        with pytest.raises(ConfigurationError, match="client_options must be a dict"):
            client_config(None, "k", [("poll_min", 1.0)])


class TestCredentials:
    def test_explicit_beats_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("IONQ_API_KEY", "from-env")
        monkeypatch.setenv("IONQ_API_URL", "https://elsewhere.example.com/v0.4/")
        assert resolve_api_key(None) == "from-env" and resolve_api_key(" mine ") == "mine"
        assert resolve_api_url(None) == "https://elsewhere.example.com/v0.4"
        assert resolve_api_url("https://api.ionq.co/v0.4") == "https://api.ionq.co/v0.4"

    def test_no_key_says_how_to_get_one(self) -> None:
        with pytest.raises(CredentialsError, match='IONQ_API_KEY.*backend="emulator"'):
            resolve_api_key(None)
        with pytest.raises(CredentialsError, match="white space"):
            resolve_api_key("abc def")


class TestJobOptions:
    def test_debiasing_follows_ionqs_default(self) -> None:
        assert JobOptions(backend="qpu.aria-1", gateset="qis").debiasing(500) is True
        assert JobOptions(backend="qpu.aria-1", gateset="qis").debiasing(499) is False
        assert JobOptions(backend="qpu.aria-1", gateset="native").debiasing(1000) is False
        assert JobOptions(backend="simulator", gateset="qis").debiasing(1000) is False
        explicit = JobOptions(backend="qpu.aria-1", error_mitigation={"debiasing": False})
        assert explicit.settings(1000) == {"error_mitigation": {"debiasing": False}}

    @pytest.mark.parametrize("kwargs, message", [
        ({"backend": "qpu"}, "unknown backend 'qpu'"),
        ({"gateset": "openqasm"}, 'gateset must be "qis" or "native"'),
        ({"noise_model": "aria-3"}, "unknown noise_model 'aria-3'"),
        ({"backend": "qpu.aria-1", "noise_model": "aria-1"}, "noise_model applies to the "
                                                              "simulator only"),
        ({"noise_seed": 0}, r"noise_seed must be an int in \[1, 2\*\*31 - 1\]"),
        ({"error_mitigation": {"debias": True}}, "error_mitigation must map 'debiasing'"),
        ({"sharpen": True}, "sharpen=True reads debiased results"),
        ({"job_name": ""}, "job_name must be a string of 1 to 64 characters"),
        ({"metadata": {"k": 1}}, "metadata must map at most 8 string keys"),
        ({"job_fields": {"shots": 10}}, r"shots=10 is not one of them \(the device sets it\)"),
        ({"job_fields": {"settings": {"compilation": {"opt": "high"}}}},
         "settings.compilation takes gate_basis"),
    ])
    def test_bad_values(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            JobOptions(**kwargs)

    def test_options_cannot_be_changed_behind_its_back(self) -> None:
        metadata = {"run": "1"}
        options = JobOptions(metadata=metadata)
        metadata["run"] = "2"
        assert options.metadata["run"] == "1"
        with pytest.raises(TypeError):
            options.metadata["run"] = "3"  # type: ignore[index]


class TestDeviceOptions:
    @pytest.mark.parametrize("kwargs, message", [
        ({"seed": -1}, "seed must be a non-negative int"),
        ({"timeout": 0}, "timeout must be positive seconds"),
        ({"structure_cache_size": 0}, "structure_cache_size must be a positive int"),
        ({"max_cost": -1.0}, "max_cost must be a non-negative amount"),
        ({"budget": float("nan")}, "budget must be a non-negative amount"),
        ({"journal": 3}, "journal must be True, False or a file path"),
        ({"cancel_on_interrupt": "yes"}, "cancel_on_interrupt must be True or False"),
        ({"emulator_contract": "v1"}, 'emulator_contract must be "current", "october" or'),
        ({"emulator_noise": False}, "apply to the emulator only"),
    ])
    def test_bad_values(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            DeviceOptions(**kwargs)

    def test_good_values(self, tmp_path: Path) -> None:
        options = DeviceOptions(emulated=True, seed=3, timeout=1.5, journal=tmp_path / "j",
                                emulator_noise=0, emulator_contract="legacy")
        assert options.timeout == 1.5 and options.emulator_noise == 0  # pl-device-test ints


@pytest.mark.parametrize("backend, expected", [
    ("emulator", ("simulator", True)), ("emulator:qpu.forte-1", ("qpu.forte-1", True)),
    ("qpu.aria-1", ("qpu.aria-1", False)), ("simulator", ("simulator", False)),
])
def test_parse_backend(backend: str, expected: tuple[str, bool]) -> None:
    assert parse_backend(backend) == expected
    with pytest.raises(ConfigurationError, match="backend must be a string"):
        parse_backend(None)
