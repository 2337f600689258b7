r"""Decoding one JSON manifest file within limits.

Owns JSON decoding. `json.loads` recurses once per nesting level and what
it builds is walked recursively downstream (render's YAML dump, hashing,
diffs), so the text is measured first with a linear scan that skips strings:
nesting deeper than `max_depth` (at most `DEPTH_CEILING`) or more than
`max_nodes` values is SD1072 before `json.loads` sees it. Then, like Kubernetes:

- NaN and Infinity are not JSON (SD1006), nor are numbers that overflow to
  infinity (`1e999`);
- integers must fit a signed or unsigned 64-bit integer; their size is
  checked on the text (a 5,000-digit number is an error, not a ValueError);
- a `\ud800` escape that is not half of a surrogate pair is an error: such a
  string has no UTF-8 form and would fail later, when encoded.

Errors leave as `JsonError` (message, line, column, code).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Final, NoReturn

from syncd.core.errors import ErrorCode
from syncd.core.limits import DEPTH_CEILING, DecodeLimits
from syncd.parse.located import LocatedError
from syncd.parse.scalars import ScalarError, check_float, check_int, int_range_error
from syncd.parse.text import SURROGATE

_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_MAX_INT_TEXT: Final = 21


class JsonError(LocatedError):
    """A JSON file that cannot be decoded, with where and which code."""


class _NumberError(ValueError):
    def __init__(self, problem: str, text: str) -> None:
        super().__init__(problem)
        self.text = text


def json_document(text: str, *, limits: DecodeLimits) -> object:
    """The value of `text`, or JsonError."""
    _measure(text, limits)
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, parse_int=_int, parse_float=_float
        )
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, line=exc.lineno, column=exc.colno) from None
    except _NumberError as exc:
        line, column = _where(text, text.find(exc.text))
        raise JsonError(str(exc), line=line, column=column) from None
    except RecursionError:  # pragma: no cover - _measure keeps documents shallower
        raise JsonError("nested too deeply", line=0, column=0) from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        line, column = _where(text, _SURROGATE_ESCAPE.search(text).start())  # type: ignore[union-attr]
        raise JsonError(
            "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which has no UTF-8 form",
            line=line,
            column=column,
        )
    return value


def _measure(text: str, limits: DecodeLimits) -> None:
    """SD1072 when `text` holds more values or deeper nesting than the limits allow."""
    structure = _STRING.sub('""', text)
    nodes = 1 + sum(structure.count(mark) for mark in ",:[{")
    if nodes > limits.max_nodes:
        _too_large(f"the document holds more than {limits.max_nodes} values")
    brackets = _NOT_BRACKET.sub("", structure)
    if not brackets:
        return
    max_depth = min(limits.max_depth, DEPTH_CEILING)
    if max(accumulate(_DEPTH_STEP[char] for char in brackets)) > max_depth:
        _too_large(f"lists and mappings nest deeper than {max_depth} levels (SYNCD_MAX_DEPTH)")


def _too_large(problem: str) -> NoReturn:
    raise JsonError(problem, line=0, column=0, code=ErrorCode.SOURCE_TOO_LARGE)


def _reject_constant(name: str) -> object:
    raise _NumberError(f"{name} is not valid JSON", name)


def _int(text: str) -> int:
    if len(text) > _MAX_INT_TEXT:
        raise _NumberError(str(int_range_error(text)), text)
    try:
        return check_int(int(text), text)
    except ScalarError as exc:
        raise _NumberError(str(exc), text) from None


def _float(text: str) -> float:
    try:
        return check_float(float(text), text)
    except ScalarError as exc:
        raise _NumberError(str(exc), text) from None


def _has_lone_surrogate(value: object) -> bool:
    """Whether any string (key or value) in `value` holds a surrogate; no recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _where(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of `index` in `text` (1, 1 when unknown)."""
    if index < 0:
        return 1, 1
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1
