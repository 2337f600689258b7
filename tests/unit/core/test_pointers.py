"""syncd.core.pointers: the ignore-fields annotation, on bodies and on real fieldsV1 tries."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from syncd.core.fields import lost_paths, missing_paths
from syncd.core.pointers import (
    InvalidIgnoreFieldsError,
    JsonPointer,
    owns_any,
    parse_ignore_fields,
    remove_pointed,
    strip_pointers,
)
from tests.unit.core.ssa_samples import (
    DEPLOYMENT,
    DEPLOYMENT_FIELDS,
    SECRET,
    SECRET_FIELDS,
    WIDGET,
    WIDGET_FIELDS,
)

PREFIX = '.spec.template.spec.containers[name="app"]'


def pointers(value: str) -> tuple[JsonPointer, ...]:
    return parse_ignore_fields(value)


# -- parsing -----------------------------------------------------------------


def test_pointers_are_comma_separated_trimmed_and_deduplicated() -> None:
    parsed = pointers(" /spec/replicas, /metadata/annotations/team~1owner ,/spec/replicas")
    assert [p.tokens for p in parsed] == [
        ("spec", "replicas"),
        ("metadata", "annotations", "team/owner"),
    ]
    assert [str(p) for p in parsed] == ["/spec/replicas", "/metadata/annotations/team~1owner"]


def test_escapes_follow_rfc_6901_and_round_trip() -> None:
    [pointer] = pointers("/data/a~0b~1c~01")
    assert pointer.tokens == ("data", "a~b/c~1")
    assert str(pointer) == "/data/a~0b~1c~01"
    assert JsonPointer.parse(str(pointer)) == pointer


@pytest.mark.parametrize("value", ["", "   "])
def test_a_blank_value_names_nothing(value: str) -> None:
    assert pointers(value) == ()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("spec/replicas", 'must start with "/"'),
        ("/spec/a~2b", '"~" must be followed by 0'),
        ("/spec/a~", '"~" must be followed by 0'),
        ("/spec/replicas,,/spec/x", "empty entry"),
        ("/spec/replicas,", "empty entry"),
        ("/", "whole object"),
        ("/metadata", "identity and syncd's own labels"),
        ("/apiVersion", "to identify it"),
        ("/kind", "to identify it"),
        ("/metadata/name", "to identify it"),
        ("/metadata/namespace", "to identify it"),
        ("/metadata/name/x", "to identify it"),
        ("/metadata/labels", "app.kubernetes.io/managed-by"),
        ("/metadata/annotations", "syncd.dev/manager"),
        ("/metadata/labels/app.kubernetes.io~1managed-by", "syncd writes the label"),
        ("/metadata/labels/applyset.kubernetes.io~1part-of", "syncd writes the label"),
        ("/metadata/annotations/syncd.dev~1manager", "syncd writes the annotation"),
        ("/metadata/annotations/syncd.dev~1source-path", "syncd writes the annotation"),
        ("/metadata/annotations/syncd.dev~1commit", "syncd writes the annotation"),
        ("/spec/replicas, /kind", "to identify it"),
    ],
)
def test_malformed_or_protected_pointers_are_refused_with_a_clear_message(
    value: str, message: str
) -> None:
    with pytest.raises(InvalidIgnoreFieldsError, match=message.replace("(", r"\(")) as info:
        pointers(value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "value",
    [
        "/metadata/labels/team",
        "/metadata/annotations/team~1owner",
        "/metadata/finalizers",
        "/spec/template/spec/containers/0/image",
        "/data/app.kubernetes.io~1managed-by",
    ],
)
def test_other_fields_may_be_ignored(value: str) -> None:
    assert [str(p) for p in pointers(value)] == [value]


# -- strip_pointers ----------------------------------------------------------


def test_strip_removes_the_fields_and_never_mutates_the_input() -> None:
    original = copy.deepcopy(DEPLOYMENT)
    stripped = strip_pointers(DEPLOYMENT, pointers("/spec/replicas"))
    assert "replicas" not in stripped.body["spec"]
    assert stripped.removed == ((JsonPointer(tokens=("spec", "replicas")), 2),)
    assert original == DEPLOYMENT
    # Only the maps along the path are copied; the rest is shared.
    assert stripped.body["spec"] is not DEPLOYMENT["spec"]
    assert stripped.body["spec"]["template"] is DEPLOYMENT["spec"]["template"]
    assert stripped.body["metadata"] is DEPLOYMENT["metadata"]


def test_list_indices_address_the_declared_elements() -> None:
    body = copy.deepcopy(DEPLOYMENT)
    body["spec"]["template"]["spec"]["containers"].append({"name": "b", "image": "x"})
    body["spec"]["template"]["spec"]["containers"].append({"name": "c", "image": "y"})
    stripped = strip_pointers(
        body,
        pointers(
            "/spec/template/spec/containers/0/image,"
            "/spec/template/spec/containers/1,"
            "/spec/template/spec/containers/2/image"
        ),
    )
    containers = stripped.body["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app", "c"]
    assert "image" not in containers[0]
    assert containers[1] == {"name": "c"}
    assert [v for _, v in stripped.removed] == ["nginx:1", {"name": "b", "image": "x"}, "y"]
    assert body["spec"]["template"]["spec"]["containers"][2] == {"name": "c", "image": "y"}


def test_containers_emptied_by_the_strip_go_but_declared_empty_maps_stay() -> None:
    body = {
        "metadata": {"name": "a", "annotations": {"team": "x"}},
        "spec": {"replicas": 2, "volume": {"emptyDir": {}}},
    }
    stripped = strip_pointers(body, pointers("/spec/replicas,/metadata/annotations/team"))
    assert stripped.body == {"metadata": {"name": "a"}, "spec": {"volume": {"emptyDir": {}}}}
    only = strip_pointers({"spec": {"replicas": 2}, "kind": "X"}, pointers("/spec/replicas"))
    assert only.body == {"kind": "X"}


def test_pointers_that_name_nothing_declared_remove_nothing() -> None:
    stripped = strip_pointers(
        DEPLOYMENT,
        pointers(
            "/spec/paused,/spec/replicas/x,/spec/template/spec/containers/7,"
            "/spec/template/spec/containers/-,/spec/template/spec/containers/00"
        ),
    )
    assert stripped.removed == ()
    assert stripped.body == DEPLOYMENT


def test_an_ancestor_pointer_wins_over_its_descendants() -> None:
    for value in ("/spec/template,/spec/template/spec", "/spec/template/spec,/spec/template"):
        stripped = strip_pointers(DEPLOYMENT, pointers(value))
        assert "template" not in stripped.body["spec"]
        assert [str(p) for p, _ in stripped.removed] == ["/spec/template"]


# -- remove_pointed and owns_any ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "lost"),
    [
        ("/spec/replicas", (".spec.replicas",)),
        ("/spec/template/spec/containers/0/image", (f"{PREFIX}.image",)),
        (
            "/spec/template/spec/containers/0/ports/0",
            (f'{PREFIX}.ports[containerPort=80,protocol="TCP"]',),
        ),
        ("/metadata/labels/empty", (".metadata.labels.empty",)),
        (
            "/spec/template/spec/volumes/0/emptyDir",
            ('.spec.template.spec.volumes[name="scratch"].emptyDir',),
        ),
        ("/spec/selector", (".spec.selector",)),
    ],
)
def test_remove_pointed_takes_exactly_the_pointed_node_out_of_a_real_trie(
    value: str, lost: tuple[str, ...]
) -> None:
    original = copy.deepcopy(DEPLOYMENT_FIELDS)
    trimmed = remove_pointed(DEPLOYMENT_FIELDS, DEPLOYMENT, pointers(value))
    assert lost_paths(DEPLOYMENT_FIELDS, trimmed) == lost
    assert lost_paths(trimmed, DEPLOYMENT_FIELDS) == ()
    assert original == DEPLOYMENT_FIELDS
    assert owns_any(DEPLOYMENT_FIELDS, DEPLOYMENT, pointers(value))
    assert not owns_any(trimmed, DEPLOYMENT, pointers(value))
    # The trimmed trie is what an apply of the stripped body leaves syncd owning.
    stripped = strip_pointers(DEPLOYMENT, pointers(value)).body
    assert missing_paths(stripped, trimmed) == ()


def test_set_elements_are_resolved_through_the_declared_value() -> None:
    # tags is ["b", "a"]: index 1 is "a", whatever the trie's order.
    trimmed = remove_pointed(WIDGET_FIELDS, WIDGET, pointers("/spec/tags/1"))
    assert trimmed["f:spec"]["f:tags"] == {'v:"b"': {}}


def test_nodes_emptied_by_the_removal_are_removed_too() -> None:
    assert remove_pointed(SECRET_FIELDS, SECRET, pointers("/stringData/password")) == {"f:type": {}}


def test_a_pointer_into_an_atomic_node_removes_nothing_but_is_owned() -> None:
    value = pointers("/spec/template/spec/tolerations/0/key,/spec/selector/matchLabels/app")
    assert remove_pointed(DEPLOYMENT_FIELDS, DEPLOYMENT, value) == DEPLOYMENT_FIELDS
    assert owns_any(DEPLOYMENT_FIELDS, DEPLOYMENT, value[:1])
    assert owns_any(DEPLOYMENT_FIELDS, DEPLOYMENT, value[1:])


def test_pointers_the_trie_does_not_own_are_left_alone() -> None:
    value = pointers("/spec/paused,/spec/template/spec/containers/3/image,/status/x")
    assert remove_pointed(DEPLOYMENT_FIELDS, DEPLOYMENT, value) == DEPLOYMENT_FIELDS
    assert not owns_any(DEPLOYMENT_FIELDS, DEPLOYMENT, value)
    assert not owns_any({}, DEPLOYMENT, pointers("/spec/replicas"))


def test_an_index_without_a_declared_element_falls_back_to_the_index_key() -> None:
    fields: dict[str, Any] = {"f:grid": {"i:0": {"f:a": {}}, "i:1": {"f:b": {}}}}
    assert remove_pointed(fields, {}, pointers("/grid/1")) == {"f:grid": {"i:0": {"f:a": {}}}}
    keyed = {"f:list": {'k:{"name":"a"}': {".": {}}}}
    assert remove_pointed(keyed, {}, pointers("/list/0")) == keyed
