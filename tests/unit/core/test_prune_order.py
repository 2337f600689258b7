"""Prune waves: the apply graph in reverse, custom resources first, depends-on from live objects."""

from __future__ import annotations

from typing import Any

from syncd.core.metadata import DEPENDS_ON_ANNOTATION
from syncd.core.prune_order import is_custom_resource, prune_waves
from syncd.core.refs import ObjectRef


def ref(kind: str, name: str, namespace: str = "", group: str = "") -> ObjectRef:
    return ObjectRef(group=group, kind=kind, namespace=namespace, name=name)


def live(depends_on: str | None = None) -> dict[str, Any]:
    annotations = {DEPENDS_ON_ANNOTATION: depends_on} if depends_on is not None else {}
    return {"metadata": {"annotations": annotations}}


CRD = ref("CustomResourceDefinition", "widgets.ex.com", group="apiextensions.k8s.io")
NS = ref("Namespace", "app")
ROLE = ref("ClusterRole", "reader", group="rbac.authorization.k8s.io")
CM = ref("ConfigMap", "cm", "app")
OPERATOR = ref("Deployment", "operator", "app", group="apps")
WIDGET = ref("Widget", "w", "app", group="ex.com")
GATEWAY = ref("Gateway", "gw", "app", group="gateway.networking.k8s.io")
CLUSTER_WIDGET = ref("ClusterWidget", "cw", group="ex.com")


def test_stages_reverse_the_apply_order_with_custom_resources_first() -> None:
    waves = prune_waves({r: live() for r in (CRD, NS, ROLE, CM, OPERATOR, WIDGET, CLUSTER_WIDGET)})
    assert waves == (
        (CLUSTER_WIDGET, WIDGET),
        (CM, OPERATOR),
        (ROLE,),
        (NS,),
        (CRD,),
    )


def test_custom_resource_groups_include_crds_under_k8s_io_domains() -> None:
    assert is_custom_resource(GATEWAY)
    assert is_custom_resource(WIDGET)
    assert not is_custom_resource(OPERATOR)
    assert not is_custom_resource(ROLE)


def test_dependents_go_in_earlier_waves_than_what_they_depend_on() -> None:
    a, b, c = (
        ref("ConfigMap", "a", "app"),
        ref("ConfigMap", "b", "app"),
        ref("ConfigMap", "c", "app"),
    )
    waves = prune_waves(
        {
            a: live(),
            b: live("/namespaces/app/ConfigMap/a"),
            c: live("/namespaces/app/ConfigMap/b, /namespaces/app/ConfigMap/a"),
        }
    )
    assert waves == ((c,), (b,), (a,))


def test_a_builtin_that_depends_on_a_custom_resource_is_pruned_with_and_before_it() -> None:
    web = ref("Deployment", "web", "app", group="apps")
    waves = prune_waves(
        {WIDGET: live(), web: live("ex.com/namespaces/app/Widget/w"), OPERATOR: live()}
    )
    assert waves == ((web,), (WIDGET,), (OPERATOR,))


def test_malformed_and_outside_edges_are_ignored() -> None:
    other = ref("ConfigMap", "other", "app")
    waves = prune_waves(
        {CM: live("not a reference"), other: live("/namespaces/app/ConfigMap/not-pruned")}
    )
    assert waves == ((CM, other),)


def test_a_cycle_in_edited_annotations_still_prunes_everything() -> None:
    a, b = ref("ConfigMap", "a", "app"), ref("ConfigMap", "b", "app")
    waves = prune_waves(
        {a: live("/namespaces/app/ConfigMap/b"), b: live("/namespaces/app/ConfigMap/a"), CM: live()}
    )
    assert waves == ((CM,), (a, b))


def test_nothing_to_prune_gives_no_waves() -> None:
    assert prune_waves({}) == ()
