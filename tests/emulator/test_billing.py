"""The emulator's price table and sessions: the figures a bill is checked against."""

from __future__ import annotations

import pytest

from pennylane_ionq_batch.emulator.billing import (
    ARIA_ON_AZURE,
    Price,
    PriceTable,
    SessionError,
    Sessions,
)
from pennylane_ionq_batch.emulator.validate import parse_job

TABLE = PriceTable({"qpu.aria-1": Price(0.001, 0.01, 1.0, 10.0)})


def aria_job(shots: int, circuits: int, debiasing: bool = False) -> object:
    one = {"circuit": [{"gate": "gpi2", "target": 0, "phase": 0.1},
                       {"gate": "ms", "targets": [0, 1], "phases": [0, 0]}]}
    return parse_job({"type": "ionq.multi-circuit.v1", "backend": "qpu.aria-1",
                      "shots": shots, "settings": {"error_mitigation": {"debiasing": debiasing}},
                      "input": {"gateset": "native", "circuits": [one] * circuits}})


class TestPrices:
    def test_per_gate_shot_with_a_minimum(self) -> None:
        assert TABLE.circuit("qpu.aria-1", 1000, 1, 1, False) == pytest.approx(11.0)
        assert TABLE.circuit("qpu.aria-1", 10, 1, 1, False) == 1.0  # 0.11 < minimum
        assert TABLE.circuit("qpu.aria-1", 10, 1, 1, True) == 10.0  # debiasing's minimum
        assert TABLE.circuit("simulator", 10**6, 100, 100, False) == 0.0

    def test_every_circuit_of_a_job_is_billed_as_a_job(self) -> None:
        assert TABLE.job(aria_job(1000, 3)) == pytest.approx(3 * 11.0)
        assert TABLE.job(aria_job(500, 2, debiasing=True)) == pytest.approx(2 * 10.0)

    def test_the_rate_card_has_ionqs_shape(self) -> None:
        card = PriceTable().rate_card("qpu.forte-1", error_mitigation=True)
        [rate] = card["rates"]
        assert (rate["unit"], rate["cost_1q_gate"], rate["cost_2q_gate"],
                rate["job_cost_minimum"]) == ("gates", ARIA_ON_AZURE.cost_1q_gate,
                                              ARIA_ON_AZURE.cost_2q_gate, 97.50)


class TestSessions:
    def test_limits_are_enforced(self) -> None:
        sessions = Sessions()
        s = sessions.create("qpu.aria-1", {"job_count_limit": 2,
                                           "cost_limit": {"value": 30.0}}, now=0.0)
        assert s.status == "created"
        sessions.admit(s.id, "qpu.aria-1", 11.0, now=1.0)
        assert (s.status, s.jobs, s.cost) == ("started", 1, 11.0)
        with pytest.raises(SessionError, match="would exceed its cost_limit of 30.0"):
            sessions.admit(s.id, "qpu.aria-1", 20.0, now=2.0)
        sessions.admit(s.id, "qpu.aria-1", 19.0, now=3.0)
        with pytest.raises(SessionError, match="reached its job_count_limit of 2"):
            sessions.admit(s.id, "qpu.aria-1", 0.0, now=4.0)

    def test_other_backends_expired_and_ended_sessions_refuse(self) -> None:
        sessions = Sessions()
        s = sessions.create("qpu.aria-1", {"duration_limit_min": 1}, now=0.0)
        with pytest.raises(SessionError, match="is on qpu.aria-1, not qpu.forte-1"):
            sessions.admit(s.id, "qpu.forte-1", 1.0, now=1.0)
        sessions.admit(s.id, "qpu.aria-1", 1.0, now=1.0)  # started at 1 s
        with pytest.raises(SessionError, match="has ended"):
            sessions.admit(s.id, "qpu.aria-1", 1.0, now=62.0)  # a minute later
        assert s.status == "ended"
        with pytest.raises(SessionError, match="not found"):
            sessions.admit("nope", "qpu.aria-1", 1.0, now=0.0)

    def test_the_record_has_ionqs_fields(self) -> None:
        sessions = Sessions()
        s = sessions.create("qpu.aria-1", {}, now=0.0)
        sessions.end(s, now=5.0)
        record = s.record(now=6.0)
        assert record["status"] == "ended" and record["active"] is False
        assert record["ended_at"] == "1970-01-01T00:00:05.000Z"
