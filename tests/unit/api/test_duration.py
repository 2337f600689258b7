"""Go-style duration strings: parsing, the CRD pattern, formatting."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.api.duration import DURATION_PATTERN, format_duration, parse_duration

NANOS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15s", dt.timedelta(seconds=15)),
        ("1m30s", dt.timedelta(minutes=1, seconds=30)),
        ("5m", dt.timedelta(minutes=5)),
        ("1h", dt.timedelta(hours=1)),
        ("500ms", dt.timedelta(milliseconds=500)),
        ("1.5h", dt.timedelta(minutes=90)),
        ("2h45m0.5s", dt.timedelta(hours=2, minutes=45, milliseconds=500)),
        ("1500us", dt.timedelta(microseconds=1500)),
        ("999ns", dt.timedelta(0)),
        ("0", dt.timedelta(0)),
        ("0s", dt.timedelta(0)),
        ("1s1s", dt.timedelta(seconds=2)),
    ],
)
def test_parses_go_style_durations(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "15", "15 s", "-1s", "+1s", ".5s", "5.s", "1d", "1µs", "s", "1m 30s", "1S"]
)
def test_refuses_malformed_durations_with_a_message_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration") as caught:
        parse_duration(text)
    assert repr(text) in str(caught.value)
    assert "15s, 1m30s or 500ms" in str(caught.value)


def test_refuses_a_duration_too_long_for_a_timedelta() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999999999h")


components = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10**6),
        st.one_of(st.none(), st.text(alphabet="0123456789", min_size=1, max_size=12)),
        st.sampled_from(sorted(NANOS)),
    ),
    min_size=1,
    max_size=6,
)


@given(components)
def test_generated_durations_parse_to_their_exact_value(
    parts: list[tuple[int, str | None, str]],
) -> None:
    text = "".join(f"{whole}{'.' + frac if frac else ''}{unit}" for whole, frac, unit in parts)
    expected_nanos = sum(
        int(Decimal(f"{whole}.{frac or 0}") * NANOS[unit]) for whole, frac, unit in parts
    )
    # Per component the fraction is truncated to whole nanoseconds, then the sum to microseconds.
    assert re.fullmatch(DURATION_PATTERN, text)
    assert parse_duration(text) == dt.timedelta(microseconds=expected_nanos // 1000)


@given(st.text(alphabet="0123456789.nsumh -+", max_size=12))
def test_the_crd_pattern_accepts_exactly_what_the_parser_accepts(text: str) -> None:
    try:
        parse_duration(text)
    except ValueError:
        parsed = False
    else:
        parsed = True
    assert bool(re.fullmatch(DURATION_PATTERN, text)) == parsed


@given(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=10_000)))
def test_format_duration_round_trips_through_the_parser(value: dt.timedelta) -> None:
    text = format_duration(value)
    assert parse_duration(text) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(0), "0s"),
        (dt.timedelta(seconds=15), "15s"),
        (dt.timedelta(minutes=1, seconds=30), "1m30s"),
        (dt.timedelta(hours=2), "2h"),
        (dt.timedelta(milliseconds=500), "0.5s"),
    ],
)
def test_format_duration_writes_the_canonical_form(value: dt.timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_format_duration_refuses_negative_values() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(dt.timedelta(seconds=-1))
