"""The bench's rounds: rotated order, median round, failures never hidden."""

from __future__ import annotations

from bench.report import PhaseResult
from bench.rounds import median_results, round_order


def test_each_round_rotates_the_order_and_kubectl_runs_in_the_first_only() -> None:
    names = ["raw", "ideal", "syncd", "kubectl"]
    assert round_order(names, 0) == names
    assert round_order(names, 1) == ["ideal", "syncd", "raw"]
    assert round_order(names, 2) == ["syncd", "raw", "ideal"]
    assert round_order(names, 3) == names[:3]
    assert round_order(["kubectl"], 1) == []


def _result(seconds: float, *, verified: bool = True) -> PhaseResult:
    return PhaseResult(seconds=seconds, verified=verified, problem="" if verified else "bad")


def test_the_median_round_is_reported_with_every_rounds_seconds() -> None:
    rounds = [
        {"cold": {"syncd": _result(3.0), "raw": _result(2.0)}},
        {"cold": {"syncd": _result(1.0), "raw": _result(2.5)}},
        {"cold": {"syncd": _result(2.0), "raw": _result(9.0)}},
    ]
    merged = median_results(rounds)
    assert merged["cold"]["syncd"].seconds == 2.0
    assert merged["cold"]["syncd"].round_seconds == [3.0, 1.0, 2.0]
    assert merged["cold"]["raw"].seconds == 2.5


def test_with_an_even_number_of_rounds_the_slower_middle_one_is_taken() -> None:
    rounds = [{"cold": {"syncd": _result(s)}} for s in (1.0, 4.0, 2.0, 3.0)]
    assert median_results(rounds)["cold"]["syncd"].seconds == 3.0


def test_a_failure_in_any_round_is_what_is_reported() -> None:
    rounds = [
        {"cold": {"syncd": _result(1.0)}},
        {"cold": {"syncd": _result(5.0, verified=False)}},
        {"cold": {"syncd": _result(1.1)}},
    ]
    picked = median_results(rounds)["cold"]["syncd"]
    assert not picked.verified
    assert picked.seconds == 5.0


def test_a_contender_in_one_round_only_keeps_that_rounds_result() -> None:
    rounds = [
        {"cold": {"kubectl": _result(9.0), "raw": _result(2.0)}},
        {"cold": {"raw": _result(3.0)}},
    ]
    merged = median_results(rounds)
    assert merged["cold"]["kubectl"].seconds == 9.0
    assert merged["cold"]["kubectl"].round_seconds == [9.0]
