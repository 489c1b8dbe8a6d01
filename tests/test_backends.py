"""Backends from IonQ's catalogue: the right entangler, retired and unknown ones refused."""

from __future__ import annotations

import logging

import pytest

from pennylane_ionq_batch.backends import (
    BACKENDS,
    entangler_for,
    resolve_backend,
    spec_from_catalog,
)
from pennylane_ionq_batch.client.records import BackendRecord
from pennylane_ionq_batch.exceptions import ConfigurationError, TransportError

CATALOG = [
    BackendRecord("simulator", "available", 29, ("gpi", "gpi2", "ms", "zz"), ()),
    BackendRecord("qpu.forte-1", "available", 36, ("gpi", "gpi2", "zz"), ("debiasing",)),
    BackendRecord("qpu.aria-2", "retired", 25, ("gpi", "gpi2", "ms"), ("debiasing",)),
    BackendRecord("qpu.tempo-1", "unavailable", 100, ("gpi", "gpi2", "zz"), None,
                  degraded=True),
]


class TestResolve:
    def test_a_listed_backend_is_described_by_its_entry(self) -> None:
        spec = resolve_backend("qpu.forte-1", lambda: CATALOG)
        assert (spec.qubits, spec.native_2q, spec.is_qpu, spec.debiasing, spec.from_catalog) \
            == (36, "zz", True, True, True)

    def test_a_retired_backend_is_refused_with_what_is_available(self) -> None:
        with pytest.raises(ConfigurationError,
                           match="'qpu.aria-2' is retired; available: qpu.forte-1, "
                                 "qpu.tempo-1, simulator"):
            resolve_backend("qpu.aria-2", lambda: CATALOG)

    def test_an_unknown_backend_is_refused(self) -> None:
        with pytest.raises(ConfigurationError, match="'qpu.nope-1' is not in IonQ's catalogue"):
            resolve_backend("qpu.nope-1", lambda: CATALOG)

    def test_unavailable_or_degraded_is_used_with_a_warning(
            self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING, "pennylane_ionq_batch"):
            spec = resolve_backend("qpu.tempo-1", lambda: CATALOG)
        assert spec.qubits == 100 and "qpu.tempo-1 as unavailable (degraded)" in caplog.text

    def test_an_unreadable_catalogue_falls_back_for_known_backends_only(self) -> None:
        def down() -> list[BackendRecord]:
            raise TransportError("cannot connect")

        with pytest.warns(UserWarning, match="could not read IonQ's backend catalogue"):
            assert resolve_backend("qpu.aria-1", down) is BACKENDS["qpu.aria-1"]
        with pytest.raises(TransportError):
            resolve_backend("qpu.nope-1", down)


def test_the_entangler_follows_the_native_gates_or_the_noise_model() -> None:
    assert entangler_for(spec_from_catalog("qpu.aria-1", 25, ["gpi", "gpi2", "ms"], None),
                         None) == "ms"
    assert entangler_for(spec_from_catalog("qpu.new-1", 25, ["gpi", "gpi2", "zz"], None),
                         None) == "zz"
    simulator = BACKENDS["simulator"]
    assert [entangler_for(simulator, m) for m in (None, "aria-1", "forte-1")] == \
        ["ms", "ms", "zz"]
    # without listed gates: the built-in table, else a guess from the family's name
    assert spec_from_catalog("qpu.forte-enterprise-1", 36, None, None).native_2q == "zz"
    assert spec_from_catalog("qpu.tempo-2", 100, None, None).native_2q == "zz"
