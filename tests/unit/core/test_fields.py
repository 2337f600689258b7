"""syncd.core.fields reads what server-side apply owns, on tries taken from a real server."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from syncd.core.fieldpaths import element_key, format_path
from syncd.core.fields import (
    entry_fields,
    missing_paths,
    syncd_entry,
)
from tests.unit.core.ssa_samples import (
    CONTAINER,
    DEPLOYMENT,
    DEPLOYMENT_FIELDS,
    EMPTIES,
    EMPTIES_FIELDS,
    SECRET,
    SECRET_FIELDS,
    WIDGET,
    WIDGET_FIELDS,
    entry,
    fields_without,
    live_object,
)

POD = ("f:spec", "f:template", "f:spec")
APP = (*POD, "f:containers", CONTAINER)
PREFIX = '.spec.template.spec.containers[name="app"]'

# -- entries -----------------------------------------------------------------


def test_syncd_entry_is_the_apply_entry_of_the_main_resource() -> None:
    apply = entry("syncd", {"f:data": {}})
    obj = live_object(
        {"metadata": {}},
        entry("syncd", {"f:x": {}}, operation="Update"),
        {**entry("syncd", {"f:status": {}}), "subresource": "status"},
        entry("kubectl", {"f:y": {}}),
        apply,
    )
    assert syncd_entry(obj) is obj["metadata"]["managedFields"][3]
    assert syncd_entry(obj, manager="kubectl") is obj["metadata"]["managedFields"][2]
    assert syncd_entry(obj, manager="nobody") is None


@pytest.mark.parametrize(
    "obj",
    [{}, {"metadata": None}, {"metadata": {"managedFields": None}}, {"metadata": {}}],
)
def test_an_object_without_entries_has_no_syncd_entry(obj: dict[str, Any]) -> None:
    assert syncd_entry(obj) is None
    assert entry_fields(syncd_entry(obj)) == {}


def test_entry_fields_is_empty_when_the_entry_has_no_trie() -> None:
    assert entry_fields({"manager": "syncd"}) == {}
    assert entry_fields(entry("syncd", SECRET_FIELDS)) == SECRET_FIELDS


# -- missing_paths: what the server owns right after an apply ----------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (DEPLOYMENT, DEPLOYMENT_FIELDS),
        (WIDGET, WIDGET_FIELDS),
        (SECRET, SECRET_FIELDS),
        (EMPTIES, EMPTIES_FIELDS),
    ],
    ids=["deployment", "custom-resource", "secret-stringdata", "empties"],
)
def test_nothing_is_missing_right_after_an_apply(
    body: dict[str, Any], fields: dict[str, Any]
) -> None:
    # Defaulted key fields (port 80 without protocol), rewritten quantities
    # (1024Mi stored as 1Gi), stringData, atomic lists and structs, sets,
    # empty maps and an empty associative list all count as owned.
    assert missing_paths(body, fields) == ()


@pytest.mark.parametrize(
    ("lost", "expected"),
    [
        (
            (*APP, "f:securityContext", "f:allowPrivilegeEscalation"),
            f"{PREFIX}.securityContext.allowPrivilegeEscalation",
        ),
        (
            (*POD, "f:volumes", 'k:{"name":"scratch"}', "f:emptyDir"),
            '.spec.template.spec.volumes[name="scratch"].emptyDir',
        ),
        (
            ("f:spec", "f:template", "f:metadata", "f:labels", "f:empty"),
            ".spec.template.metadata.labels.empty",
        ),
        (("f:metadata", "f:labels", "f:empty"), ".metadata.labels.empty"),
        ((*APP, "f:image"), f"{PREFIX}.image"),
        (
            (*POD, "f:automountServiceAccountToken"),
            ".spec.template.spec.automountServiceAccountToken",
        ),
        (("f:spec", "f:replicas"), ".spec.replicas"),
        ((*POD, "f:tolerations"), ".spec.template.spec.tolerations"),
        (
            (*APP, "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'),
            f"{PREFIX}.ports[containerPort=80]",
        ),
    ],
    ids=[
        "allowPrivilegeEscalation",
        "emptyDir",
        "empty-template-label",
        "empty-label",
        "image",
        "automountServiceAccountToken",
        "replicas",
        "atomic-list",
        "port-element",
    ],
)
def test_a_field_another_manager_took_or_removed_is_missing(
    lost: tuple[str, ...], expected: str
) -> None:
    assert missing_paths(DEPLOYMENT, fields_without(DEPLOYMENT_FIELDS, *lost)) == (expected,)


def test_fields_are_reported_in_the_servers_path_syntax() -> None:
    body = copy.deepcopy(DEPLOYMENT)
    body["metadata"]["labels"]["app.kubernetes.io/name"] = "web"
    body["metadata"]["annotations"] = {"team~/x": "y"}
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["ports"].append({"containerPort": 81, "protocol": "TCP"})
    body["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "x"})
    assert missing_paths(body, DEPLOYMENT_FIELDS) == (
        '.metadata.labels["app.kubernetes.io/name"]',
        '.metadata.annotations["team~/x"]',
        f'{PREFIX}.ports[containerPort=81,protocol="TCP"]',
        '.spec.template.spec.containers[name="sidecar"]',
    )


def test_identity_server_fields_status_and_nulls_declare_nothing() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "a",
            "namespace": "b",
            "uid": "u",
            "resourceVersion": "1",
            "generation": 1,
            "creationTimestamp": "t",
            "managedFields": [],
            "labels": None,
        },
        "data": {"k": None},
        "binaryData": None,
        "status": {"phase": "x"},
    }
    assert missing_paths(body, {}) == ()


def test_an_empty_declared_map_needs_its_node_and_an_empty_list_needs_nothing() -> None:
    body = {"metadata": {"labels": {}}, "spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}
    fields = {"f:spec": {"f:volumes": {'k:{"name":"v"}': {".": {}, "f:name": {}}}}}
    assert missing_paths(body, fields) == (
        ".metadata.labels",
        '.spec.volumes[name="v"].emptyDir',
    )
    assert missing_paths({"spec": {"env": [], "args": []}}, {}) == ()


def test_a_missing_subtree_reports_each_declared_leaf() -> None:
    body = {"data": {"a": "1", "b": {"c": 2, "d": None}}, "spec": {"list": [1, 2]}}
    assert missing_paths(body, {}) == (".data.a", ".data.b.c", ".spec.list")


def test_a_leaf_owns_its_whole_subtree() -> None:
    body = {"spec": {"selector": {"matchLabels": {"app": "web"}}, "items": [{"a": {"b": 1}}]}}
    assert missing_paths(body, {"f:spec": {"f:selector": {}, "f:items": {}}}) == ()


def test_an_associative_element_with_only_its_key_owned_is_a_leaf() -> None:
    body = EMPTIES["spec"]["template"]["spec"]
    fields = EMPTIES_FIELDS["f:spec"]["f:template"]["f:spec"]
    assert missing_paths({"spec": body}, {"f:spec": fields}) == ()


def test_declared_key_fields_must_equal_the_elements_key_with_their_json_type() -> None:
    ports = DEPLOYMENT_FIELDS["f:spec"]["f:template"]["f:spec"]["f:containers"][CONTAINER]
    fields = {"f:ports": ports["f:ports"]}
    assert missing_paths({"ports": [{"containerPort": 53, "protocol": "UDP"}]}, fields) == ()
    assert missing_paths({"ports": [{"containerPort": 53, "protocol": "TCP"}]}, fields) == (
        '.ports[containerPort=53,protocol="TCP"]',
    )
    assert missing_paths({"ports": [{"containerPort": "80"}]}, fields) == (
        '.ports[containerPort="80"]',
    )
    assert missing_paths({"ports": [{"containerPort": 80.0}]}, fields) == ()


def test_an_element_omitting_a_key_field_matches_any_element_that_owns_it_all() -> None:
    fields = {
        "f:ports": {
            'k:{"containerPort":53,"protocol":"TCP"}': {".": {}, "f:containerPort": {}},
            'k:{"containerPort":53,"protocol":"UDP"}': {
                ".": {},
                "f:containerPort": {},
                "f:name": {},
            },
        }
    }
    assert missing_paths({"ports": [{"containerPort": 53, "name": "dns"}]}, fields) == ()
    assert missing_paths({"ports": [{"containerPort": 53, "hostPort": 5}]}, fields) == (
        '.ports[containerPort=53,protocol="TCP"].hostPort',
    )


def test_set_elements_match_by_value_and_type() -> None:
    fields = {"f:tags": {'v:"a"': {}, "v:1": {}, "v:true": {}}}
    assert missing_paths({"tags": ["a", 1, True]}, fields) == ()
    assert missing_paths({"tags": ["b", "1", 2]}, fields) == (
        '.tags[="b"]',
        '.tags[="1"]',
        ".tags[=2]",
    )


def test_elements_of_index_lists_match_by_position() -> None:
    fields = {"f:grid": {"i:0": {"f:a": {}}, "i:1": {}}}
    assert missing_paths({"grid": [{"a": 1}, {"b": 2}, {"c": 3}]}, fields) == (".grid[2]",)
    assert missing_paths({"grid": [{"a": 1, "z": 0}]}, fields) == (".grid[0].z",)


def test_a_list_node_owning_only_itself_owns_no_element() -> None:
    assert missing_paths({"env": [{"name": "X"}]}, {"f:env": {".": {}}}) == (".env[0]",)


def test_element_key_finds_the_child_owning_a_declared_element() -> None:
    ports = DEPLOYMENT_FIELDS["f:spec"]["f:template"]["f:spec"]["f:containers"][CONTAINER]
    node = ports["f:ports"]
    assert element_key(node, {"containerPort": 80}, 0) == 'k:{"containerPort":80,"protocol":"TCP"}'
    assert element_key(node, {"containerPort": 81}, 0) is None
    assert element_key(WIDGET_FIELDS["f:spec"]["f:tags"], "a", 1) == 'v:"a"'
    assert element_key({"i:3": {}}, {"x": 1}, 3) == "i:3"


def test_format_path_shows_every_key_kind() -> None:
    path = (
        "f:spec",
        "f:ports",
        'k:{"containerPort":80,"protocol":"TCP"}',
        "f:name",
    )
    assert format_path(path) == '.spec.ports[containerPort=80,protocol="TCP"].name'
    assert format_path(("f:tags", 'v:"a"')) == '.tags[="a"]'
    assert format_path(("f:grid", "i:3", ".")) == ".grid[3]"
    assert format_path(("f:data", "f:a.b/c")) == '.data["a.b/c"]'
