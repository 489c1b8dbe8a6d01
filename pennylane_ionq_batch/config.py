"""Frozen, validated option objects. No PennyLane or aiohttp imports, so every layer can use them.

Credentials resolve as: explicit argument > ``IONQ_API_KEY`` / ``IONQ_API_URL`` > default.
Explicit code beats the environment, and the environment beats guessing.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import ssl
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .backends import NOISE_MODELS
from .exceptions import ConfigurationError, CredentialsError

DEFAULT_API_URL = "https://api.ionq.co/v0.4"
MAX_CIRCUITS_PER_JOB = 5_000
MAX_GATES_PER_JOB = 150_000
MAX_BODY_BYTES = 10_000_000
MAX_SHOTS = 1_000_000


def _check_positive(name: str, value: float | None, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
            or value <= 0:
        raise ConfigurationError(f"ionq.batch: {name} must be a positive number, got {value!r}")


# user[:password]@ after "://", or at the start of a word (a URL written without its scheme)
_USERINFO = re.compile(r"(?:(?<=://)|(?<![^\s'\"(=]))[^\s/@'\"]+@")


def redact(text: str) -> str:
    """``text`` with the user and password of every URL in it (with or without a scheme)
    replaced by ``***``."""
    return _USERINFO.sub("***@", text)


def normalize_api_url(url: str) -> str:
    """Validate an API base URL and strip its trailing slash."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"ionq.batch: api_url must be an http(s) URL such as {DEFAULT_API_URL!r}, got "
            f"{redact(url)!r}")
    if parts.username or parts.password:
        raise ConfigurationError("ionq.batch: api_url must not hold credentials; the key goes "
                                 "in api_key (or IONQ_API_KEY)")
    return url.rstrip("/")


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine: ``localhost`` or a loopback address
    (``127.0.0.0/8``, ``::1``), decided by parsing it, never by a prefix of the name."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, kw_only=True, repr=False)
class ClientConfig:
    """How the HTTP client talks to IonQ.

    Attributes:
        api_url: base URL including the version, e.g. ``https://api.ionq.co/v0.4``.
        api_key: the key sent as ``Authorization: apiKey <key>``; hidden from ``repr``.
        connect_timeout: seconds to connect (through the proxy's ``CONNECT`` too).
        read_timeout: seconds a read may wait for the next byte (the idle limit).
        request_timeout: seconds one request may take in all (bounds an answer that
            trickles).
        max_retries: retries of a GET (or a POST refused before acceptance) on 429/5xx/no answer.
        backoff_base / backoff_cap: exponential backoff in seconds, with full jitter.
        poll_min / poll_max: bounds of the interval between job polls, in seconds. The
            default ``poll_min`` keeps a job's first second to at most four status requests.
        lookup_delay: after a lost ``POST /jobs`` answer, seconds between the two looks at
            ``GET /jobs`` that must both miss the job before it is sent again (a listing may
            lag behind creation; a second paid job is worse than a short wait).
        max_connections: size of the connection pool.
        allow_insecure: allow plain http to a non-loopback host.
        trust_env: use ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (and the proxy's
            credentials from ``~/.netrc``) for non-loopback URLs.
        proxy: an explicit proxy URL (``http://user:pass@host:port``); wins over the
            environment.
        ca_bundle: a PEM file of CA certificates to verify IonQ's server with (corporate TLS
            inspection); by default the system's store (``SSL_CERT_FILE`` is honoured).
        verify_ssl: False disables certificate checks (not recommended; for debugging only).
    """

    api_url: str = DEFAULT_API_URL
    api_key: str = field(default="", repr=False)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    request_timeout: float = 300.0
    max_retries: int = 6
    backoff_base: float = 0.25
    backoff_cap: float = 30.0
    poll_min: float = 0.25
    poll_max: float = 10.0
    lookup_delay: float = 5.0
    max_connections: int = 16
    allow_insecure: bool = False
    trust_env: bool = True
    proxy: str | None = None
    ca_bundle: str | None = None
    verify_ssl: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_url", normalize_api_url(self.api_url))
        if (urlsplit(self.api_url).scheme == "http" and not is_loopback(self.api_url)
                and not self.allow_insecure):
            raise ConfigurationError(
                f"ionq.batch: refusing to send the API key over plain http to {self.api_url}; "
                "use https, or pass allow_insecure=True if you really mean it"
            )
        for name in ("connect_timeout", "read_timeout", "request_timeout", "backoff_base",
                     "backoff_cap", "poll_min", "poll_max"):
            _check_positive(name, getattr(self, name))
        if not isinstance(self.lookup_delay, (int, float)) or isinstance(
                self.lookup_delay, bool) or not 0 <= self.lookup_delay < math.inf:
            raise ConfigurationError(
                f"ionq.batch: lookup_delay must be seconds ≥ 0, got {self.lookup_delay!r}")
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigurationError(
                f"ionq.batch: max_retries must be a non-negative int, got {self.max_retries!r}")
        if not isinstance(self.max_connections, int) or self.max_connections < 1:
            raise ConfigurationError(
                f"ionq.batch: max_connections must be a positive int, got {self.max_connections!r}")
        for name in ("allow_insecure", "trust_env", "verify_ssl"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(
                    f"ionq.batch: {name} must be True or False, got {getattr(self, name)!r}")
        if self.proxy is not None:
            parts = urlsplit(self.proxy) if isinstance(self.proxy, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                shown = redact(self.proxy) if isinstance(self.proxy, str) else self.proxy
                raise ConfigurationError(
                    "ionq.batch: proxy must be an http(s) URL such as "
                    f"'http://user:password@proxy.example.com:3128', got {shown!r}")
        if self.ca_bundle is not None:
            if not isinstance(self.ca_bundle, (str, os.PathLike)) or \
                    not os.path.isfile(self.ca_bundle):
                raise ConfigurationError("ionq.batch: ca_bundle must be the path of a PEM "
                                         f"file, got {self.ca_bundle!r}")
            try:
                ssl.create_default_context(cafile=os.fspath(self.ca_bundle))
            except (ssl.SSLError, ValueError) as exc:
                raise ConfigurationError(
                    f"ionq.batch: ca_bundle {os.fspath(self.ca_bundle)!r} holds no PEM "
                    f"certificate that can be loaded ({exc})") from None

    def __repr__(self) -> str:  # never the key, nor the proxy's credentials
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if f.name not in ("api_key", "proxy")]
        if self.proxy is not None:
            shown.append(f"proxy={redact(self.proxy)!r}")
        return f"ClientConfig({', '.join(shown)})"


CLIENT_OPTIONS = tuple(f.name for f in fields(ClientConfig) if f.name not in ("api_url",
                                                                               "api_key"))


def client_config(api_url: str | None, api_key: str | None, options: Any,
                  defaults: Mapping[str, Any] | None = None) -> ClientConfig:
    """The HTTP settings of a device: its URL and key (explicit, else the environment) and
    ``client_options`` over ``defaults``."""
    if not isinstance(options or {}, Mapping):
        raise ConfigurationError(f"ionq.batch: client_options must be a dict, got {options!r}")
    extra = set(options or {}) - set(CLIENT_OPTIONS)
    if extra:
        raise ConfigurationError(f"ionq.batch: unknown client_options {sorted(extra)}; "
                                 f"known: {list(CLIENT_OPTIONS)}")
    return ClientConfig(api_url=resolve_api_url(api_url), api_key=resolve_api_key(api_key),
                        **{**(defaults or {}), **(options or {})})


def resolve_api_key(api_key: str | None) -> str:
    """Explicit key, else ``IONQ_API_KEY``; raise a CredentialsError that says how to fix it."""
    key = api_key if api_key is not None else os.environ.get("IONQ_API_KEY", "")
    if not isinstance(key, str) or not key.strip():
        raise CredentialsError(
            "ionq.batch: no IonQ API key. Pass api_key=..., set the IONQ_API_KEY environment "
            'variable, or use backend="emulator" to run offline without a key.'
        )
    key = key.strip()
    if re.search(r"\s", key) or not key.isprintable() or not key.isascii():
        raise CredentialsError("ionq.batch: the API key contains white space or a control or "
                               "non-ASCII character; check its value")
    return key


def resolve_api_url(api_url: str | None) -> str:
    """Explicit URL, else ``IONQ_API_URL``, else IonQ's cloud."""
    if api_url is not None and not isinstance(api_url, str):
        raise ConfigurationError(f"ionq.batch: api_url must be a string such as "
                                 f"{DEFAULT_API_URL!r}, got {api_url!r}")
    return normalize_api_url(api_url or os.environ.get("IONQ_API_URL") or DEFAULT_API_URL)


def parse_backend(backend: Any) -> tuple[str, bool]:
    """A device's ``backend`` → (IonQ backend, emulated?): ``"emulator:qpu.aria-1"`` →
    ``("qpu.aria-1", True)``; ``"emulator"`` → ``("simulator", True)``."""
    if not isinstance(backend, str):
        raise ConfigurationError(f"ionq.batch: backend must be a string, got {backend!r}")
    if backend == "emulator":
        return "simulator", True
    if backend.startswith("emulator:"):
        return backend.split(":", 1)[1], True
    return backend, False


def _is_bool(value: Any) -> bool:
    return value in (True, False)  # 0 and 1 pass: pl-device-test sends device kwargs as ints


@dataclass(frozen=True, kw_only=True)
class DeviceOptions:
    """A device's own options (beside its jobs' and its HTTP client's), checked once.

    Attributes are those of :class:`~pennylane_ionq_batch.IonQBatchDevice` of the same names;
    ``emulated`` says whether the backend is the embedded emulator, and ``seed`` is already
    resolved (an int, or None for fresh entropy).
    """

    emulated: bool = False
    seed: int | None = None
    timeout: float | None = None
    max_cost: float | None = None
    budget: float | None = None
    structure_cache_size: int = 256
    journal: bool | str | os.PathLike[str] | None = None
    cancel_on_interrupt: bool = True
    emulator_noise: bool = True
    emulator_contract: str | None = None
    progress: bool | Callable[[Any], None] = True

    def __post_init__(self) -> None:
        if not (_is_bool(self.progress) or callable(self.progress)):
            raise ConfigurationError("ionq.batch: progress must be True, False or a function "
                                     f"taking a JobProgress, got {self.progress!r}")
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)
                                      or self.seed < 0):
            raise ConfigurationError(f"ionq.batch: seed must be a non-negative int, "
                                     f'"global" or None, got {self.seed!r}')
        if self.timeout is not None and (not isinstance(self.timeout, (int, float))
                                         or isinstance(self.timeout, bool)
                                         or not 0 < self.timeout < math.inf):
            raise ConfigurationError(f"ionq.batch: timeout must be positive seconds, got "
                                     f"{self.timeout!r}")
        if not isinstance(self.structure_cache_size, int) or self.structure_cache_size < 1:
            raise ConfigurationError("ionq.batch: structure_cache_size must be a positive int, "
                                     f"got {self.structure_cache_size!r}")
        for name in ("max_cost", "budget"):
            limit = getattr(self, name)
            if limit is not None and (not isinstance(limit, (int, float))
                                      or isinstance(limit, bool) or not limit >= 0):
                raise ConfigurationError(f"ionq.batch: {name} must be a non-negative amount, "
                                         f"got {limit!r}")
        if self.journal is not None and not isinstance(self.journal, (bool, str, os.PathLike)):
            raise ConfigurationError(f"ionq.batch: journal must be True, False or a file path, "
                                     f"got {self.journal!r}")
        for name in ("cancel_on_interrupt", "emulator_noise"):
            if not _is_bool(getattr(self, name)):
                raise ConfigurationError(f"ionq.batch: {name} must be True or False, got "
                                         f"{getattr(self, name)!r}")
        if self.emulator_contract not in (None, "current", "october", "legacy"):
            raise ConfigurationError('ionq.batch: emulator_contract must be "current", '
                                     f'"october" or "legacy", got {self.emulator_contract!r}')
        if (not self.emulator_noise or self.emulator_contract is not None) and not self.emulated:
            raise ConfigurationError("ionq.batch: emulator_noise and emulator_contract apply "
                                     'to the emulator only, e.g. backend="emulator:qpu.forte-1"')


MIN_DEBIASING_SHOTS = 500
AGGREGATIONS = ("average", "voting", "dnl", "majority")  # of debiasing variants (October 2026)

# The job fields of IonQ's CircuitJobCreationPayload that the device does not model itself,
# with the types the document gives them: passed through as given (``job_fields=``).
_COMPILATION_FIELDS: dict[str, tuple[type, ...]] = {"gate_basis": (str,), "precision": (str,),
                                                    "opt": (int, float)}
PASS_THROUGH = ("settings.compilation", "dry_run", "session_id")


def _check_job_fields(value: Any) -> dict[str, Any]:
    """``job_fields`` checked against IonQ's job schema; returns a plain copy."""
    how = (f"ionq.batch: job_fields passes IonQ job fields the device does not model: "
           f"{', '.join(PASS_THROUGH)}")
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{how}; got {value!r}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "dry_run" and isinstance(item, bool):
            out[key] = item
        elif key == "session_id" and isinstance(item, str) and item:
            out[key] = item
        elif key == "settings" and isinstance(item, Mapping) and set(item) <= {"compilation"}:
            comp = item.get("compilation", {})
            if not isinstance(comp, Mapping) or not all(
                    k in _COMPILATION_FIELDS and isinstance(v, _COMPILATION_FIELDS[k])
                    and not isinstance(v, bool) for k, v in comp.items()):
                raise ConfigurationError(
                    f"{how}; settings.compilation takes gate_basis (str), precision (str) and "
                    f"opt (number), got {comp!r}")
            warnings.warn("ionq.batch: settings.compilation is passed to IonQ as given, but "
                          "IonQ's API document (October 2026) no longer lists it for job "
                          "creation: IonQ may ignore or refuse it", UserWarning, stacklevel=6)
            out[key] = {"compilation": dict(comp)}
        else:
            hint = (" (use the device's error_mitigation option)" if key == "settings" else
                    " (the device sets it)" if key in ("name", "metadata", "shots", "backend",
                                                       "noise", "type", "input") else "")
            raise ConfigurationError(f"{how}; {key}={item!r} is not one of them{hint}")
    return out


@dataclass(frozen=True, kw_only=True)
class JobOptions:
    """What every job of a device carries besides its circuits.

    Attributes:
        backend: IonQ backend id, e.g. ``"simulator"`` or ``"qpu.forte-1"``.
        gateset: ``"qis"`` or ``"native"``.
        noise_model: simulator noise model (``"ideal"``, ``"aria-1"``, ``"forte-1"``, ...).
        noise_seed: seed of the noisy simulation, 1 … 2**31 − 1.
        error_mitigation: ``settings.error_mitigation`` (``debiasing``, ``symmetry_verification``).
            Debiasing not given follows IonQ's default, written out explicitly in every job:
            on for ``qis`` jobs of at least 500 shots on a QPU, off otherwise.
        aggregation: read debiased results as this aggregation of the debiasing variants
            (``average``, ``voting``, ``dnl`` or ``majority``: the artifacts IonQ's job
            records name, October 2026); None: IonQ's default.
        sharpen: read debiased results with ``sharpen=true`` (plurality voting across the
            debiasing variants instead of averaging).
        job_name: prefix of every job's name (a unique token is appended).
        metadata: string-valued metadata attached to every job.
        job_fields: IonQ job fields passed through unchanged: ``settings.compilation``
            (``gate_basis``, ``precision``, ``opt``), ``dry_run``, ``session_id``.
    """

    backend: str = "simulator"
    gateset: str = "native"
    noise_model: str | None = None
    noise_seed: int | None = None
    error_mitigation: Mapping[str, bool] | None = None
    sharpen: bool = False
    aggregation: str | None = None
    job_name: str = "ionq-batch"
    metadata: Mapping[str, str] = field(default_factory=dict)
    job_fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.backend, str) or not (
            self.backend == "simulator" or re.fullmatch(r"qpu\.[a-z0-9-]+", self.backend)
        ):
            raise ConfigurationError(
                f'ionq.batch: unknown backend {self.backend!r}; use "simulator", a QPU such as '
                '"qpu.forte-1", "emulator", or "emulator:<backend>"'
            )
        if self.gateset not in ("qis", "native"):
            raise ConfigurationError(
                f'ionq.batch: gateset must be "qis" or "native", got {self.gateset!r}')
        if self.noise_model is not None:
            if self.noise_model not in NOISE_MODELS:
                raise ConfigurationError(
                    f"ionq.batch: unknown noise_model {self.noise_model!r}; "
                    f"choose one of {sorted(NOISE_MODELS)}")
            if self.backend != "simulator":
                raise ConfigurationError(
                    "ionq.batch: noise_model applies to the simulator only, "
                    f"not to {self.backend!r}")
        if self.noise_seed is not None and (
            not isinstance(self.noise_seed, int) or not 1 <= self.noise_seed < 2**31
        ):
            raise ConfigurationError(
                f"ionq.batch: noise_seed must be an int in [1, 2**31 - 1], got {self.noise_seed!r}")
        if self.error_mitigation is not None:
            allowed = {"debiasing", "symmetry_verification"}
            if not isinstance(self.error_mitigation, Mapping) or not set(
                self.error_mitigation) <= allowed or not all(
                    isinstance(v, bool) for v in self.error_mitigation.values()):
                raise ConfigurationError(
                    "ionq.batch: error_mitigation must map 'debiasing' and/or "
                    f"'symmetry_verification' to True/False, got {self.error_mitigation!r}")
            object.__setattr__(self, "error_mitigation",
                               MappingProxyType(dict(self.error_mitigation)))
        if not isinstance(self.sharpen, bool):
            raise ConfigurationError(f"ionq.batch: sharpen must be True or False, got "
                                     f"{self.sharpen!r}")
        if self.aggregation is not None and self.aggregation not in AGGREGATIONS:
            raise ConfigurationError(f"ionq.batch: aggregation must be one of "
                                     f"{', '.join(AGGREGATIONS)}, got {self.aggregation!r}")
        if self.sharpen and self.aggregation is not None:
            raise ConfigurationError("ionq.batch: choose sharpen=True or an aggregation, not "
                                     "both (sharpening is IonQ's older name for voting)")
        explicit = (self.error_mitigation or {}).get("debiasing")
        reads = "sharpen=True" if self.sharpen else f"aggregation={self.aggregation!r}"
        if (self.sharpen or self.aggregation) and not (
                explicit or (explicit is None and self.is_qpu and self.gateset == "qis")):
            raise ConfigurationError(
                f"ionq.batch: {reads} reads debiased results, but these jobs are not "
                "debiased (IonQ debiases qis jobs of at least 500 shots on QPUs by default); "
                'pass error_mitigation={"debiasing": True} to debias them')
        if not isinstance(self.job_name, str) or not 0 < len(self.job_name) <= 64:
            raise ConfigurationError("ionq.batch: job_name must be a string of 1 to 64 characters")
        if not isinstance(self.metadata, Mapping) or len(self.metadata) > 8 or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 40
            for k, v in self.metadata.items()
        ):
            raise ConfigurationError(
                "ionq.batch: metadata must map at most 8 string keys (≤ 40 characters) to string "
                "values (IonQ allows 10 keys; ionq.batch uses 2)")
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        object.__setattr__(self, "job_fields",
                           MappingProxyType(_check_job_fields(self.job_fields)))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its arguments (its mappings are read-only views, which do not pickle)."""
        return _rebuild_job_options, ({f.name: dict(v) if isinstance(v, Mapping) else v
                                       for f in fields(self)
                                       if (v := getattr(self, f.name)) is not None},)

    @property
    def is_qpu(self) -> bool:
        return self.backend.startswith("qpu.")

    @property
    def noisy(self) -> bool:
        """True when results are sampled: a QPU, or the simulator with a non-ideal noise model."""
        return self.is_qpu or self.noise_model not in (None, "ideal")

    def debiasing(self, shots: int | None) -> bool:
        """The debiasing a job of ``shots`` shots gets: the explicit choice, else IonQ's default
        (on for ``qis`` jobs of at least 500 shots on a QPU, off for native-gate jobs)."""
        explicit = (self.error_mitigation or {}).get("debiasing")
        if explicit is not None:
            return explicit
        return (self.is_qpu and self.gateset == "qis" and shots is not None
                and shots >= MIN_DEBIASING_SHOTS)

    def settings(self, shots: int | None) -> dict[str, Any]:
        """``settings`` of a job of ``shots`` shots: error mitigation always explicit."""
        mitigation = {**(self.error_mitigation or {}), "debiasing": self.debiasing(shots)}
        return {**self.job_fields.get("settings", {}), "error_mitigation": mitigation}


def _rebuild_job_options(kwargs: dict[str, Any]) -> JobOptions:
    return JobOptions(**kwargs)
