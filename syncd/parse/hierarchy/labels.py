"""Kubernetes label selectors (`matchLabels`, `matchExpressions`), parsed and matched.

Parsing follows the API server's rules for a `LabelSelector`: keys are
qualified names (an optional DNS subdomain prefix and `/`, then at most 63
characters), values are label values, `In` and `NotIn` need values, `Exists`
and `DoesNotExist` take none. A selector with no requirement at all is
refused: Config Sync's selectors must say what they select.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

_NAME: Final = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_VALUE: Final = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
_LABEL: Final = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_PREFIX: Final = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_NAME_MAX: Final = 63
_PREFIX_MAX: Final = 253


class Operator(StrEnum):
    """The operators of a `matchExpressions` requirement."""

    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """One condition on one label."""

    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether `labels` meet this condition."""
        present = self.key in labels
        if self.operator is Operator.EXISTS:
            return present
        if self.operator is Operator.DOES_NOT_EXIST:
            return not present
        if self.operator is Operator.IN:
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelSelector:
    """Every requirement must hold (an AND)."""

    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, Any]) -> bool:
        """Whether an object with `labels` is selected."""
        clean = {k: v for k, v in labels.items() if isinstance(k, str) and isinstance(v, str)}
        return all(req.matches(clean) for req in self.requirements)


class SelectorSyntaxError(ValueError):
    """The selector is malformed; the message says which part."""


def parse_selector(value: object) -> LabelSelector:
    """The selector `value` (a decoded `spec.selector`) describes.

    Raises SelectorSyntaxError for a malformed or empty selector.
    """
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise SelectorSyntaxError("spec.selector must be a mapping")
    unknown = sorted(str(k) for k in value if k not in {"matchLabels", "matchExpressions"})
    if unknown:
        raise SelectorSyntaxError(f"spec.selector has unknown fields {unknown}")
    requirements = [*_match_labels(value.get("matchLabels")), *_expressions(value)]
    if not requirements:
        raise SelectorSyntaxError("spec.selector must declare matchLabels or matchExpressions")
    return LabelSelector(requirements=tuple(requirements))


def _match_labels(value: object) -> list[Requirement]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise SelectorSyntaxError("spec.selector.matchLabels must be a mapping")
    found = []
    for key, label in value.items():
        _check_key(key)
        if not isinstance(label, str) or not _valid_value(label):
            raise SelectorSyntaxError(
                f"matchLabels value {label!r} of {key!r} is not a label value"
            )
        found.append(Requirement(key=key, operator=Operator.IN, values=frozenset({label})))
    return found


def _expressions(selector: Mapping[str, Any]) -> list[Requirement]:
    value = selector.get("matchExpressions")
    if value is None:
        return []
    if not isinstance(value, list):
        raise SelectorSyntaxError("spec.selector.matchExpressions must be a list")
    return [_expression(item) for item in value]


def _expression(item: object) -> Requirement:
    if not isinstance(item, Mapping):
        raise SelectorSyntaxError("each matchExpressions item must be a mapping")
    key = item.get("key")
    _check_key(key)
    assert isinstance(key, str)  # noqa: S101 - _check_key refused anything else
    try:
        operator = Operator(str(item.get("operator")))
    except ValueError:
        raise SelectorSyntaxError(
            f"matchExpressions operator {item.get('operator')!r} of {key!r} is not "
            "In, NotIn, Exists or DoesNotExist"
        ) from None
    values = item.get("values") or []
    if not isinstance(values, list) or not all(
        isinstance(v, str) and _valid_value(v) for v in values
    ):
        raise SelectorSyntaxError(f"matchExpressions values of {key!r} must be label values")
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        raise SelectorSyntaxError(f"matchExpressions {operator} of {key!r} needs values")
    if operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
        raise SelectorSyntaxError(f"matchExpressions {operator} of {key!r} takes no values")
    return Requirement(key=key, operator=operator, values=frozenset(values))


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise SelectorSyntaxError(f"label key {key!r} is not a string")
    prefix, slash, name = key.rpartition("/")
    valid_name = len(name) <= _NAME_MAX and _NAME.fullmatch(name) is not None
    valid_prefix = not slash or (
        len(prefix) <= _PREFIX_MAX and _PREFIX.fullmatch(prefix) is not None
    )
    if not (valid_name and valid_prefix):
        raise SelectorSyntaxError(f"label key {key!r} is not a qualified name")


def _valid_value(value: str) -> bool:
    return len(value) <= _NAME_MAX and _VALUE.fullmatch(value) is not None
