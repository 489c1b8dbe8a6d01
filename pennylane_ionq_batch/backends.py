"""IonQ backends and noise models as data: qubit counts, two-qubit native gate, noise rates.

This is the built-in table (reference: IonQ API v0.4 §8 and §14). The live ``GET /backends``
answer takes precedence where a client has it; the emulator serves exactly this table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BackendSpec:
    """What the plugin needs to know about one IonQ backend."""

    name: str
    qubits: int
    native_2q: str  # "ms" or "zz"
    is_qpu: bool
    noise_model: str | None = None  # the noise model an emulated QPU samples with

    @property
    def native_gates(self) -> tuple[str, ...]:
        """What ``GET /backends`` lists: a QPU takes one entangler, the simulator both."""
        return ("gpi", "gpi2", self.native_2q) if self.is_qpu else ("gpi", "gpi2", "ms", "zz")


@dataclass(frozen=True)
class NoiseModel:
    """Depolarizing error rates applied after every 1-qubit and 2-qubit gate."""

    name: str
    p1q: float
    p2q: float
    max_qubits: int


BACKENDS: dict[str, BackendSpec] = {
    spec.name: spec
    for spec in (
        BackendSpec("simulator", 29, "ms", is_qpu=False),
        BackendSpec("qpu.aria-1", 25, "ms", is_qpu=True, noise_model="aria-1"),
        BackendSpec("qpu.aria-2", 25, "ms", is_qpu=True, noise_model="aria-2"),
        BackendSpec("qpu.forte-1", 36, "zz", is_qpu=True, noise_model="forte-1"),
        BackendSpec("qpu.forte-enterprise-1", 36, "zz", is_qpu=True, noise_model="forte-1"),
    )
}

# Published depolarizing rates (IonQ "simulation with noise models"). aria-2 and forte-1 are
# given there with more digits than the reference kept; these are the digits it kept.
NOISE_MODELS: dict[str, NoiseModel] = {
    m.name: m
    for m in (
        NoiseModel("ideal", 0.0, 0.0, 29),
        NoiseModel("aria-1", 0.0005, 0.0133, 25),
        NoiseModel("aria-2", 0.000657, 0.01856, 25),
        NoiseModel("forte-1", 0.000267, 0.004949, 29),
    )
}


def entangler_for(spec: BackendSpec, noise_model: str | None,
                  supported: Sequence[str] | None = None) -> str:
    """The two-qubit native gate (``"ms"`` or ``"zz"``) circuits for this target should use.

    The simulator follows its noise model's QPU family (Forte → ZZ, otherwise MS); a QPU
    follows ``supported_native_gates`` from ``GET /backends`` when known, else this table.
    """
    if not spec.is_qpu:
        return "zz" if noise_model and noise_model.startswith("forte") else "ms"
    if supported:
        for gate in (spec.native_2q, "ms", "zz"):
            if gate in supported:
                return gate
    return spec.native_2q


def lookup_backend(name: str) -> BackendSpec:
    """Return the spec of ``name``; unknown QPUs get a permissive spec (the API will judge)."""
    if name in BACKENDS:
        return BACKENDS[name]
    native = "zz" if ("forte" in name or "tempo" in name) else "ms"
    return BackendSpec(name, 36, native, is_qpu=name.startswith("qpu."))
