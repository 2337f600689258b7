"""Object identity: group, kind, namespace and name; version rides along."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.core.refs import InvalidObjectRefError, ObjectRef


def test_core_group_objects_parse_with_empty_group() -> None:
    ref = ObjectRef.from_object(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "ns"}}
    )
    assert (ref.group, ref.version, ref.kind, ref.namespace, ref.name) == (
        "",
        "v1",
        "ConfigMap",
        "ns",
        "a",
    )
    assert ref.api_version == "v1"
    assert ref.group_kind == "ConfigMap"
    assert str(ref) == "ConfigMap ns/a"


def test_grouped_cluster_scoped_objects() -> None:
    ref = ObjectRef.from_object(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "r"},
        }
    )
    assert ref.cluster_scoped
    assert ref.group_kind == "ClusterRole.rbac.authorization.k8s.io"
    assert ref.api_version == "rbac.authorization.k8s.io/v1"


def test_version_takes_no_part_in_identity() -> None:
    a = ObjectRef(group="apps", kind="Deployment", namespace="n", name="d", version="v1")
    b = ObjectRef(group="apps", kind="Deployment", namespace="n", name="d", version="v2")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"kind": "ConfigMap", "metadata": {"name": "a"}}, "apiVersion"),
        ({"apiVersion": "v1", "metadata": {"name": "a"}}, "kind"),
        ({"apiVersion": "v1", "kind": "ConfigMap"}, "metadata"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name"),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 3}}, "metadata.name"),
        ({"apiVersion": "v1", "kind": "C", "metadata": {"name": "a", "namespace": 1}}, "namespace"),
    ],
)
def test_objects_without_identity_are_rejected_with_the_missing_field(
    obj: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidObjectRefError, match=message):
        ObjectRef.from_object(obj)


names = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@given(
    group=st.one_of(st.just(""), names), kind=names, ns=st.one_of(st.just(""), names), name=names
)
def test_from_object_round_trips_api_version(group: str, kind: str, ns: str, name: str) -> None:
    ref = ObjectRef(group=group, kind=kind, namespace=ns, name=name, version="v1")
    obj = {"apiVersion": ref.api_version, "kind": kind, "metadata": {"name": name, "namespace": ns}}
    assert ObjectRef.from_object(obj) == ref
    assert ObjectRef.from_object(obj).api_version == ref.api_version


@pytest.mark.parametrize(
    ("ref", "short"),
    [
        (
            ObjectRef(group="", kind="ConfigMap", namespace="web", name="settings"),
            "ConfigMap/web/settings",
        ),
        (
            ObjectRef(group="apps", kind="Deployment", namespace="web", name="api"),
            "Deployment.apps/web/api",
        ),
        (ObjectRef(group="", kind="Namespace", name="web"), "Namespace/web"),
        (
            ObjectRef(group="rbac.authorization.k8s.io", kind="ClusterRole", name="view.x"),
            "ClusterRole.rbac.authorization.k8s.io/view.x",
        ),
    ],
)
def test_the_short_form_reads_back_as_the_same_object(ref: ObjectRef, short: str) -> None:
    assert ref.short == short
    parsed = ObjectRef.parse_short(short)
    assert parsed == ref
    assert (parsed.group, parsed.namespace) == (ref.group, ref.namespace)


@pytest.mark.parametrize("text", ["", "ConfigMap", "ConfigMap//x", "/web/x", "a/b/c/d", "K/ns/"])
def test_a_short_form_that_names_no_object_is_refused(text: str) -> None:
    with pytest.raises(InvalidObjectRefError, match="Kind"):
        ObjectRef.parse_short(text)
