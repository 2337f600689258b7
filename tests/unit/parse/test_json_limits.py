"""JSON decoding within limits: depth measured first, numbers and strings Kubernetes holds."""

from __future__ import annotations

import json

import pytest
import yaml

from syncd.core.errors import ErrorCode
from syncd.core.limits import DecodeLimits
from syncd.parse.decode import decode_text

HEAD = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}'


def decode(text: str, **limits: int) -> tuple[list[dict[str, object]], list[str], list[ErrorCode]]:
    result = decode_text(text, source_path="x.json", limits=DecodeLimits(**limits))
    return (
        [dict(m.body) for m in result.manifests],
        [e.message for e in result.errors],
        [e.code for e in result.errors],
    )


def nested(levels: int) -> str:
    inner = levels - 1
    return HEAD + ', "x": ' + "[" * inner + "]" * inner + "}"


def test_json_nesting_up_to_max_depth_decodes_and_renders() -> None:
    [body], messages, _ = decode(nested(100))
    assert messages == []
    assert yaml.safe_load(yaml.safe_dump(body)) == body


def test_four_hundred_levels_of_json_nesting_are_sd1072_before_parsing() -> None:
    bodies, messages, codes = decode(nested(400))
    assert bodies == []
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]
    assert "deeper than 100 levels" in messages[0]


def test_a_million_levels_of_json_nesting_are_sd1072() -> None:
    _, _, codes = decode(HEAD + ', "x": ' + "[" * 1_000_000 + "}")
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    tricky = json.dumps("[[[[" * 100 + '\\"{{{{' * 100)
    [body], messages, _ = decode(HEAD + f', "x": {tricky}}}', max_depth=3)
    assert messages == []
    assert isinstance(body["x"], str)


def test_json_with_more_values_than_max_nodes_is_sd1072() -> None:
    _, messages, codes = decode(HEAD + ', "x": [' + ",".join(["0"] * 200) + "]}", max_nodes=100)
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]
    assert "more than 100 values" in messages[0]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("NaN", "NaN is not valid JSON"),
        ("-Infinity", "-Infinity is not valid JSON"),
        ("1e999", "not a finite number"),
        ("9" * 5000, "outside the 64-bit range"),
        ("18446744073709551616", "outside the 64-bit range"),
        ("-9223372036854775809", "outside the 64-bit range"),
        ('"\\ud800"', "lone UTF-16 surrogate"),
        ('{"\\udfff": 1}', "lone UTF-16 surrogate"),
    ],
)
def test_values_kubernetes_cannot_hold_are_sd1006_with_a_line(value: str, problem: str) -> None:
    bodies, messages, codes = decode(HEAD + ',\n  "x": ' + value + "}")
    assert bodies == []
    assert codes == [ErrorCode.PARSE_ERROR]
    assert messages[0].startswith("x.json:2:"), messages
    assert problem in messages[0]


def test_surrogate_pairs_and_64_bit_edges_decode() -> None:
    text = HEAD + ', "x": ["\\ud83d\\ude00", 18446744073709551615, -9223372036854775808, 1.5]}'
    [body], messages, _ = decode(text)
    assert messages == []
    assert body["x"] == ["\U0001f600", 2**64 - 1, -(2**63), 1.5]


def test_a_json_null_document_declares_nothing() -> None:
    assert decode("null") == ([], [], [])
