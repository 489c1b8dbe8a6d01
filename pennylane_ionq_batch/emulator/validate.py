"""Validation of ``POST /jobs`` payloads the way IonQ does it (reference §3, §4, §10). Pure."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..backends import BACKENDS, NOISE_MODELS

MAX_CIRCUITS = 5_000
MAX_GATES = 150_000
MAX_SHOTS = 1_000_000
MAX_CONTROLS = 7
# The emulator's own limits (IonQ states none): what it can simulate without a tiny payload
# costing minutes of CPU or gigabytes (a pauliexp is a dense 2^k × 2^k matrix).
MAX_PAULIEXP_TARGETS = 10
MAX_WORK = 2**33  # amplitude updates per job: gates × 2^qubits (× trajectories when noisy)

QIS_1Q = {"x", "y", "z", "h", "s", "si", "t", "ti", "v", "vi", "not"}
QIS_ROT = {"rx", "ry", "rz"}
QIS_2Q_ROT = {"xx", "yy", "zz"}
QIS_GATES = QIS_1Q | QIS_ROT | QIS_2Q_ROT | {"cnot", "swap", "pauliexp"}
NATIVE_GATES = {"gpi", "gpi2", "ms", "zz"}
NATIVE_FIELDS = {"gpi": {"gate", "target", "phase"}, "gpi2": {"gate", "target", "phase"},
                 "ms": {"gate", "targets", "phases", "angle"}, "zz": {"gate", "targets", "angle"}}


class PayloadError(ValueError):
    """A payload IonQ would answer with 400 (``keys`` names the offending fields)."""

    def __init__(self, message: str, keys: list[str] | None = None) -> None:
        self.keys = keys or []
        super().__init__(message)


@dataclass(frozen=True)
class ParsedCircuit:
    name: str | None
    gateset: str
    qubits: int
    gates: list[dict[str, Any]]


@dataclass(frozen=True)
class ParsedJob:
    type: str
    backend: str
    shots: int
    name: str | None
    metadata: dict[str, str]
    noise_model: str | None
    noise_seed: int | None
    settings: dict[str, Any] | None
    circuits: list[ParsedCircuit]
    dry_run: bool
    session_id: str | None = None


def _num(gate: dict[str, Any], key: str, where: str, lo: float = -math.inf,
         hi: float = math.inf) -> float:
    v = gate.get(key)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        raise PayloadError(f"{where}: '{key}' must be a finite number", [key])
    if not lo <= v <= hi:
        raise PayloadError(f"{where}: '{key}' = {v} is outside [{lo}, {hi}]", [key])
    return float(v)


def _qubit(v: Any, where: str, key: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise PayloadError(f"{where}: '{key}' must be a non-negative integer qubit index", [key])
    return v


def _check_gate(gate: Any, gateset: str, where: str, native: frozenset[str]) -> list[int]:
    """Validate one gate object and return every qubit it touches."""
    if not isinstance(gate, dict) or not isinstance(gate.get("gate"), str):
        raise PayloadError(f"{where}: each gate must be an object with a 'gate' name", ["gate"])
    name = gate["gate"]
    allowed = QIS_GATES if gateset == "qis" else NATIVE_GATES
    if name not in allowed:
        raise PayloadError(f"{where}: unsupported gate {name!r} for gateset {gateset!r}", ["gate"])
    if gateset == "native" and name not in native:
        raise PayloadError(f"{where}: UnsupportedGate: this backend's native gates are "
                           f"{sorted(native)}, not {name!r}", ["gate"])
    fields = {"gate", "target", "targets", "control", "controls", "rotation"}
    if gateset == "native":
        fields = NATIVE_FIELDS[name]
    elif name == "pauliexp":
        fields |= {"terms", "coefficients", "time"}
    extra = set(gate) - fields
    if extra:
        raise PayloadError(f"{where}: unknown field(s) {sorted(extra)} on gate {name!r}",
                           sorted(extra))
    two = name in {"swap", "ms"} | QIS_2Q_ROT or (gateset == "native" and name == "zz")
    if two or name == "pauliexp":
        targets = gate.get("targets")
        if not isinstance(targets, list) or not targets:
            raise PayloadError(f"{where}: gate {name!r} needs 'targets'", ["targets"])
        if two and len(targets) != 2:
            raise PayloadError(f"{where}: gate {name!r} needs exactly 2 targets", ["targets"])
        qubits = [_qubit(t, where, "targets") for t in targets]
    else:
        if "target" not in gate:
            raise PayloadError(f"{where}: gate {name!r} needs 'target'", ["target"])
        qubits = [_qubit(gate["target"], where, "target")]
    controls = gate.get("controls", [gate["control"]] if "control" in gate else [])
    if not isinstance(controls, list):
        raise PayloadError(f"{where}: 'controls' must be a list", ["controls"])
    if controls and name == "swap":
        raise PayloadError(f"{where}: swap cannot be controlled", ["controls"])
    if len(controls) > MAX_CONTROLS:
        raise PayloadError(f"{where}: TooManyControls: at most {MAX_CONTROLS} controls",
                           ["controls"])
    qubits += [_qubit(c, where, "controls") for c in controls]
    if len(set(qubits)) != len(qubits):
        raise PayloadError(f"{where}: gate {name!r} uses a qubit twice", ["targets"])
    if name in QIS_ROT or (gateset == "qis" and name in QIS_2Q_ROT):
        _num(gate, "rotation", where)
    elif name == "cnot" and not controls:
        raise PayloadError(f"{where}: cnot needs 'control' or 'controls'", ["control"])
    elif name in ("gpi", "gpi2"):
        _num(gate, "phase", where, -1.0, 1.0)
    elif name == "ms":
        phases = gate.get("phases")
        if not isinstance(phases, list) or len(phases) != 2:
            raise PayloadError(f"{where}: ms needs 'phases': [phi0, phi1]", ["phases"])
        for p in phases:
            _num({"phases": p}, "phases", where, -1.0, 1.0)
        if "angle" in gate:
            _num(gate, "angle", where, 0.0, 0.25)
    elif name == "zz" and gateset == "native":
        _num(gate, "angle", where, -1.0, 1.0)
    elif name == "pauliexp":
        if len(qubits) > MAX_PAULIEXP_TARGETS:
            raise PayloadError(f"{where}: pauliexp on {len(qubits)} targets; the emulator "
                               f"takes at most {MAX_PAULIEXP_TARGETS}", ["targets"])
        terms, coeffs = gate.get("terms"), gate.get("coefficients")
        if (not isinstance(terms, list) or not isinstance(coeffs, list) or not terms
                or len(terms) != len(coeffs)):
            raise PayloadError(f"{where}: pauliexp needs matching 'terms' and 'coefficients'",
                               ["terms"])
        for t in terms:
            if not isinstance(t, str) or len(t) != len(qubits) or set(t) - set("IXYZ"):
                raise PayloadError(f"{where}: pauliexp term {t!r} must be one of I/X/Y/Z per "
                                   "target", ["terms"])
        for c in coeffs:
            _num({"c": c}, "c", where)
        _num(gate, "time", where, 0.0)
    return qubits


def gate_counts(gates: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """(single-qubit, multi-qubit) gate counts of validated gate objects."""
    n1q = n2q = 0
    for g in gates:
        width = (len(g.get("targets", ())) + len(g.get("controls", ())) + ("control" in g)
                 + ("target" in g))
        if width >= 2:
            n2q += 1
        else:
            n1q += 1
    return n1q, n2q


def _circuit(obj: Any, default_gateset: str, where: str, max_qubits: int,
             native: frozenset[str]) -> ParsedCircuit:
    if not isinstance(obj, dict) or not isinstance(obj.get("circuit"), list):
        raise PayloadError(f"{where}: needs a 'circuit' list of gates", ["circuit"])
    if not obj["circuit"]:  # IonQ's document does not promise to run an empty circuit
        raise PayloadError(f"{where}: 'circuit' must hold at least one gate", ["circuit"])
    gateset = obj.get("gateset", default_gateset)
    if gateset not in ("qis", "native"):
        raise PayloadError(f"{where}: gateset must be 'qis' or 'native'", ["gateset"])
    used = 0
    for i, gate in enumerate(obj["circuit"]):
        qubits = _check_gate(gate, gateset, f"{where} gate {i}", native)
        used = max(used, max(qubits) + 1)
    qubits = obj.get("qubits", used)
    if not isinstance(qubits, int) or isinstance(qubits, bool) or qubits < max(used, 1):
        raise PayloadError(f"{where}: 'qubits' must be an int ≥ {max(used, 1)}", ["qubits"])
    if qubits > max_qubits:
        raise PayloadError(f"{where}: NotEnoughQubits: {qubits} qubits requested, the backend "
                           f"has {max_qubits}", ["qubits"])
    name = obj.get("name")
    return ParsedCircuit(name if isinstance(name, str) else None, gateset, qubits,
                         obj["circuit"])


JOB_FIELDS = {"type", "backend", "shots", "name", "metadata", "noise", "settings", "input",
              "dry_run", "session_id"}  # CircuitJobCreationPayload: additionalProperties false
SETTINGS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "error_mitigation": {"debiasing": bool, "symmetry_verification": bool},
    "compilation": {"gate_basis": str, "precision": str, "opt": (int, float),
                    "service_version": str},
}


def _check_settings(settings: Any) -> dict[str, Any] | None:
    """``settings`` as IonQ's job schema allows it: known sections, keys and types only."""
    if settings is None:
        return None
    if not isinstance(settings, dict) or set(settings) - set(SETTINGS):
        raise PayloadError(f"'settings' may hold {sorted(SETTINGS)} only", ["settings"])
    for section, value in settings.items():
        allowed = SETTINGS[section]
        if not isinstance(value, dict) or not all(
                k in allowed and isinstance(v, allowed[k]) for k, v in value.items()):
            raise PayloadError(f"'settings.{section}' may hold {sorted(allowed)} with their "
                               "documented types", ["settings"])
    return settings


def parse_job(payload: Any) -> ParsedJob:
    """Validate a ``POST /jobs`` payload; raise PayloadError with IonQ-like messages.

    (Whether its ``session_id`` may take the job is the session store's business.)
    """
    if not isinstance(payload, dict):
        raise PayloadError("request body must be a JSON object")
    unknown = set(payload) - JOB_FIELDS
    if unknown:
        raise PayloadError(f"unknown job field(s) {sorted(unknown)}", sorted(unknown))
    jtype = payload.get("type")
    if jtype not in ("ionq.circuit.v1", "ionq.multi-circuit.v1"):
        raise PayloadError("'type' must be 'ionq.circuit.v1' or 'ionq.multi-circuit.v1'",
                           ["type"])
    backend = payload.get("backend")
    if backend not in BACKENDS:
        raise PayloadError(f"unknown backend {backend!r}; available: {sorted(BACKENDS)}",
                           ["backend"])
    shots = payload.get("shots", 100)
    if not isinstance(shots, int) or isinstance(shots, bool) or not 1 <= shots <= MAX_SHOTS:
        raise PayloadError(f"'shots' must be an integer from 1 to {MAX_SHOTS}", ["shots"])
    name = payload.get("name")
    if name is not None and not isinstance(name, str):
        raise PayloadError("'name' must be a string", ["name"])
    metadata = payload.get("metadata") or {}
    if not isinstance(metadata, dict) or len(metadata) > 10 or not all(
        isinstance(k, str) and len(k) <= 40 and isinstance(v, str) and len(v) <= 40_000
        for k, v in metadata.items()
    ):
        raise PayloadError("'metadata' must map at most 10 keys (≤ 40 chars) to strings",
                           ["metadata"])
    noise = payload.get("noise")
    noise_model = noise_seed = None
    if noise is not None:
        if not isinstance(noise, dict) or noise.get("model") not in NOISE_MODELS:
            raise PayloadError(f"'noise.model' must be one of {sorted(NOISE_MODELS)}",
                               ["noise"])
        if backend != "simulator":
            raise PayloadError("'noise' is only accepted by the simulator", ["noise"])
        noise_model, noise_seed = noise["model"], noise.get("seed")
        if noise_seed is not None and (not isinstance(noise_seed, int)
                                       or not 0 <= noise_seed < 2**31):
            raise PayloadError("'noise.seed' must be a 32-bit integer", ["noise"])
    settings = _check_settings(payload.get("settings"))
    em = (settings or {}).get("error_mitigation") or {}
    if em.get("debiasing") and shots < 500:
        raise PayloadError("debiasing needs at least 500 shots", ["settings"])
    inp = payload.get("input")
    if not isinstance(inp, dict) or inp.get("gateset") not in ("qis", "native"):
        raise PayloadError("'input.gateset' must be 'qis' or 'native'", ["input"])
    max_qubits = BACKENDS[backend].qubits
    native = frozenset(BACKENDS[backend].native_gates)
    if noise_model is not None:
        max_qubits = min(max_qubits, NOISE_MODELS[noise_model].max_qubits)
    base = {k: v for k, v in inp.items() if k in ("gateset", "qubits")}
    if jtype == "ionq.circuit.v1":
        if "circuits" in inp:
            raise PayloadError("'input.circuits' needs type 'ionq.multi-circuit.v1'", ["input"])
        circuits = [_circuit({**base, **inp}, inp["gateset"], "input", max_qubits, native)]
    else:
        if "circuit" in inp:
            raise PayloadError("'input.circuit' and 'input.circuits' cannot both be sent",
                               ["input"])
        objs = inp.get("circuits")
        if not isinstance(objs, list) or not objs:
            raise PayloadError("'input.circuits' must be a non-empty list", ["input"])
        if len(objs) > MAX_CIRCUITS:
            raise PayloadError(f"too many circuits: {len(objs)} > {MAX_CIRCUITS}", ["input"])
        circuits = [_circuit(o, inp["gateset"], f"circuit {i}", max_qubits, native)
                    for i, o in enumerate(objs)]
    total = sum(len(c.gates) for c in circuits)
    if total > MAX_GATES:
        raise PayloadError(f"TooManyGates: {total} gates > {MAX_GATES} per job", ["input"])
    if (backend == "simulator" and inp["gateset"] == "qis" and "qubits" not in inp
            and not all("qubits" in c for c in (inp.get("circuits") or [inp]))):
        raise PayloadError("'input.qubits' is required: the simulator's preflight refuses qis "
                           "circuits that do not say their qubits", ["input"])
    dry_run = payload.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise PayloadError("'dry_run' must be true or false", ["dry_run"])
    session_id = payload.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise PayloadError("'session_id' must be a string", ["session_id"])
    return ParsedJob(jtype, backend, shots, name, metadata, noise_model, noise_seed, settings,
                     circuits, dry_run, session_id)


def work(job: ParsedJob, noisy: bool, max_amplitudes: int = 2**24) -> int:
    """Amplitude updates simulating ``job`` costs: gates × 2^qubits per circuit, times the
    trajectories sampled at once when ``noisy`` (see :func:`.statevector.sample_noisy`)."""
    total = 0
    for c in job.circuits:
        size = 2 ** c.qubits
        total += len(c.gates) * (min(job.shots * size, max(size, max_amplitudes)) if noisy
                                 else size)
    return total
