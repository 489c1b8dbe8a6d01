"""Result histograms are checked where they arrive, whole maps at a time."""

from __future__ import annotations

import math

import pytest

from pennylane_ionq_batch import ResponseError
from pennylane_ionq_batch.client.records import parse_histogram


@pytest.mark.parametrize("raw", [
    {"0": 0.25, "3": 0.75},
    {"0": 1},  # integers are numbers
    {"12": 0.0, "5": 1.0},
    {"0": 0.3333333, "1": 0.6666666},  # 1 within IonQ's JSON rounding (renormalised later)
])
def test_distributions_pass_unchanged(raw: dict) -> None:
    assert parse_histogram(raw, "j") == raw


@pytest.mark.parametrize("raw", [
    {}, [], None, "0.5", {"a": 1.0}, {1: 1.0}, {"1": 0.5, 2: 0.5}, {"": 1.0}, {"0x1": 1.0},
    {"-1": 1.0}, {"1.0": 1.0},
    {"²": 1.0},  # a digit to str.isdigit, not to int()
    {"0": True}, {"0": "0.5"}, {"0": None}, {"0": [0.5]},
    {"0": -0.5, "1": 1.5}, {"0": 0.0}, {"0": math.inf}, {"0": 1e308, "1": 1e308},
    {"0": 1, "3": 2},  # sums to 3: never renormalised to [1/3, 0, 0, 2/3]
    {"0": 0.5, "00": 0.5}, {"01": 1.0},  # two keys naming one state; a non-canonical key
    {"0": 0.5, "1": 0.49},  # 0.99: more than rounding
])
def test_malformed_distributions_are_refused(raw: object) -> None:
    with pytest.raises(ResponseError, match="malformed probabilities") as info:
        parse_histogram(raw, "job-7")
    assert info.value.job_id == "job-7"


def test_a_histogram_holds_its_states_and_probabilities_as_arrays() -> None:
    """Read once where the JSON arrives, in the map's order: what results.py converts."""
    histogram = parse_histogram({"5": 0.25, "0": 0.5, "1023": 0.25}, "j")
    assert histogram.states.tolist() == [5, 0, 1023]
    assert histogram.probabilities.tolist() == [0.25, 0.5, 0.25]
    assert dict(histogram) == {"5": 0.25, "0": 0.5, "1023": 0.25}


def test_a_key_past_any_register_stays_past_it() -> None:
    """Keys beyond int64 saturate (never wrap round to a small state); the original key is
    what an error names (tests/test_results.py)."""
    histogram = parse_histogram({str(2**64 + 3): 0.5, "3": 0.5}, "j")
    assert histogram.states.tolist() == [2**63 - 1, 3]


def test_results_may_weigh_what_their_circuits_can() -> None:
    """Every other answer stops at 8 MiB; results at what their states can fill (an ideal
    simulator's are dense: 2^qubits states each, whatever the shots), so a 20 MB answer to
    a one-circuit two-qubit job is still refused."""
    from pennylane_ionq_batch.client.http import MAX_DOCUMENT_BYTES, results_limit

    assert results_limit(1, 2, None) == MAX_DOCUMENT_BYTES < 20_000_000
    assert results_limit(400, 10, None) > 400 * 1024 * 40  # 10-qubit states, ~40 bytes each
    assert results_limit(400, 20, 1000) == results_limit(400, 10, 1000)  # measured: ≤ shots
    assert results_limit(5000, None, None) >= 1 << 30
