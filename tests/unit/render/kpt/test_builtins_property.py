"""Every built-in returns an outcome for any items and any config: hostile configs cost an error.

Hypothesis feeds each catalogue function (Starlark aside: it has its own
sandbox tests) items shaped as the pipeline hands them on (a mapping
`metadata`, anything inside it and elsewhere) and arbitrary function
configs, typed or as ConfigMaps, good or malformed. None may raise; each returns either items
that are objects or a failure with results.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.render.kpt.builtins import BUILTINS
from syncd.render.kpt.model import Deadline

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=6))
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "namespace",
        "name",
        "value",
        "by-value",
        "put-value",
        "substring",
        "prepend",
        "replicas",
        "env",
        "labels",
        "annotations",
        "data",
        "source",
        "by-path",
        "setterName",
    ]
)


@st.composite
def item(draw: st.DrawFn) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": draw(st.text(min_size=1, max_size=6))}
    if draw(st.booleans()):
        metadata["namespace"] = draw(st.text(max_size=6))
    if draw(st.booleans()):
        metadata["labels"] = draw(st.dictionaries(st.text(max_size=4), JSON, max_size=2))
    if draw(st.booleans()):
        metadata["annotations"] = draw(st.dictionaries(st.text(max_size=4), JSON, max_size=2))
    body: dict[str, Any] = {
        "apiVersion": draw(st.sampled_from(["v1", "apps/v1", "kpt.dev/v1", 7])),
        "kind": draw(st.sampled_from(["ConfigMap", "Deployment", "Namespace", "Kptfile", ""])),
        # The pipeline reads and adopts items with a mapping `metadata` (set_file, _adopt).
        "metadata": metadata,
    }
    body.update(
        draw(st.dictionaries(st.sampled_from(["data", "spec", "status"]), JSON, max_size=2))
    )
    return body


@st.composite
def config(draw: st.DrawFn) -> dict[str, Any] | None:
    kind = draw(
        st.sampled_from(
            ["ConfigMap", "SetNamespace", "SetLabels", "ApplySetters", "SearchReplace", "Other"]
        )
    )
    data = draw(st.dictionaries(KEYS, st.one_of(SCALARS, JSON), max_size=4))
    if draw(st.booleans()):
        return None
    body: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "fn"}}
    body["data" if kind == "ConfigMap" else draw(st.sampled_from(["spec", "data", "labels"]))] = (
        data
    )
    return body


@pytest.mark.parametrize("name", sorted(n for n in BUILTINS if n != "starlark"))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(item(), max_size=4), function_config=config())
def test_a_built_in_returns_an_outcome_for_any_input(
    name: str, items: list[dict[str, Any]], function_config: dict[str, Any] | None
) -> None:
    outcome = BUILTINS[name](
        copy.deepcopy(items), function_config, deadline=Deadline(at=time.monotonic() + 30)
    )
    if outcome.items is None:
        assert outcome.results, "a refusal says why"
    else:
        assert all(isinstance(obj, dict) for obj in outcome.items)
