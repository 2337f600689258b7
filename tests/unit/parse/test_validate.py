"""Validation: namespaces by scope, names by kind, duplicates dropped and reported."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.core.errors import ErrorCode, ResourceRef
from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef
from syncd.parse.validate import ScopeRules, validate

CLUSTER_KINDS = {("", "Namespace"), ("rbac.authorization.k8s.io", "ClusterRole")}
CLUSTER_KINDS |= {("apiextensions.k8s.io", "CustomResourceDefinition")}
NAMESPACED_KINDS = {("", "ConfigMap"), ("", "Service"), ("apps", "Deployment")}
NAMESPACED_KINDS |= {("rbac.authorization.k8s.io", "Role")}


def known_scope(group: str, kind: str) -> bool | None:
    if (group, kind) in CLUSTER_KINDS:
        return False
    if (group, kind) in NAMESPACED_KINDS:
        return True
    return None


ROOT = ScopeRules(is_namespaced=known_scope)


def manifest(
    kind: str = "ConfigMap",
    name: str = "a",
    namespace: str = "ns",
    *,
    api_version: str = "v1",
    path: str = "a.yaml",
    **body: Any,
) -> Manifest:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    obj = {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}
    return Manifest(ref=ObjectRef.from_object(obj), body=obj, source_path=path)


def test_valid_manifests_pass_unchanged() -> None:
    given = [manifest(), manifest("Namespace", "ns", ""), manifest("Service", "web")]
    result = validate(given, scope=ROOT)
    assert result.errors == ()
    assert result.manifests == tuple(given)
    assert result.rejected == frozenset()


def test_duplicates_are_all_dropped_and_reported_once_with_every_path() -> None:
    first = manifest(path="a.yaml")
    second = manifest(path="b/c.yaml")
    third = manifest(path="d.yaml")
    other = manifest(name="b")
    result = validate([first, other, second, third], scope=ROOT)
    assert result.manifests == (other,)
    [error] = result.errors
    assert error.code is ErrorCode.DUPLICATE_OBJECT
    assert "a.yaml, b/c.yaml, d.yaml" in error.message
    assert error.resources == (
        ResourceRef(ref=first.ref, source_path="a.yaml"),
        ResourceRef(ref=second.ref, source_path="b/c.yaml"),
        ResourceRef(ref=third.ref, source_path="d.yaml"),
    )
    assert result.rejected == {first.ref}


def test_same_name_in_another_kind_group_or_namespace_is_not_a_duplicate() -> None:
    given = [
        manifest(),
        manifest(namespace="other"),
        manifest("Service"),
        manifest("Deployment", api_version="apps/v1"),
    ]
    assert validate(given, scope=ROOT).errors == ()


def test_api_version_does_not_make_objects_different() -> None:
    given = [
        manifest("Deployment", api_version="apps/v1"),
        manifest("Deployment", api_version="apps/v2"),
    ]
    assert [e.code for e in validate(given, scope=ROOT).errors] == [ErrorCode.DUPLICATE_OBJECT]


def test_namespaced_object_without_namespace_is_an_error_for_a_root_sync() -> None:
    bad = manifest(namespace="")
    result = validate([bad, manifest(name="ok")], scope=ROOT)
    assert [m.ref.name for m in result.manifests] == ["ok"]
    [error] = result.errors
    assert error.code is ErrorCode.ILLEGAL_NAMESPACE
    assert error.resources == (ResourceRef(ref=bad.ref, source_path="a.yaml"),)
    assert "set metadata.namespace" in error.message


def test_repo_sync_places_namespaced_objects_in_its_namespace_without_mutating_input() -> None:
    bare = manifest(namespace="")
    result = validate([bare], scope=ScopeRules(is_namespaced=known_scope, default_namespace="t"))
    assert result.errors == ()
    [placed] = result.manifests
    assert placed.ref.namespace == "t"
    assert placed.body["metadata"]["namespace"] == "t"
    assert "namespace" not in bare.body["metadata"]


def test_defaulted_namespace_can_collide_with_an_explicit_one() -> None:
    scope = ScopeRules(is_namespaced=known_scope, default_namespace="t")
    result = validate([manifest(namespace=""), manifest(namespace="t")], scope=scope)
    assert [e.code for e in result.errors] == [ErrorCode.DUPLICATE_OBJECT]


def test_cluster_scoped_object_with_namespace_is_an_error() -> None:
    bad = manifest("Namespace", "x", "ns")
    result = validate([bad], scope=ROOT)
    assert result.manifests == ()
    assert [e.code for e in result.errors] == [ErrorCode.ILLEGAL_NAMESPACE]
    assert "remove metadata.namespace" in result.errors[0].message
    assert bad.ref.with_namespace("") in result.rejected


def test_unknown_kinds_keep_their_namespace_as_declared() -> None:
    given = [
        manifest("Widget", "w", "", api_version="x.io/v1"),
        manifest("Widget", "w", "ns", api_version="x.io/v1"),
    ]
    result = validate(given, scope=ROOT)
    assert result.errors == ()
    assert len(result.manifests) == 2


def crd(kind: str, scope: str) -> Manifest:
    return manifest(
        "CustomResourceDefinition",
        f"{kind.lower()}s.x.io",
        "",
        api_version="apiextensions.k8s.io/v1",
        spec={"group": "x.io", "scope": scope, "names": {"kind": kind}},
    )


def test_scope_of_custom_kinds_comes_from_crds_in_the_same_set() -> None:
    given = [
        crd("Widget", "Namespaced"),
        crd("Gadget", "Cluster"),
        manifest("Widget", "w", "", api_version="x.io/v1"),
        manifest("Gadget", "g", "ns", api_version="x.io/v1"),
        manifest("Widget", "ok", "ns", api_version="x.io/v1"),
        manifest("Gadget", "ok", "", api_version="x.io/v1"),
    ]
    result = validate(given, scope=ROOT)
    assert [e.code for e in result.errors] == [ErrorCode.ILLEGAL_NAMESPACE] * 2
    assert sorted(m.ref.name for m in result.manifests if m.ref.group == "x.io") == ["ok", "ok"]


def test_discovery_wins_over_a_declared_crd() -> None:
    given = [
        crd("ConfigMap", "Cluster"),
        manifest(),
    ]
    assert validate(given, scope=ROOT).errors == ()


def test_invalid_namespace_value_is_an_error() -> None:
    [error] = validate([manifest(namespace="Bad_NS")], scope=ROOT).errors
    assert error.code is ErrorCode.ILLEGAL_NAMESPACE
    assert "DNS-1123 label" in error.message


@pytest.mark.parametrize(
    ("kind", "api_version", "namespace", "name", "valid"),
    [
        ("ConfigMap", "v1", "ns", "a.b-c", True),
        ("ConfigMap", "v1", "ns", "A", False),
        ("ConfigMap", "v1", "ns", "-a", False),
        ("ConfigMap", "v1", "ns", "a_b", False),
        ("ConfigMap", "v1", "ns", "a" * 253, True),
        ("ConfigMap", "v1", "ns", "a" * 254, False),
        ("Namespace", "v1", "", "a.b", False),
        ("Namespace", "v1", "", "a" * 63, True),
        ("Namespace", "v1", "", "a" * 64, False),
        ("Service", "v1", "ns", "1web", False),
        ("Service", "v1", "ns", "web-1", True),
        ("ClusterRole", "rbac.authorization.k8s.io/v1", "", "system:controller:x", True),
        ("Role", "rbac.authorization.k8s.io/v1", "ns", "a/b", False),
        ("Role", "rbac.authorization.k8s.io/v1", "ns", "..", False),
        ("Role", "rbac.authorization.k8s.io/v1", "ns", "100%", False),
        ("Widget", "x.io/v1", "ns", "Upper", False),
    ],
)
def test_names_follow_the_rule_of_their_kind(
    kind: str, api_version: str, namespace: str, name: str, valid: bool
) -> None:
    given = manifest(kind, name, namespace, api_version=api_version)
    result = validate([given], scope=ROOT)
    if valid:
        assert result.errors == ()
    else:
        assert [e.code for e in result.errors] == [ErrorCode.INVALID_NAME]
        assert result.manifests == ()
        assert given.ref in result.rejected


def test_server_owned_fields_are_not_errors() -> None:
    given = manifest(status={"phase": "x"})
    given.body["metadata"].update(  # type: ignore[attr-defined]
        {"uid": "u", "resourceVersion": "1", "managedFields": []}
    )
    assert validate([given], scope=ROOT).errors == ()


def test_one_bad_object_does_not_block_the_rest() -> None:
    given = [manifest(name="Bad"), manifest(name="good"), manifest(namespace="")]
    result = validate(given, scope=ROOT)
    assert [m.ref.name for m in result.manifests] == ["good"]
    assert len(result.errors) == 2


@pytest.mark.parametrize(
    ("value", "found"),
    [
        (["/namespaces/ns/ConfigMap/b"], "a list"),
        ({"ref": "/namespaces/ns/ConfigMap/b"}, "dict"),
        (7, "int"),
        (None, "NoneType"),
    ],
)
def test_a_depends_on_annotation_that_is_not_a_string_is_sd1070_and_rejected(
    value: object, found: str
) -> None:
    annotations = {"config.kubernetes.io/depends-on": value}
    bad = manifest(name="a", path="dep.yaml")
    body = {**bad.body, "metadata": {**bad.metadata, "annotations": annotations}}
    bad = Manifest(ref=bad.ref, body=body, source_path="dep.yaml")
    result = validate([bad, manifest(name="b")], scope=ROOT)
    assert [m.ref.name for m in result.manifests] == ["b"]
    [error] = result.errors
    assert error.code is ErrorCode.INVALID_DEPENDENCY
    assert error.message.startswith("dep.yaml: ConfigMap ns/a: annotation ")
    assert f"must be a string of comma-separated references (found {found})" in error.message
    assert error.resources == (ResourceRef(ref=bad.ref, source_path="dep.yaml"),)
    assert bad.ref in result.rejected


def test_a_depends_on_annotation_given_as_a_string_passes_validation() -> None:
    annotations = {"config.kubernetes.io/depends-on": "/namespaces/ns/ConfigMap/b"}
    ok = manifest(name="a")
    body = {**ok.body, "metadata": {**ok.metadata, "annotations": annotations}}
    result = validate([Manifest(ref=ok.ref, body=body, source_path="a.yaml")], scope=ROOT)
    assert result.errors == ()


@pytest.mark.parametrize(
    "value",
    ["spec/replicas", "/metadata/name", "/metadata/labels/app.kubernetes.io~1managed-by", ["/a"]],
)
def test_a_malformed_ignore_fields_annotation_is_sd1073_and_rejected(value: object) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "namespace": "n",
            "annotations": {"syncd.dev/ignore-fields": value},
        },
    }
    manifest = Manifest(ref=ObjectRef.from_object(body), body=body, source_path="c.yaml")
    result = validate([manifest], scope=ScopeRules(is_namespaced=lambda g, k: True))
    assert result.manifests == ()
    [error] = result.errors
    assert error.code is ErrorCode.INVALID_IGNORE_FIELDS
    assert manifest.ref in result.rejected
