"""IonQ's answers as typed records, checked once where they arrive.

Each parser reads the fields this client uses from a v0.4 body (IonQ's API document, September
2026 revision) and raises :class:`~pennylane_ionq_batch.exceptions.ResponseError` when a body
breaks the document, so callers never re-check dictionaries. Fields the document marks nullable
(``started_at``, ``predicted_wait_time_ms``, ...) are ``None`` when IonQ leaves them null, as the
live service does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..exceptions import ResponseError

ACTIVE = frozenset({"submitted", "ready", "started", "running"})  # "running": v0.3's spelling
TERMINAL = frozenset({"completed", "failed", "canceled"})

# Result formats this client reads (decimal little-endian keys); the v2 formats nest by
# register with bitstring keys whose character order the document does not state.
PROBABILITIES = "ionq.result.probabilities.json.v1"
AGGREGATE = "ionq.result.probabilities-aggregate.json.v1"


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 timestamp (``...Z`` or with an offset) as an aware datetime, else None."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _id(value: Any) -> bool:
    """An id IonQ gave: a non-empty string that is one opaque path segment."""
    return isinstance(value, str) and value not in ("", ".", "..") and value.isprintable() \
        and "/" not in value and "\\" not in value


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


@dataclass(frozen=True)
class Results:
    """Where a completed job's results can be read, as its record names them."""

    legacy_url: str | None = None  # ``results.probabilities.url`` (absolute path with /v0.4)
    artifacts: Mapping[str, str] = field(default_factory=dict)  # format → artifact id

    @classmethod
    def parse(cls, raw: Any) -> Results | None:
        if not isinstance(raw, Mapping):
            return None
        legacy = raw.get("probabilities")
        url = legacy.get("url") if isinstance(legacy, Mapping) else None
        artifacts = {fmt: d["id"] for fmt, d in raw.items()
                     if isinstance(d, Mapping) and _id(d.get("id"))}
        return cls(url if isinstance(url, str) and url.startswith("/") else None, artifacts)


@dataclass(frozen=True)
class JobRecord:
    """``GET /jobs/{id}`` (or one entry of ``GET /jobs``): what this client reads of a job."""

    id: str
    status: str
    name: str | None = None
    backend: str = ""
    shots: int | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    parent_job_id: str | None = None
    child_job_ids: tuple[str, ...] = ()
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    predicted_wait_ms: float | None = None
    predicted_execution_ms: float | None = None
    execution_ms: float | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    results: Results | None = None
    dry_run: bool = False
    debiased: bool = False  # settings.error_mitigation.debiasing
    aggregations: Mapping[str, str] = field(default_factory=dict)  # name → artifact id

    @classmethod
    def parse(cls, raw: Any, *, job_id: str | None = None) -> JobRecord:
        """Read a job record; ``job_id`` names the job an error is about."""
        if not isinstance(raw, Mapping) or not _id(raw.get("id")) \
                or not isinstance(raw.get("status"), str):
            raise ResponseError(200, f"expected a job record with 'id' and 'status', got "
                                f"{raw!r:.200}", job_id=job_id)
        failed = raw.get("failure")
        failure: Mapping[str, Any] = failed if isinstance(failed, Mapping) else {}
        metadata = raw.get("metadata")
        children = raw.get("child_job_ids") or raw.get("children") or ()  # "children": v0.3
        if isinstance(children, list) and not all(map(_id, children)):
            raise ResponseError(200, f"job {raw['id']}: child_job_ids holds something that is "
                                f"not a job id: {children!r:.200}", job_id=raw["id"])
        name = raw.get("name")
        parent = raw.get("parent_job_id")
        settings = raw.get("settings")
        mitigation = settings.get("error_mitigation") if isinstance(settings, Mapping) else None
        output = raw.get("output")
        mitigated = output.get("error_mitigation") if isinstance(output, Mapping) else None
        aggregations = mitigated.get("aggregations") if isinstance(mitigated, Mapping) else None
        return cls(
            id=raw["id"], status=raw["status"], name=name if isinstance(name, str) else None,
            backend=str(raw.get("backend") or ""),
            shots=raw["shots"] if isinstance(raw.get("shots"), int) else None,
            metadata={k: v for k, v in metadata.items() if isinstance(v, str)}
            if isinstance(metadata, Mapping) else {},
            parent_job_id=parent if isinstance(parent, str) else None,
            child_job_ids=tuple(str(c) for c in children) if isinstance(children, list) else (),
            submitted_at=parse_timestamp(raw.get("submitted_at")),
            started_at=parse_timestamp(raw.get("started_at")),
            predicted_wait_ms=_number(raw.get("predicted_wait_time_ms")),
            predicted_execution_ms=_number(raw.get("predicted_execution_duration_ms")),
            execution_ms=_number(raw.get("execution_duration_ms")),
            # v0.4 sends {code, message}; v0.3 clients read "error": accept both
            failure_code=failure.get("code") or failure.get("error"),
            failure_message=failure.get("message"),
            results=Results.parse(raw.get("results")), dry_run=raw.get("dry_run") is True,
            debiased=isinstance(mitigation, Mapping) and mitigation.get("debiasing") is True,
            aggregations={name: d["id"] for name, d in aggregations.items()
                          if isinstance(d, Mapping) and _id(d.get("id"))}
            if isinstance(aggregations, Mapping) else {})

    @property
    def token(self) -> str | None:
        """The client token this client puts in a job's metadata (and name)."""
        return self.metadata.get("client_token")


@dataclass(frozen=True)
class JobPage:
    """One page of ``GET /jobs``; ``next`` is the opaque cursor of the following page."""

    jobs: tuple[JobRecord, ...]
    next: str | None

    @classmethod
    def parse(cls, raw: Any) -> JobPage:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("jobs"), list):
            raise ResponseError(200, f"expected {{'jobs': [...], 'next': ...}}, got {raw!r:.200}")
        nxt = raw.get("next")
        return cls(tuple(JobRecord.parse(r) for r in raw["jobs"]),
                   str(nxt) if nxt not in (None, "") else None)


@dataclass(frozen=True)
class BackendRecord:
    """One entry of ``GET /backends``."""

    backend: str
    status: str
    qubits: int
    native_gates: tuple[str, ...] | None = None
    error_mitigations: tuple[str, ...] | None = None
    degraded: bool = False

    @classmethod
    def parse(cls, raw: Any) -> BackendRecord:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("backend"), str) \
                or not isinstance(raw.get("qubits"), int):
            raise ResponseError(200, f"expected a backend record with 'backend' and 'qubits', "
                                f"got {raw!r:.200}")
        native = raw.get("supported_native_gates")
        mitigations = raw.get("supported_error_mitigations")
        return cls(raw["backend"], str(raw.get("status", "")), raw["qubits"],
                   tuple(native) if isinstance(native, list) else None,
                   tuple(mitigations) if isinstance(mitigations, list) else None,
                   raw.get("degraded") is True)


@dataclass(frozen=True)
class SessionRecord:
    """``Session``: a reservation of one QPU (``POST /sessions``, ``GET /sessions/{id}``)."""

    id: str
    backend: str | None
    status: str  # created, started, ended
    active: bool

    @classmethod
    def parse(cls, raw: Any) -> SessionRecord:
        if not isinstance(raw, Mapping) or not _id(raw.get("id")):
            raise ResponseError(200, f"expected a session with an 'id', got {raw!r:.200}")
        backend = raw.get("backend")
        return cls(raw["id"], backend if isinstance(backend, str) else None,
                   str(raw.get("status", "")), raw.get("active") is not False)


@dataclass(frozen=True)
class JobCost:
    """``GET /jobs/{id}/cost``: the estimate, and the bill once the job has ended.

    IonQ's document (October 2026) makes both optional: jobs never priced against a contract,
    such as simulator jobs, come without ``estimated_cost``; ``cost`` appears once billed.
    """

    dry_run: bool
    estimated: float | None
    billed: float | None
    unit: str

    @classmethod
    def parse(cls, raw: Any, job_id: str) -> JobCost:
        if not isinstance(raw, Mapping):
            raise ResponseError(200, f"expected a job cost, got {raw!r:.200}", job_id=job_id)
        amounts = []
        for key in ("estimated_cost", "cost"):
            value = raw.get(key)
            if value is not None and (not isinstance(value, Mapping)
                                      or _number(value.get("value")) is None):
                raise ResponseError(200, f"{key} must be {{value, unit}}, got {value!r:.200}",
                                    job_id=job_id)
            amounts.append(value)
        estimated, billed = amounts
        unit = next((str(a["unit"]) for a in amounts if a is not None and a.get("unit")), "usd")
        return cls(raw.get("dry_run") is True,
                   float(estimated["value"]) if estimated is not None else None,
                   float(billed["value"]) if billed is not None else None, unit)


# IonQ's probabilities are JSON numbers: a distribution may miss 1 by their rounding, and is
# renormalised within this much; anything further off is refused, never repaired.
SUM_TOLERANCE = 1e-6
_LEADING_ZERO = re.compile(r" 0[0-9]")


class Histogram(Mapping[str, float]):
    """A checked probability distribution keyed by decimal basis states (IonQ's
    ``...probabilities.json.v1``: qubit 0 is the least significant bit): a read-only map, with
    its ``states`` (int64) and ``probabilities`` (float) also as arrays, read once here.

    Checked a whole map at a time (a batch brings hundreds of thousands of entries): a
    non-empty map from canonical decimal integers (no sign, no leading zero: two keys never
    name one state) to numbers ≥ 0 summing to 1 within ``SUM_TOLERANCE``; ValueError says what
    is wrong otherwise. A key of more than 18 digits (beyond any register) becomes the state
    2⁶³ - 1.
    """

    __slots__ = ("_raw", "states", "probabilities")

    def __init__(self, raw: Any) -> None:
        if not isinstance(raw, Mapping) or not raw:
            raise ValueError("not a non-empty object")
        if not all(raw):
            raise ValueError("an empty key")
        try:
            digits = "".join(raw)
        except TypeError:
            raise ValueError("a key that is not a string") from None
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError("a key that is not a decimal basis state")
        spaced = " ".join(raw)
        if _LEADING_ZERO.search(" " + spaced):
            raise ValueError("a key with a leading zero (two keys could name one state)")
        values = raw.values()
        if not set(map(type, values)) <= {int, float}:
            raise ValueError("a value that is not a number")
        probabilities = np.fromiter(values, dtype=float, count=len(raw))
        if probabilities.min() < 0:
            raise ValueError("a negative probability")
        total = sum(values)  # Python's: an overflow is infinity, refused, not a warning
        if not abs(total - 1.0) <= SUM_TOLERANCE:  # NaN and infinity fail too
            raise ValueError(f"the probabilities sum to {total!r}, not 1")
        self._raw = raw
        self.states = np.fromstring(spaced, dtype=np.int64, sep=" ")  # digits only: exact
        self.probabilities = probabilities

    def __getitem__(self, key: str) -> float:
        return self._raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"Histogram({dict(self._raw)!r})"


def parse_histogram(raw: Any, job_id: str) -> Histogram:
    """IonQ's probabilities for one circuit, checked (see :class:`Histogram`)."""
    try:
        return Histogram(raw)
    except ValueError as exc:
        raise ResponseError(200, f"malformed probabilities: {exc}: {raw!r:.200}",
                            job_id=job_id) from None
