"""Spending: prices from the rate card, limits, and what happens when prices cannot be read."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from pennylane_ionq_batch.client import IonQClient, plan_batch
from pennylane_ionq_batch.config import ClientConfig, JobOptions
from pennylane_ionq_batch.exceptions import APIError, CostLimitError, ResponseError
from pennylane_ionq_batch.payload import SerializedCircuit
from pennylane_ionq_batch.runtime import background_loop
from pennylane_ionq_batch.spending import Spending

from .client.mock_http import aioresponses
from .conftest import API

URL = (f"{API}/jobs/estimate?backend=qpu.forte-1&type=ionq.circuit.v1&qubits=1&shots=1"
       "&1q_gates=0&2q_gates=0&error_mitigation=false")
GATES = {"estimated_unit": "usd", "rate_card": {"id": "r", "rates": [
    {"sku": "s", "unit": "gates", "cost_1q_gate": 0.001, "cost_2q_gate": 0.01,
     "job_cost_minimum": 1.0}]}}
SECONDS = {"estimated_unit": "usd", "rate_card": {"id": "r", "rates": [
    {"sku": "s", "unit": "compute_second", "unit_cost": 2.5}]}}


def plan(shots: int = 1000) -> object:
    circuit = SerializedCircuit.from_gates(
        [{"gate": "gpi2", "target": 0, "phase": 0.1},
         {"gate": "ms", "targets": [0, 1], "phases": [0, 0], "angle": 0.25}], 2)
    return plan_batch([circuit, circuit], [shots, shots], JobOptions(backend="qpu.forte-1"))


@pytest.fixture
def client() -> Iterator[IonQClient]:
    c = IonQClient(ClientConfig(api_url=API, api_key="k", max_retries=0))
    yield c
    background_loop().run(c.close())


def test_prices_from_the_rate_card_and_a_budget(client: IonQClient) -> None:
    spending = Spending("qpu.forte-1", True, max_cost=None, budget=30.0)
    with aioresponses() as m:
        m.get(URL, payload=GATES)
        first = plan()
        cost = spending.check(client, first)
        assert cost.total == pytest.approx(2 * max(1.0, 1000 * (0.001 + 0.01)))  # 22.0
        spending.charge(cost, created=[0])
        assert spending.spent == pytest.approx(22.0)
        with pytest.raises(CostLimitError, match=r"would cost 22.00 usd.*exceeds what is left "
                           r"of budget=30.0 \(8.00 usd\)") as info:
            spending.check(client, plan())
    assert info.value.estimate.total == pytest.approx(22.0)
    assert "1q gates × 0.001 + 2q gates × 0.01" in cost.explain()


@pytest.mark.parametrize("answer", [dict(status=500, payload={"message": "down"}),
                                    dict(payload=SECONDS)])
def test_unreadable_prices_block_only_when_a_limit_needs_them(
        answer: dict, client: IonQClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with aioresponses() as m:
        m.get(URL, repeat=True, **answer)
        free = Spending("qpu.forte-1", True, max_cost=None, budget=None)
        assert free.check(client, plan()) is None
        assert free.check(client, plan()) is None
        limited = Spending("qpu.forte-1", True, max_cost=100.0, budget=None)
        with pytest.raises(APIError) as info:  # ResponseError is one too
            limited.check(client, plan())
    assert isinstance(info.value, ResponseError) or info.value.status == 500
    assert sum("cannot price jobs on qpu.forte-1" in r.message for r in caplog.records) == 1
