"""YAML scalars as Kubernetes reads them: implicit tags, explicit tags and their limits.

Owns the one question "what JSON value does this YAML scalar stand for?":

- plain scalars resolve with PyYAML's YAML 1.1 table (what sigs.k8s.io/yaml
  also follows for `yes`/`no`, octal `0644`, ...), except that timestamps
  stay strings; `<<` outside a mapping key, `=` and the like are strings;
- quoted scalars are strings;
- explicit tags must fit their value: `!!int abc`, `!!bool maybe`,
  `!!null x`, `!!float x` are errors, as are tags with no JSON form
  (`!!binary`, `!!set`, `!!omap`, `!!pairs`, `!!timestamp`) and tags nobody
  knows (`!foo`);
- integers must fit what Kubernetes holds (signed or unsigned 64-bit); their
  size is checked on the text, before Python converts them (so a 5,000-digit
  number is an error, not a ValueError);
- NaN and Infinity (`.nan`, `.inf`, `1e999`) have no JSON form and are errors.

`ScalarError` carries the reason; the builder adds the file and line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from yaml.resolver import Resolver

YAML_TAG: Final = "tag:yaml.org,2002:"
STR_TAG: Final = YAML_TAG + "str"
INT_TAG: Final = YAML_TAG + "int"
FLOAT_TAG: Final = YAML_TAG + "float"
BOOL_TAG: Final = YAML_TAG + "bool"
NULL_TAG: Final = YAML_TAG + "null"
MERGE_TAG: Final = YAML_TAG + "merge"
SEQ_TAG: Final = YAML_TAG + "seq"
MAP_TAG: Final = YAML_TAG + "map"
NON_JSON_TAGS: Final = frozenset(
    YAML_TAG + name for name in ("binary", "set", "omap", "pairs", "timestamp")
)

INT64_MIN: Final = -(2**63)
UINT64_MAX: Final = 2**64 - 1
_MAX_INT_TEXT: Final = 100
"""Longer integer text (without `_`) is out of range whatever its base: checked before int()."""

_BOOLS: Final[Mapping[str, bool]] = MappingProxyType(
    {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
)
_NULL: Final = re.compile(r"~|null|Null|NULL|")
_RESOLVED: Final = frozenset({INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG, MERGE_TAG})


class ScalarError(ValueError):
    """A scalar has no value Kubernetes can hold (the message says why)."""


def _implicit_table() -> Mapping[str, tuple[tuple[str, re.Pattern[str]], ...]]:
    """First character -> (tag, regexp) pairs to try, from PyYAML's safe resolver."""
    table: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
    for first, resolvers in Resolver.yaml_implicit_resolvers.items():
        kept = tuple((tag, rx) for tag, rx in resolvers if tag in _RESOLVED)
        if kept and first is not None:
            table[first] = kept
    return MappingProxyType(table)


_IMPLICIT: Final = _implicit_table()
_NONE: Final[tuple[tuple[str, re.Pattern[str]], ...]] = ()
_INT_RX: Final = next(rx for tag, rx in _IMPLICIT["1"] if tag == INT_TAG)
_FLOAT_RX: Final = next(rx for tag, rx in _IMPLICIT["1"] if tag == FLOAT_TAG)


def resolve_plain(value: str) -> str:
    """The tag of a plain (unquoted, untagged) scalar: str, int, float, bool, null or merge."""
    for tag, regexp in _IMPLICIT.get(value[:1], _NONE):
        if regexp.match(value):
            return tag
    return STR_TAG


def plain_value(value: str) -> object:
    """The value of a plain scalar in a value position (`<<` there is a string)."""
    tag = resolve_plain(value)
    if tag in {STR_TAG, MERGE_TAG}:
        return value
    return _construct(tag, value)


def tagged_value(tag: str, value: str) -> object:
    """The value of a scalar with an explicit tag (`!!int "3"`); ScalarError if it does not fit."""
    if tag == STR_TAG:
        return value
    if tag in NON_JSON_TAGS:
        raise ScalarError(f"tag {_show(tag)} has no JSON form")
    if tag == INT_TAG:
        if not _INT_RX.match(value):
            raise ScalarError(f"{_show(value)} is not an integer (tag !!int)")
    elif tag == FLOAT_TAG:
        if not (_FLOAT_RX.match(value) or _INT_RX.match(value)):
            raise ScalarError(f"{_show(value)} is not a number (tag !!float)")
    elif tag == BOOL_TAG:
        if value.lower() not in _BOOLS:
            raise ScalarError(f"{_show(value)} is not a boolean (tag !!bool)")
    elif tag == NULL_TAG:
        if not _NULL.fullmatch(value):
            raise ScalarError(f"{_show(value)} is not null (tag !!null)")
    else:
        raise ScalarError(f"unknown tag {_show(tag)}")
    return _construct(tag, value)


def key_text(key: object) -> str:
    """A mapping key as the string Kubernetes makes of it (`1: x` -> `"1"`)."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def check_int(value: int, text: str) -> int:
    """`value` if it fits a signed or unsigned 64-bit integer, else ScalarError."""
    if INT64_MIN <= value <= UINT64_MAX:
        return value
    raise int_range_error(text)


def int_range_error(text: str) -> ScalarError:
    """The error for an integer (given as text) that no 64-bit integer holds."""
    return ScalarError(f"integer {_show(text)} is outside the 64-bit range Kubernetes accepts")


def check_float(value: float, text: str) -> float:
    """`value` if it is finite, else ScalarError (JSON has no NaN or Infinity)."""
    if math.isfinite(value):
        return value
    raise ScalarError(f"{_show(text)} is not a finite number (JSON has no NaN or Infinity)")


def _construct(tag: str, value: str) -> object:
    if tag == NULL_TAG:
        return None
    if tag == BOOL_TAG:
        return _BOOLS[value.lower()]
    if tag == INT_TAG:
        return _int(value)
    return _float(value)


def _int(text: str) -> int:
    """PyYAML's construct_yaml_int, with the size checked on the text first."""
    value = text.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    if value[:1] in "+-":
        value = value[1:]
    if len(value) > _MAX_INT_TEXT and ":" not in value:
        raise int_range_error(text)
    try:
        if value == "0":
            number = 0
        elif value.startswith("0b"):
            number = int(value[2:], 2)
        elif value.startswith("0x"):
            number = int(value[2:], 16)
        elif value[:1] == "0":
            number = int(value, 8)
        elif ":" in value:
            number = _sexagesimal(value, text)
        else:
            number = int(value)
    except ScalarError:
        raise
    except ValueError:
        raise ScalarError(f"{_show(text)} is not a valid integer") from None
    return check_int(sign * number, text)


def _sexagesimal(value: str, text: str) -> int:
    number = 0
    for part in value.split(":"):
        if len(part) > _MAX_INT_TEXT:
            raise ValueError(part)
        number = number * 60 + int(part)
        if number > UINT64_MAX:
            check_int(number, text)
    return number


def _float(text: str) -> float:
    """PyYAML's construct_yaml_float, refusing NaN and Infinity."""
    value = text.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    if value[:1] in "+-":
        value = value[1:]
    try:
        if value in {".inf", ".nan"}:
            number = math.inf
        elif ":" in value:
            number = 0.0
            for part in value.split(":"):
                number = number * 60 + float(part)
        else:
            number = float(value)
    except ValueError:
        raise ScalarError(f"{_show(text)} is not a valid number") from None
    return check_float(sign * number, text)


def _show(text: str) -> str:
    """A scalar or tag for a message: escaped, and cut short when long."""
    if len(text) > 40:
        text = f"{text[:20]}...{text[-10:]} ({len(text)} characters)"
    return repr(text)
