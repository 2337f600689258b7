"""Drift: subset comparison of declared fields against the live object."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.plan.diff import drifted_fields


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "labels": {"app.kubernetes.io/name": "web"}},
        "spec": {
            "replicas": 2,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1", "ports": [{"containerPort": 80}]}
                    ]
                }
            },
        },
    }


def defaulted(declared: dict[str, Any]) -> dict[str, Any]:
    live = copy.deepcopy(declared)
    live["metadata"].update(
        uid="u",
        resourceVersion="7",
        generation=3,
        creationTimestamp="2025-01-01T00:00:00Z",
        managedFields=[{"manager": "syncd"}],
    )
    live["spec"]["strategy"] = {"type": "RollingUpdate"}
    container = live["spec"]["template"]["spec"]["containers"][0]
    container["imagePullPolicy"] = "IfNotPresent"
    container["ports"][0]["protocol"] = "TCP"
    live["status"] = {"replicas": 2}
    return live


def test_live_with_defaulted_fields_has_no_drift() -> None:
    declared = deployment()
    assert drifted_fields(declared, defaulted(declared)) == []


def test_changed_field_is_reported_with_its_path() -> None:
    declared = deployment()
    live = defaulted(declared)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    assert drifted_fields(declared, live) == [".spec.template.spec.containers[0].image"]


def test_removed_field_is_reported() -> None:
    declared = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a"},
        "data": {"key": "v"},
    }
    live = copy.deepcopy(declared)
    del live["data"]["key"]
    assert drifted_fields(declared, live) == [".data.key"]
    del live["data"]
    assert drifted_fields(declared, live) == [".data"]


def test_keys_with_special_characters_are_quoted() -> None:
    declared = deployment()
    live = defaulted(declared)
    live["metadata"]["labels"]["app.kubernetes.io/name"] = "other"
    assert drifted_fields(declared, live) == ['.metadata.labels["app.kubernetes.io/name"]']


def test_list_length_change_is_drift_of_the_whole_list() -> None:
    declared = deployment()
    live = defaulted(declared)
    live["spec"]["template"]["spec"]["containers"].append({"name": "sidecar"})
    assert drifted_fields(declared, live) == [".spec.template.spec.containers"]


def test_ignored_server_fields_never_drift() -> None:
    declared = deployment()
    declared["status"] = {"replicas": 9}
    declared["metadata"].update(uid="x", resourceVersion="1", generation=1, managedFields=[1])
    declared["metadata"]["creationTimestamp"] = "then"
    assert drifted_fields(declared, defaulted(deployment())) == []


@pytest.mark.parametrize(
    ("declared", "live", "drift"),
    [
        (1, 1.0, False),
        (0.5, 0.5, False),
        (1, 2, True),
        (True, 1, False),
        (False, "", True),
        ("1", 1, True),
        (None, "anything", False),
        ({"a": 1}, "x", True),
        ([1], {"a": 1}, True),
    ],
)
def test_scalar_equality_rules(declared: object, live: object, drift: bool) -> None:
    assert bool(drifted_fields({"spec": {"x": declared}}, {"spec": {"x": live}})) is drift


@pytest.mark.parametrize("empty", [None, {}, [], "", 0, False])
def test_empty_declared_values_missing_from_live_are_not_drift(empty: object) -> None:
    assert drifted_fields({"spec": {"x": empty}}, {"spec": {}}) == []


def test_non_empty_values_missing_from_live_are_drift() -> None:
    assert drifted_fields({"spec": {"x": 1}}, {"spec": {}}) == [".spec.x"]
    assert drifted_fields({"spec": {"x": True}}, {}) == [".spec"]


def test_reports_every_drifted_path() -> None:
    declared = {"data": {"a": "1", "b": "2", "c": "3"}}
    live = {"data": {"a": "1", "b": "x"}}
    assert drifted_fields(declared, live) == [".data.b", ".data.c"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=4), children, max_size=3)
    ),
    max_leaves=15,
)


@given(st.dictionaries(st.text(min_size=1, max_size=4), json_values, max_size=5))
def test_an_object_never_drifts_from_itself(value: dict[str, Any]) -> None:
    assert drifted_fields(value, copy.deepcopy(value)) == []


@given(
    st.dictionaries(st.text(min_size=1, max_size=4), json_values, max_size=5),
    st.dictionaries(st.text(min_size=1, max_size=4), json_values, max_size=3),
)
def test_extra_live_fields_never_drift(value: dict[str, Any], extra: dict[str, Any]) -> None:
    live = {**{f"extra-{k}": v for k, v in extra.items()}, **copy.deepcopy(value)}
    assert drifted_fields(value, live) == []


def test_resource_quantities_in_canonical_form_are_not_drift() -> None:
    declared = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "resources": {
                                "limits": {"cpu": 1, "memory": "1024Mi"},
                                "requests": {"cpu": 0.5},
                            },
                        }
                    ]
                }
            }
        }
    }
    live = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "resources": {
                                "limits": {"cpu": "1", "memory": "1Gi"},
                                "requests": {"cpu": "500m"},
                            },
                        }
                    ]
                }
            }
        }
    }
    assert drifted_fields(declared, live) == []


def test_a_changed_quantity_is_drift() -> None:
    declared = {"spec": {"hard": {"pods": "10"}}}
    assert drifted_fields(declared, {"spec": {"hard": {"pods": "11"}}}) == [".spec.hard.pods"]


def test_number_spellings_outside_quantity_fields_still_drift() -> None:
    declared = {"data": {"replicas": "1"}}
    assert drifted_fields(declared, {"data": {"replicas": "1.0"}}) == [".data.replicas"]
