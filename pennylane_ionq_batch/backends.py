"""IonQ backends and noise models as data: qubit counts, two-qubit native gate, noise rates.

The live catalogue (``GET /backends``) is the authority: a device reads it once and builds its
:class:`BackendSpec` from it (:func:`spec_from_catalog`). The table here is the fallback when
the catalogue cannot be read, and what the emulator serves. Backends and noise models are those
of IonQ's API document (September 2026: ``simulator``, ``qpu.forte-1``,
``qpu.forte-enterprise-1``; April 2026 also ``qpu.aria-1``, ``qpu.aria-2``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .exceptions import APIError, ConfigurationError, TransportError

log = logging.getLogger("pennylane_ionq_batch")


@dataclass(frozen=True)
class BackendSpec:
    """What the plugin needs to know about one IonQ backend."""

    name: str
    qubits: int
    native_2q: str  # "ms" or "zz"
    is_qpu: bool
    noise_model: str | None = None  # the noise model an emulated QPU samples with
    supported_native_gates: tuple[str, ...] | None = None  # as the catalogue lists them
    error_mitigations: tuple[str, ...] | None = None  # as the catalogue lists them
    from_catalog: bool = False

    @property
    def native_gates(self) -> tuple[str, ...]:
        """What ``GET /backends`` lists: a QPU takes one entangler, the simulator both."""
        if self.supported_native_gates is not None:
            return self.supported_native_gates
        return ("gpi", "gpi2", self.native_2q) if self.is_qpu else ("gpi", "gpi2", "ms", "zz")

    @property
    def debiasing(self) -> bool:
        """Whether jobs on this backend may be debiased."""
        if self.error_mitigations is not None:
            return "debiasing" in self.error_mitigations
        return self.is_qpu


@dataclass(frozen=True)
class NoiseModel:
    """Depolarizing error rates applied after every 1-qubit and 2-qubit gate.

    ``None`` rates: IonQ accepts the model but has not published how it computes it.
    """

    name: str
    p1q: float | None
    p2q: float | None
    max_qubits: int


BACKENDS: dict[str, BackendSpec] = {
    spec.name: spec
    for spec in (
        BackendSpec("simulator", 29, "ms", is_qpu=False),
        BackendSpec("qpu.aria-1", 25, "ms", is_qpu=True, noise_model="aria-1"),
        BackendSpec("qpu.aria-2", 25, "ms", is_qpu=True, noise_model="aria-2"),
        BackendSpec("qpu.forte-1", 36, "zz", is_qpu=True, noise_model="forte-1"),
        # No separate rates are published for forte-enterprise: the emulator uses Forte's.
        BackendSpec("qpu.forte-enterprise-1", 36, "zz", is_qpu=True, noise_model="forte-1"),
    )
}

# Published depolarizing rates (IonQ "simulation with noise models"). aria-2 and forte-1 are
# given there with more digits than the reference kept; these are the digits it kept. Harmony
# "uses a different, unpublished formula"; forte-enterprise-1 has no published rates.
NOISE_MODELS: dict[str, NoiseModel] = {
    m.name: m
    for m in (
        NoiseModel("ideal", 0.0, 0.0, 29),
        NoiseModel("harmony", None, None, 11),
        NoiseModel("harmony-1", None, None, 11),
        NoiseModel("harmony-2", None, None, 11),
        NoiseModel("aria-1", 0.0005, 0.0133, 25),
        NoiseModel("aria-2", 0.000657, 0.01856, 25),
        NoiseModel("forte-1", 0.000267, 0.004949, 29),
        NoiseModel("forte-enterprise-1", None, None, 29),
    )
}


def entangler_for(spec: BackendSpec, noise_model: str | None) -> str:
    """The two-qubit native gate (``"ms"`` or ``"zz"``) circuits for this target should use.

    The simulator follows its noise model's QPU family (Forte → ZZ, otherwise MS); a QPU
    follows ``supported_native_gates`` when the catalogue gave them, else this table.
    """
    if not spec.is_qpu:
        return "zz" if noise_model and noise_model.startswith("forte") else "ms"
    for gate in (spec.native_2q, "ms", "zz"):
        if gate in spec.native_gates:
            return gate
    return spec.native_2q


def _guess_2q(name: str) -> str:
    return "zz" if ("forte" in name or "tempo" in name) else "ms"


def lookup_backend(name: str) -> BackendSpec | None:
    """The built-in spec of ``name``, or None when the table does not know it."""
    return BACKENDS.get(name)


def spec_from_catalog(name: str, qubits: int, native_gates: Sequence[str] | None,
                      error_mitigations: Sequence[str] | None) -> BackendSpec:
    """A spec from a catalogue entry; the table fills in only the emulator's noise model."""
    known = BACKENDS.get(name)
    native = tuple(native_gates) if native_gates is not None else None
    listed = [g for g in ("ms", "zz") if native and g in native]
    two_q = listed[0] if listed else (known.native_2q if known else _guess_2q(name))
    return BackendSpec(name, qubits, two_q, is_qpu=name.startswith("qpu."),
                       noise_model=known.noise_model if known else None,
                       supported_native_gates=native,
                       error_mitigations=tuple(error_mitigations)
                       if error_mitigations is not None else None, from_catalog=True)


class CatalogEntry(Protocol):
    """What :func:`resolve_backend` reads of one ``GET /backends`` entry (the client's
    ``BackendRecord``)."""

    @property
    def backend(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def qubits(self) -> int: ...
    @property
    def native_gates(self) -> tuple[str, ...] | None: ...
    @property
    def error_mitigations(self) -> tuple[str, ...] | None: ...
    @property
    def degraded(self) -> bool: ...


def resolve_backend(name: str, read_catalog: Callable[[], Iterable[CatalogEntry]]
                    ) -> BackendSpec:
    """``name``'s spec from IonQ's catalogue (``read_catalog()``), read before any job.

    An unknown or retired backend is refused with the list of those available; one reported
    unavailable or degraded is used with a logged warning. If the catalogue cannot be read,
    the built-in table answers for the backends it knows, with a warning.
    """
    try:
        catalog = read_catalog()
    except (APIError, TransportError) as exc:
        known = lookup_backend(name)
        if known is None or isinstance(exc, TimeoutError):  # the deadline: nothing answers
            raise
        warnings.warn(f"ionq.batch: could not read IonQ's backend catalogue ({exc}); "
                      f"using the built-in description of {name}", stacklevel=5)
        return known
    records = {r.backend: r for r in catalog}
    record = records.get(name)
    if record is None or record.status == "retired":
        available = sorted(b for b, r in records.items() if r.status != "retired")
        state = "retired" if record is not None else "not in IonQ's catalogue"
        raise ConfigurationError(f"ionq.batch: backend {name!r} is {state}; available: "
                                 f"{', '.join(available)}")
    if record.status not in ("available", "") or record.degraded:
        log.warning("ionq.batch: IonQ reports %s as %s%s", name, record.status,
                    " (degraded)" if record.degraded else "")
    return spec_from_catalog(name, record.qubits, record.native_gates,
                             record.error_mitigations)
