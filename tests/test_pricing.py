"""Prices from IonQ's rate cards, before anything is sent (pricing.py, pure)."""

from __future__ import annotations

import pytest

from pennylane_ionq_batch.exceptions import ResponseError
from pennylane_ionq_batch.payload import SerializedCircuit
from pennylane_ionq_batch.pricing import Rates, estimate

SEPTEMBER = {  # GET /jobs/estimate as the live service answers (rate_card)
    "estimated_unit": "credit",
    "rate_card": {"id": "rc-1", "rates": [
        {"sku": "x-seconds", "unit": "compute_second", "cost": 9.0},
        {"sku": "x-gates", "unit": "gates", "cost_1q_gate": 0.001, "cost_2q_gate": 0.01,
         "job_cost_minimum": 1.0}]},
}
APRIL = {  # the older shape (rate_information, cost_unit)
    "cost_unit": "credit",
    "rate_information": {"cost_1q_gate": 0.002, "cost_2q_gate": 0.02, "job_cost_minimum": 5.0},
}


def circuit(one: int, two: int) -> SerializedCircuit:
    return SerializedCircuit(b"{}", qubits=2, gates=one + two, multi_qubit_gates=two)


class TestRates:
    def test_the_current_rate_card_and_its_unit(self) -> None:
        rates = Rates.parse("qpu.forte-1", SEPTEMBER)
        assert (rates.unit, rates.cost_1q_gate, rates.cost_2q_gate, rates.job_cost_minimum) \
            == ("credit", 0.001, 0.01, 1.0)

    def test_the_older_rate_information_keeps_its_unit(self) -> None:
        rates = Rates.parse("qpu.aria-1", APRIL)
        assert (rates.unit, rates.cost_1q_gate, rates.cost_2q_gate, rates.job_cost_minimum) \
            == ("credit", 0.002, 0.02, 5.0)

    def test_without_a_unit_it_is_usd_and_without_a_minimum_zero(self) -> None:
        rates = Rates.parse("qpu.aria-1", {"rate_information": {"cost_1q_gate": 1,
                                                                "cost_2q_gate": 2}})
        assert (rates.unit, rates.job_cost_minimum) == ("usd", 0.0)

    @pytest.mark.parametrize("raw", [
        [], {"rate_card": {"rates": [{"unit": "compute_second", "cost": 1.0}]}},
        {"rate_information": {"cost_1q_gate": "cheap", "cost_2q_gate": 1}},
    ])
    def test_anything_but_per_gate_prices_is_refused(self, raw: object) -> None:
        with pytest.raises(ResponseError, match="qpu.forte-1"):
            Rates.parse("qpu.forte-1", raw)

    def test_a_circuit_costs_shots_times_its_gates_at_least_the_minimum(self) -> None:
        rates = Rates("qpu.forte-1", "usd", 0.001, 0.01, job_cost_minimum=1.0)
        assert rates.circuit(circuit(10, 5), shots=1000) == pytest.approx(1000 * 0.06)
        assert rates.circuit(circuit(1, 0), shots=100) == 1.0  # 0.1 < the minimum


class TestEstimate:
    def test_jobs_are_priced_once_each_and_sum_to_the_total(self) -> None:
        rates = Rates("qpu.forte-1", "usd", 0.001, 0.01, job_cost_minimum=1.0)
        jobs = [[(circuit(10, 5), 1000, rates), (circuit(1, 0), 100, rates)],
                [(circuit(2, 2), 500, rates)]]
        cost = estimate(jobs)
        assert cost.per_job == pytest.approx((60.0 + 1.0, 500 * 0.022))
        assert cost.total == pytest.approx(sum(cost.per_job))
        assert (cost.circuits, cost.shots, cost.single_qubit_gates, cost.multi_qubit_gates) == \
            (3, 1000, 13, 7)
        assert cost.unit == "usd" and cost.rates is rates
        assert str(cost).startswith("72.00 usd (3 circuits, each priced as a job of its own")

    def test_a_free_backend(self) -> None:
        cost = estimate([[(circuit(3, 1), 100, None)]])
        assert (cost.total, cost.per_job, cost.rates) == (0.0, (0.0,), None)
        assert cost.explain() == "1 circuit on a free backend"
