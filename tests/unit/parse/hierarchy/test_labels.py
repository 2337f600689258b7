"""Label selectors: every operator, and the malformed selectors the API server refuses."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.parse.hierarchy.labels import SelectorSyntaxError, parse_selector


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        item["values"] = list(values)
    return {"matchExpressions": [item]}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({"matchLabels": {"env": "dev"}}, {"env": "dev"}, True),
        ({"matchLabels": {"env": "dev"}}, {"env": "prod"}, False),
        ({"matchLabels": {"env": "dev"}}, {}, False),
        (expr("env", "In", "dev", "qa"), {"env": "qa"}, True),
        (expr("env", "In", "dev"), {}, False),
        (expr("env", "NotIn", "prod"), {"env": "dev"}, True),
        (expr("env", "NotIn", "prod"), {}, True),
        (expr("env", "NotIn", "prod"), {"env": "prod"}, False),
        (expr("env", "Exists"), {"env": ""}, True),
        (expr("env", "Exists"), {}, False),
        (expr("env", "DoesNotExist"), {}, True),
        (expr("env", "DoesNotExist"), {"env": "x"}, False),
        ({"matchLabels": {"a": "1"}, **expr("b", "Exists")}, {"a": "1"}, False),
        ({"matchLabels": {"a": "1"}, **expr("b", "Exists")}, {"a": "1", "b": "2"}, True),
    ],
)
def test_selector_matches_as_kubernetes_does(
    selector: dict[str, Any], labels: dict[str, str], expected: bool
) -> None:
    assert parse_selector(selector).matches(labels) is expected


@pytest.mark.parametrize(
    "selector",
    [
        None,
        {},
        {"matchLabels": {}},
        "env=dev",
        {"matchLabels": {"env": "two words"}},
        {"matchLabels": {"Bad Key": "x"}},
        {"matchLabels": {"UPPER.example/x": "y"}},
        expr("env", "In"),
        expr("env", "Exists", "x"),
        expr("env", "Equals", "x"),
        {"matchExpressions": "env"},
        {"matchLabel": {"env": "dev"}},
    ],
)
def test_malformed_or_empty_selectors_are_refused(selector: Any) -> None:
    with pytest.raises(SelectorSyntaxError):
        parse_selector(selector)


def test_prefixed_keys_are_accepted() -> None:
    parsed = parse_selector({"matchLabels": {"example.com/team": "a"}})
    assert parsed.matches({"example.com/team": "a"})
