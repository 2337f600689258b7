"""read_hierarchy on valid repositories: placement, inheritance, NamespaceSelectors."""

from __future__ import annotations

import copy

from syncd.parse.hierarchy import read_hierarchy
from tests.unit.parse.hierarchy.repo import (
    NS_SELECTOR_ANNOTATION,
    cluster,
    config_map,
    hierarchy_config,
    is_namespaced,
    namespace,
    obj,
    refs,
    repo,
    selector,
)

RBAC = "rbac.authorization.k8s.io/v1"


def valid_repository() -> list:
    return [
        repo(),
        hierarchy_config(
            [
                {
                    "group": "rbac.authorization.k8s.io",
                    "kinds": ["RoleBinding"],
                    "hierarchyMode": "none",
                }
            ]
        ),
        obj("ClusterRole", "reader", "cluster/reader.yaml", api_version=RBAC),
        cluster("dev", env="dev"),
        config_map("everywhere", "namespaces/cm.yaml"),
        config_map("eng-only", "namespaces/eng/cm.yaml"),
        namespace("web", "namespaces/eng/web/ns.yaml", labels={"tier": "front"}),
        namespace("db", "namespaces/eng/db/ns.yaml", labels={"tier": "back"}),
        namespace("sales", "namespaces/sales/ns.yaml"),
        obj("RoleBinding", "admins", "namespaces/sales/rb.yaml", api_version=RBAC),
        config_map("own", "namespaces/eng/web/own.yaml"),
    ]


def test_abstract_objects_are_copied_into_every_namespace_below_them() -> None:
    result = read_hierarchy(valid_repository(), is_namespaced=is_namespaced)
    assert result.errors == ()
    assert refs(result.manifests) == {
        ("ClusterRole", "", "reader"),
        ("Namespace", "", "web"),
        ("Namespace", "", "db"),
        ("Namespace", "", "sales"),
        ("ConfigMap", "web", "everywhere"),
        ("ConfigMap", "db", "everywhere"),
        ("ConfigMap", "sales", "everywhere"),
        ("ConfigMap", "web", "eng-only"),
        ("ConfigMap", "db", "eng-only"),
        ("ConfigMap", "web", "own"),
        ("RoleBinding", "sales", "admins"),
    }


def test_copies_carry_their_namespace_in_the_body_and_keep_the_declaring_file() -> None:
    result = read_hierarchy(valid_repository(), is_namespaced=is_namespaced)
    copies = [m for m in result.manifests if m.ref.name == "eng-only"]
    assert {m.body["metadata"]["namespace"] for m in copies} == {"web", "db"}
    assert {m.source_path for m in copies} == {"namespaces/eng/cm.yaml"}
    assert all(m.body["data"] == {"k": "v"} for m in copies)


def test_inputs_are_never_mutated() -> None:
    given = valid_repository()
    before = [copy.deepcopy(dict(m.body)) for m in given]
    read_hierarchy(given, is_namespaced=is_namespaced)
    assert [dict(m.body) for m in given] == before


def test_configuration_objects_are_not_returned_but_clusters_are_kept_for_selection() -> None:
    result = read_hierarchy(valid_repository(), is_namespaced=is_namespaced)
    kinds = {m.ref.kind for m in result.manifests}
    assert kinds.isdisjoint({"Repo", "HierarchyConfig", "Cluster", "NamespaceSelector"})
    assert [m.ref.name for m in result.cluster_registry] == ["dev"]
    assert [m.ref.kind for m in result.for_selection][-1] == "Cluster"


def test_namespace_selector_limits_inheritance_to_the_namespaces_it_matches() -> None:
    given = [
        *valid_repository(),
        selector("NamespaceSelector", "front", "namespaces/eng/sel.yaml", {"tier": "front"}),
        config_map(
            "front-only", "namespaces/eng/front.yaml", annotations={NS_SELECTOR_ANNOTATION: "front"}
        ),
    ]
    result = read_hierarchy(given, is_namespaced=is_namespaced)
    assert result.errors == ()
    selected = [m for m in result.manifests if m.ref.name == "front-only"]
    assert [m.ref.namespace for m in selected] == ["web"]
    assert selected[0].annotations[NS_SELECTOR_ANNOTATION] == "front"


def test_syncd_spellings_of_kinds_and_annotations_are_accepted() -> None:
    syncd = "syncd.dev/v1beta1"
    given = [
        obj("Repo", "repo", "system/repo.yaml", api_version=syncd, spec={"version": "1.0.0"}),
        namespace("web", "namespaces/web/ns.yaml", labels={"tier": "front"}),
        namespace("db", "namespaces/db/ns.yaml"),
        selector(
            "NamespaceSelector",
            "front",
            "namespaces/sel.yaml",
            {"tier": "front"},
            api_version=syncd,
        ),
        config_map(
            "x", "namespaces/cm.yaml", annotations={"syncd.dev/namespace-selector": "front"}
        ),
    ]
    result = read_hierarchy(given, is_namespaced=is_namespaced)
    assert result.errors == ()
    assert ("ConfigMap", "web", "x") in refs(result.manifests)
    assert ("ConfigMap", "db", "x") not in refs(result.manifests)


def test_files_outside_the_four_top_level_directories_are_ignored_like_config_sync() -> None:
    given = [repo(), config_map("readme", "README.yaml"), config_map("x", "docs/x.yaml")]
    result = read_hierarchy(given, is_namespaced=is_namespaced)
    assert result.errors == ()
    assert result.manifests == ()
    assert result.ignored_paths == ("README.yaml", "docs/x.yaml")


def test_unknown_kinds_take_the_scope_of_their_directory() -> None:
    widget = "ex.com/v1"
    given = [
        repo(),
        namespace("web", "namespaces/web/ns.yaml"),
        obj("Widget", "w", "namespaces/web/w.yaml", api_version=widget),
        obj("Gadget", "g", "cluster/g.yaml", api_version=widget),
    ]
    result = read_hierarchy(given, is_namespaced=is_namespaced)
    assert result.errors == ()
    assert {("Widget", "web", "w"), ("Gadget", "", "g")} <= refs(result.manifests)


def test_an_object_naming_its_own_namespace_directory_is_accepted() -> None:
    given = [
        repo(),
        namespace("web", "namespaces/web/ns.yaml"),
        config_map("x", "namespaces/web/x.yaml", namespace="web"),
    ]
    result = read_hierarchy(given, is_namespaced=is_namespaced)
    assert result.errors == ()
    assert ("ConfigMap", "web", "x") in refs(result.manifests)
