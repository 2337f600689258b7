"""Go-style duration strings (`15s`, `1m30s`, `500ms`) as used in sync specs.

The accepted syntax is a subset of Go's `time.ParseDuration`: one or more
components, each an unsigned decimal number (optionally with a fraction)
followed by a unit `ns`, `us`, `ms`, `s`, `m` or `h`; or the bare `0`. Signs,
a leading or trailing `.`, and the `µs` spelling are not accepted.
`DURATION_PATTERN` is the same rule as a regular expression for CRD schemas
(RE2 and Python agree on it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

DURATION_PATTERN: Final = r"^(0|([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+)$"

_FULL: Final = re.compile(DURATION_PATTERN)
_COMPONENT: Final = re.compile(r"([0-9]+)(?:\.([0-9]+))?(ns|us|ms|s|m|h)")
_NANOS_PER_UNIT: Final = (
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("h", 3600 * 1_000_000_000),
)


def _unit_nanos(unit: str) -> int:
    for name, nanos in _NANOS_PER_UNIT:
        if name == unit:
            return nanos
    raise ValueError(f"unknown duration unit {unit!r}")  # unreachable: the regex admits no other


def parse_duration(text: str) -> dt.timedelta:
    """The timedelta a duration string denotes, truncated to whole microseconds.

    Raises ValueError naming the offending text and the accepted syntax.
    """
    if text == "0":
        return dt.timedelta(0)
    if not _FULL.fullmatch(text):
        raise ValueError(
            f"invalid duration {text!r}: expected numbers with units ns, us, ms, s, m or h, "
            "such as 15s, 1m30s or 500ms"
        )
    total_nanos = 0
    for whole, fraction, unit in _COMPONENT.findall(text):
        scale = _unit_nanos(unit)
        total_nanos += int(whole) * scale
        if fraction:
            total_nanos += int(fraction) * scale // 10 ** len(fraction)
    try:
        return dt.timedelta(microseconds=total_nanos // 1_000)
    except OverflowError as exc:
        raise ValueError(f"duration {text!r} is too long") from exc


def format_duration(value: dt.timedelta) -> str:
    """The shortest canonical string for a non-negative timedelta (`1h2m3.5s`, `0s`)."""
    if value < dt.timedelta(0):
        raise ValueError(f"negative duration {value} has no duration string")
    micros = value // dt.timedelta(microseconds=1)
    hours, micros = divmod(micros, 3600 * 1_000_000)
    minutes, micros = divmod(micros, 60 * 1_000_000)
    seconds, micros = divmod(micros, 1_000_000)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if micros:
        parts.append(f"{seconds}.{micros:06d}".rstrip("0") + "s")
    elif seconds or not parts:
        parts.append(f"{seconds}s")
    return "".join(parts)
