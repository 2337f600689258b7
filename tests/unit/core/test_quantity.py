"""Resource quantities compare by value, whatever their spelling."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.core.quantity import parse_quantity, same_quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", Fraction(1)),
        ("500m", Fraction(1, 2)),
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
        ("1k", Fraction(1000)),
        ("1Ki", Fraction(1024)),
        ("1Gi", Fraction(2**30)),
        ("2e3", Fraction(2000)),
        ("1E-3", Fraction(1, 1000)),
        ("-1", Fraction(-1)),
        ("100n", Fraction(1, 10**7)),
    ],
)
def test_quantities_parse_to_exact_values(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1x", "1 Gi", "Gi", "1.2.3", "--1"])
def test_non_quantities_are_not_parsed(text: str) -> None:
    assert parse_quantity(text) is None


def test_booleans_are_not_quantities() -> None:
    assert parse_quantity(True) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [(1, "1"), (0.5, "500m"), ("1000", "1k"), ("1024Mi", "1Gi"), ("0.1", "100m")],
)
def test_canonical_forms_are_the_same_quantity(a: object, b: object) -> None:
    assert same_quantity(a, b)


@pytest.mark.parametrize(("a", "b"), [("1", "2"), ("1k", "1Ki"), ("1", "one")])
def test_different_values_are_not_the_same_quantity(a: object, b: object) -> None:
    assert not same_quantity(a, b)


@given(st.integers(min_value=0, max_value=10**6))
def test_milli_and_plain_spellings_agree(n: int) -> None:
    assert same_quantity(f"{n * 1000}m", str(n))
