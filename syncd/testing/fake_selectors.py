"""Label selectors as the API server parses them, for FakeCluster's LIST and WATCH.

Supported: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`,
joined by commas (AND). `!=` and `notin` match objects without the key, as
on the real server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

_KEY: Final = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE: Final = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_SET: Final = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s+\((?P<values>[^()]*)\)$")


class SelectorError(ValueError):
    """A label selector the API server would reject (400 BadRequest)."""


class Operator(StrEnum):
    """One requirement's operator."""

    EQUALS = "="
    NOT_EQUALS = "!="
    IN = "in"
    NOT_IN = "notin"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """One comma-separated term of a selector."""

    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` satisfy this term."""
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case Operator.EXISTS:
                return present
            case Operator.DOES_NOT_EXIST:
                return not present
            case Operator.EQUALS | Operator.IN:
                return present and value in self.values
            case Operator.NOT_EQUALS | Operator.NOT_IN:
                return not present or value not in self.values


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelSelector:
    """A parsed selector: every requirement must hold (empty matches everything)."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether an object with `labels` is selected."""
        return all(req.matches(labels) for req in self.requirements)


def parse_selector(text: str) -> LabelSelector:
    """Parse a label selector string; SelectorError when it is malformed."""
    return LabelSelector(
        requirements=tuple(_requirement(term.strip()) for term in _terms(text) if term.strip())
    )


def _terms(text: str) -> list[str]:
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unbalanced parenthesis in selector {text!r}")
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise SelectorError(f"unbalanced parenthesis in selector {text!r}")
    terms.append("".join(current))
    return terms


def _requirement(term: str) -> Requirement:
    if set_match := _SET.match(term):
        values = frozenset(v.strip() for v in set_match["values"].split(",") if v.strip())
        op = Operator.IN if set_match["op"] == "in" else Operator.NOT_IN
        return _checked(set_match["key"], op, values)
    for token, op in (("!=", Operator.NOT_EQUALS), ("==", Operator.EQUALS), ("=", Operator.EQUALS)):
        if token in term:
            key, _, value = term.partition(token)
            return _checked(key.strip(), op, frozenset({value.strip()}))
    if term.startswith("!"):
        return _checked(term[1:].strip(), Operator.DOES_NOT_EXIST, frozenset())
    return _checked(term, Operator.EXISTS, frozenset())


def _checked(key: str, op: Operator, values: frozenset[str]) -> Requirement:
    if not _KEY.match(key):
        raise SelectorError(f"invalid label key {key!r} in selector")
    for value in values:
        if not _VALUE.match(value) or len(value) > 63:
            raise SelectorError(f"invalid label value {value!r} in selector")
    if op in (Operator.IN, Operator.NOT_IN) and not values:
        raise SelectorError(f"{key} {op.value} needs at least one value")
    return Requirement(key=key, operator=op, values=values)
