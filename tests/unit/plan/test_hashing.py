"""The declared hash: stable, canonical, blind to the commit and to itself."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from syncd.plan.hashing import declared_hash


def body(**annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "ns", "annotations": annotations},
        "data": {"k": "v"},
    }


def test_hash_is_hex_sha256() -> None:
    value = declared_hash(body())
    assert len(value) == 64
    int(value, 16)


def test_commit_and_hash_annotations_do_not_change_the_hash() -> None:
    plain = declared_hash(body())
    assert declared_hash(body(**{"syncd.dev/commit": "abc"})) == plain
    assert declared_hash(body(**{"syncd.dev/declared-hash": "x", "syncd.dev/commit": "d"})) == plain


def test_other_annotations_and_content_change_the_hash() -> None:
    plain = declared_hash(body())
    assert declared_hash(body(**{"syncd.dev/source-path": "a.yaml"})) != plain
    changed = body()
    changed["data"]["k"] = "w"
    assert declared_hash(changed) != plain


def test_hashing_does_not_mutate_the_input() -> None:
    given_body = body(**{"syncd.dev/commit": "abc"})
    before = copy.deepcopy(given_body)
    declared_hash(given_body)
    assert given_body == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


def reorder(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reorder(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reorder(v) for v in value]
    return value


@given(st.dictionaries(st.text(max_size=5), json_values, max_size=6))
def test_hash_is_stable_under_key_order(value: dict[str, Any]) -> None:
    assert declared_hash(value) == declared_hash(reorder(value))
    assert declared_hash(value) == declared_hash(copy.deepcopy(value))
