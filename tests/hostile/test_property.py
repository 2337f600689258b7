"""Property: whatever bytes or YAML a package holds, decoding gives objects or coded errors.

Three generators feed the decoder: arbitrary bytes (as a `.yaml` and a
`.json` file), arbitrary YAML built from the constructs that broke parsers
before (nesting, anchors and aliases, merge keys, tags, odd scalars), and
arbitrary JSON-like values written by PyYAML and `json` (which must come
back unchanged). Each example must finish within the hypothesis deadline
and a memory budget, may only return manifests and `SyncdError`s with a
parse-stage code, and every manifest must survive what syncd does next
(JSON without NaN, UTF-8, a YAML dump). Examples are derandomized and no
example database is kept, so CI runs the same examples every time.
"""

from __future__ import annotations

import json
import math
import tempfile
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.core.results import DecodeResult
from syncd.parse.decode import decode_directory, decode_text
from syncd.parse.text import is_safe

MEMORY_BUDGET_BYTES = 32 * 1024 * 1024
SMALL = DecodeLimits(max_depth=12, max_nodes=400, max_objects=20)
PARSE_CODES = {ErrorCode.PARSE_ERROR, ErrorCode.SOURCE_TOO_LARGE}
PROFILE = settings(
    derandomize=True,
    database=None,
    deadline=3000,
    max_examples=250,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def memory_budget() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BUDGET_BYTES, peak


def depth_of(value: object) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest


def assert_only_objects_or_coded_errors(result: DecodeResult, limits: DecodeLimits) -> None:
    assert isinstance(result, DecodeResult)
    for error in result.errors:
        assert isinstance(error, SyncdError)
        assert error.code in PARSE_CODES
        assert is_safe(error.message), error.message
    for manifest in result.manifests:
        body = dict(manifest.body)
        text = json.dumps(body, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
        yaml.safe_dump(body)
        assert depth_of(body) <= limits.max_depth
    assert result.complete == (not result.errors)


# ------------------------------------------------------------------ arbitrary bytes


@PROFILE
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes_decode_to_objects_or_coded_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp, memory_budget():
        root = Path(tmp)
        (root / "x.yaml").write_bytes(data)
        (root / "x.json").write_bytes(data)
        for limits in (DecodeLimits(), SMALL):
            assert_only_objects_or_coded_errors(decode_directory(root, limits=limits), limits)


# ------------------------------------------------------------------ arbitrary YAML

ODD_SCALARS = [
    "~",
    "null",
    "",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "0",
    "-0",
    "0x_",
    "0b_",
    "0o7",
    "0777",
    "0x1F",
    "1_000",
    "1:30",
    "1:60",
    "190:20:30.15",
    ".5",
    "1.",
    "-.inf",
    ".NaN",
    "1e3",
    "1.0e+999",
    "9" * 30,
    "-" + "9" * 25,
    "18446744073709551615",
    "18446744073709551616",
    "2024-01-01",
    "2001-12-14t21:59:43.10-05:00",
    "<<",
    "=",
    "'quoted'",
    '"\\ud800"',
    '"\\U0001F600"',
    '"\\x85"',
    '"tab\\tnl\\n"',
    "|\n  block\n",
    ">-\n  folded\n",
]
TAGS = [
    "!!int",
    "!!bool",
    "!!float",
    "!!null",
    "!!str",
    "!!binary",
    "!!set",
    "!!omap",
    "!!pairs",
    "!!timestamp",
    "!!merge",
    "!!map",
    "!!seq",
    "!",
    "!local",
    "!<tag:yaml.org,2002:int>",
]
ANCHORS = ["a", "b", "c"]


def _decorated(node: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    prefix = st.one_of(
        st.just(""),
        st.sampled_from(TAGS).map(lambda tag: tag + " "),
        st.sampled_from(ANCHORS).map(lambda name: f"&{name} "),
    )
    return st.tuples(prefix, node).map("".join)


_plain = st.text(alphabet="abcxyz019 -_.:'\"\\#&*!|>%@`", max_size=8)
_scalar = _decorated(st.one_of(st.sampled_from(ODD_SCALARS), _plain))
_alias = st.sampled_from(ANCHORS).map(lambda name: f"*{name}")


def _containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    flow_list = st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    key = st.one_of(st.sampled_from(["k", "<<", "'<<'", "1", "true", "null", "? [x]"]), _plain)
    pairs = st.lists(st.tuples(key, children), max_size=4)
    flow_map = pairs.map(lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}")
    return _decorated(st.one_of(flow_list, flow_map))


_node = st.recursive(st.one_of(_scalar, _alias), _containers, max_leaves=30)
_header = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n"


@PROFILE
@given(
    body=st.lists(st.tuples(st.sampled_from(["data", "x", "<<", "spec"]), _node), max_size=5),
    deep=st.integers(min_value=0, max_value=40),
    documents=st.integers(min_value=1, max_value=3),
)
def test_arbitrary_yaml_decodes_to_objects_or_coded_errors(
    body: list[tuple[str, str]], deep: int, documents: int
) -> None:
    lines = [f"{key}: {'[' * deep}{value}{']' * deep}" for key, value in body]
    document = _header + "\n".join(lines) + "\n"
    text = "---\n".join([document] * documents)
    with memory_budget():
        for limits in (DecodeLimits(), SMALL):
            result = decode_text(text, source_path="x.yaml", limits=limits)
            assert_only_objects_or_coded_errors(result, limits)
            event(f"objects={len(result.manifests)} codes={sorted(e.code for e in result.errors)}")


# ------------------------------------------------------------------ round trips

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
)
_json_values = st.recursive(
    _json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.text(st.characters(exclude_categories=["Cs"]), max_size=6), children, max_size=4
        ),
    ),
    max_leaves=25,
)


@PROFILE
@given(value=_json_values)
def test_values_written_by_pyyaml_and_json_decode_unchanged(value: object) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": value}
    for text, path in ((yaml.safe_dump(obj), "x.yaml"), (json.dumps(obj), "x.json")):
        result = decode_text(text, source_path=path)
        assert result.errors == (), (text, result.errors)
        [manifest] = result.manifests
        decoded = manifest.body["data"]
        assert _same(decoded, value), (text, decoded)


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        return isinstance(left, int | float) and math.isclose(left, right, rel_tol=1e-15)  # type: ignore[arg-type]
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return type(left) is type(right) and left == right
