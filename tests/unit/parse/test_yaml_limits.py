"""YAML decoding within limits: depth, alias and merge expansion, scalars Kubernetes cannot hold."""

from __future__ import annotations

import json

import pytest
import yaml

from syncd.core.errors import ErrorCode
from syncd.core.fields import missing_paths
from syncd.core.limits import DEPTH_CEILING, DecodeLimits
from syncd.parse.decode import decode_text
from syncd.plan.hashing import declared_hash

HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n"


def decode(text: str, **limits: int) -> tuple[list[dict[str, object]], list[str], list[ErrorCode]]:
    result = decode_text(text, source_path="x.yaml", limits=DecodeLimits(**limits))
    bodies = [dict(m.body) for m in result.manifests]
    return bodies, [e.message for e in result.errors], [e.code for e in result.errors]


def nested_flow(levels: int) -> str:
    """A document whose `x` value nests `levels - 1` lists (the document itself is level 1)."""
    inner = levels - 1
    return HEAD + "x: " + "[" * inner + "]" * inner + "\n"


def nested_block(levels: int) -> str:
    lines = [HEAD.rstrip("\n")]
    lines.extend("  " * (i - 1) + f"k{i}:" for i in range(1, levels + 1))
    return "\n".join(lines) + " 1\n"


@pytest.mark.parametrize("builder", [nested_flow, nested_block])
def test_nesting_up_to_max_depth_decodes_and_one_more_level_is_sd1072(builder: object) -> None:
    build = builder  # a function of the level count
    bodies, messages, _ = decode(build(10), max_depth=10)  # type: ignore[operator]
    assert len(bodies) == 1, messages
    bodies, messages, codes = decode(build(11), max_depth=10)  # type: ignore[operator]
    assert bodies == []
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]
    assert "deeper than 10 levels" in messages[0]
    assert messages[0].startswith("x.yaml:")


def test_thirty_thousand_levels_of_flow_nesting_are_an_error_not_a_crash() -> None:
    text = HEAD + "x: " + "[" * 30_000 + "]" * 30_000 + "\n"
    bodies, messages, codes = decode(text)
    assert bodies == []
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]
    assert messages[0].startswith("x.yaml:4:")


def test_everything_downstream_handles_a_document_at_the_depth_ceiling() -> None:
    value: object = "leaf"
    for _ in range(DEPTH_CEILING - 2):
        value = {"k": value}
    text = yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": value}
    )
    result = decode_text(text, source_path="x.yaml", limits=DecodeLimits(max_depth=10_000))
    [manifest] = result.manifests
    body = dict(manifest.body)
    assert yaml.safe_load(yaml.safe_dump(body)) == body
    assert json.loads(json.dumps(body)) == body
    assert declared_hash(body)
    assert missing_paths(body, {})  # the drift walk survives the deepest allowed document
    deeper = decode_text(
        HEAD + "x: " + "[" * DEPTH_CEILING + "]" * DEPTH_CEILING + "\n",
        source_path="x.yaml",
        limits=DecodeLimits(max_depth=10_000),
    )
    assert [e.code for e in deeper.errors] == [ErrorCode.SOURCE_TOO_LARGE]
    assert f"deeper than {DEPTH_CEILING} levels" in deeper.errors[0].message


def test_an_alias_counts_the_depth_of_the_value_it_stands_for() -> None:
    deep = "[" * 6 + "]" * 6
    text = HEAD + f"a: &deep {deep}\nb: [[[[*deep]]]]\n"
    _, messages, codes = decode(text, max_depth=9)
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]
    assert "x.yaml:5:" in messages[0]
    bodies, _, _ = decode(text, max_depth=11)
    assert bodies[0]["b"] == [[[[[[[[[[]]]]]]]]]]


def test_billion_laughs_stops_at_max_nodes_without_building_it() -> None:
    lines = [HEAD + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    bodies, messages, codes = decode("\n".join(lines) + "\n")
    assert bodies == []
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]
    assert "expands to more than 1000000 values" in messages[0]


def test_doubling_merge_keys_count_as_expanded() -> None:
    lines = [HEAD + "m0: &m0 {a: 1, b: 2}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}" for i in range(1, 40)]
    bodies, messages, codes = decode("\n".join(lines) + "\n")
    assert bodies == []
    assert codes == [ErrorCode.SOURCE_TOO_LARGE]
    assert "merge keys counted as expanded" in messages[0]


def test_merge_keys_follow_kubernetes_precedence() -> None:
    text = HEAD + (
        "base: &base {a: base, b: base, c: base}\n"
        "other: &other {a: other, d: other}\n"
        "one: {<<: *base, b: mine}\n"
        "list: {<<: [*other, *base], c: mine}\n"
        "inline: {<<: {x: 1}, y: 2}\n"
        "quoted: {'<<': 1}\n"
        "value: <<\n"
    )
    [body], messages, _ = decode(text)
    assert messages == []
    assert body["one"] == {"a": "base", "b": "mine", "c": "base"}
    assert body["list"] == {"a": "other", "b": "base", "c": "mine", "d": "other"}
    assert body["inline"] == {"x": 1, "y": 2}
    assert body["quoted"] == {"<<": 1}
    assert body["value"] == "<<"


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ("x: {<<: 1}", "merge key (<<) takes a mapping"),
        ("x: {<<: [1, 2]}", "merge key (<<) takes a mapping"),
        ("x: &a [*a]", "inside the node it names"),
        ("x: *nowhere", "names no anchor"),
        ("x: &a 1\ny: &a 2", "defined twice"),
        ("? [a]\n: 1", "keys must be scalars"),
        ("q: &q {a: 1}\n? *q\n: 1", "keys must be scalars"),
        ("x: !!str {a: 1}", "cannot be used on a mapping"),
        ("x: !!set {a: null}", "cannot be used on a mapping"),
    ],
)
def test_structural_problems_are_sd1006_with_a_line(snippet: str, problem: str) -> None:
    bodies, messages, codes = decode(HEAD + snippet + "\n")
    assert bodies == []
    assert codes == [ErrorCode.PARSE_ERROR]
    assert problem in messages[0]
    assert messages[0].startswith(("x.yaml:4:", "x.yaml:5:", "x.yaml:6:"))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("!!int abc", "is not an integer"),
        ("!!int 1.5", "is not an integer"),
        ("!!bool maybe", "is not a boolean"),
        ("!!null x", "is not null"),
        ("!!float abc", "is not a number"),
        ("!!binary aGVsbG8=", "no JSON form"),
        ("!!timestamp 2024-01-01", "no JSON form"),
        ("!custom x", "unknown tag"),
        ("9" * 5000, "outside the 64-bit range"),
        ("18446744073709551616", "outside the 64-bit range"),
        ("-9223372036854775809", "outside the 64-bit range"),
        ("0b_", "is not a valid integer"),
        ("0x_", "is not a valid integer"),
        (".nan", "not a finite number"),
        (".inf", "not a finite number"),
        ("-.Inf", "not a finite number"),
        ("1.0e+999", "not a finite number"),
        ('"\\ud800"', "invalid Unicode character escape"),
        ("!foo%0Abar 1", "unknown tag '!foo\\nbar'"),
    ],
)
def test_scalars_kubernetes_cannot_hold_are_sd1006_with_file_and_line(
    value: str, problem: str
) -> None:
    bodies, messages, codes = decode(HEAD + f"data:\n  x: {value}\n")
    assert bodies == []
    assert codes == [ErrorCode.PARSE_ERROR]
    assert messages[0].startswith("x.yaml:5:"), messages
    assert problem in messages[0]
    assert "\n" not in messages[0]


def test_integers_at_the_edges_of_64_bits_and_other_scalars_decode() -> None:
    text = HEAD + (
        "data:\n  max: 18446744073709551615\n  min: -9223372036854775808\n"
        "  octal: 0644\n  hex: 0xff\n  bin: 0b101\n  sexagesimal: 1:30\n  float: 1.5e+3\n"
        "  tagged: !!float 1\n  str: !!str 123\n  nonspecific: ! 12\n  t: !!bool Yes\n"
        "  n: !!null ~\n  i: !!int '7'\n  date: 2024-01-01\n  empty:\n  1: one\n  null: x\n"
    )
    [body], messages, _ = decode(text)
    assert messages == []
    assert body["data"] == {
        "max": 2**64 - 1,
        "min": -(2**63),
        "octal": 0o644,
        "hex": 255,
        "bin": 5,
        "sexagesimal": 90,
        "float": 1500.0,
        "tagged": 1.0,
        "str": "123",
        "nonspecific": "12",
        "t": True,
        "n": None,
        "i": 7,
        "date": "2024-01-01",
        "empty": None,
        "1": "one",
        "null": "x",
    }


def test_an_anchor_on_a_merge_key_stands_for_the_string() -> None:
    [body], messages, _ = decode(HEAD + "x: {&a <<: {y: 1}, b: *a}\n")
    assert messages == []
    assert body["x"] == {"y": 1, "b": "<<"}


def test_control_characters_in_the_stream_are_sd1006_with_line_and_column() -> None:
    _, messages, codes = decode(HEAD + "x: a\x01b\n")
    assert codes == [ErrorCode.PARSE_ERROR]
    assert messages[0].startswith("x.yaml:4:5: unacceptable character #x0001")
