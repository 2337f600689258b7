"""select_objects: ClusterSelectors, cluster-name-selectors and unstructured NamespaceSelectors."""

from __future__ import annotations

import pytest

from syncd.core.errors import ErrorCode
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy import read_hierarchy, select_objects
from tests.unit.parse.hierarchy.repo import (
    CLUSTER_NAME_ANNOTATION,
    CLUSTER_SELECTOR_ANNOTATION,
    NS_SELECTOR_ANNOTATION,
    cluster,
    config_map,
    is_namespaced,
    namespace,
    obj,
    only_error,
    refs,
    repo,
    selector,
)

DEV = selector("ClusterSelector", "dev", "clusterregistry/dev.yaml", {"env": "dev"})
PROD = selector("ClusterSelector", "prod", "clusterregistry/prod.yaml", {"env": "prod"})
CLUSTERS = [
    cluster("c1", "clusterregistry/c1.yaml", env="dev"),
    cluster("c2", "clusterregistry/c2.yaml", env="prod"),
]


def selected(given: list[Manifest], cluster_name: str, *, hierarchy: bool = False) -> set:
    result = select_objects(given, cluster_name=cluster_name, hierarchy=hierarchy)
    assert result.errors == (), [str(e) for e in result.errors]
    return refs(result.manifests)


def test_cluster_selector_keeps_objects_for_clusters_whose_labels_it_matches() -> None:
    given = [
        *CLUSTERS,
        DEV,
        PROD,
        config_map("d", "d.yaml", namespace="a", annotations={CLUSTER_SELECTOR_ANNOTATION: "dev"}),
        config_map("p", "p.yaml", namespace="a", annotations={CLUSTER_SELECTOR_ANNOTATION: "prod"}),
        config_map("all", "all.yaml", namespace="a"),
    ]
    assert selected(given, "c1") == {("ConfigMap", "a", "d"), ("ConfigMap", "a", "all")}
    assert selected(given, "c2") == {("ConfigMap", "a", "p"), ("ConfigMap", "a", "all")}
    assert selected(given, "unregistered") == {("ConfigMap", "a", "all")}


@pytest.mark.parametrize(
    ("value", "cluster_name", "kept"),
    [("c1", "c1", True), ("other, C1 ", "c1", True), ("c2,c3", "c1", False), ("c1", "", False)],
)
def test_cluster_name_selector_lists_cluster_names(
    value: str, cluster_name: str, kept: bool
) -> None:
    given = [config_map("x", "x.yaml", namespace="a", annotations={CLUSTER_NAME_ANNOTATION: value})]
    assert (("ConfigMap", "a", "x") in selected(given, cluster_name)) is kept


def test_a_namespace_no_declaration_selects_takes_its_objects_with_it() -> None:
    given = [
        *CLUSTERS,
        DEV,
        namespace("a", "a.yaml", annotations={CLUSTER_SELECTOR_ANNOTATION: "dev"}),
        config_map("x", "x.yaml", namespace="a"),
        config_map("y", "y.yaml", namespace="b"),
    ]
    assert selected(given, "c2") == {("ConfigMap", "b", "y")}
    assert ("ConfigMap", "a", "x") in selected(given, "c1")


def test_selector_annotations_stay_on_returned_objects_and_config_objects_go() -> None:
    given = [
        *CLUSTERS,
        DEV,
        config_map("d", "d.yaml", namespace="a", annotations={CLUSTER_SELECTOR_ANNOTATION: "dev"}),
    ]
    result = select_objects(given, cluster_name="c1", hierarchy=False)
    assert [m.annotations for m in result.manifests] == [{CLUSTER_SELECTOR_ANNOTATION: "dev"}]


def test_unstructured_namespace_selector_copies_into_matching_declared_namespaces() -> None:
    given = [
        namespace("web", "ns/web.yaml", labels={"tier": "front"}),
        namespace("api", "ns/api.yaml", labels={"tier": "front"}),
        namespace("db", "ns/db.yaml", labels={"tier": "back"}),
        selector("NamespaceSelector", "front", "sel.yaml", {"tier": "front"}),
        config_map("x", "x.yaml", annotations={NS_SELECTOR_ANNOTATION: "front"}),
    ]
    result = select_objects(given, cluster_name="c1", hierarchy=False)
    assert result.errors == ()
    copies = [m for m in result.manifests if m.ref.kind == "ConfigMap"]
    assert [m.ref.namespace for m in copies] == ["api", "web"]
    assert {m.body["metadata"]["namespace"] for m in copies} == {"api", "web"}
    assert all(m.source_path == "x.yaml" for m in copies)
    assert "namespace" not in given[-1].body["metadata"]


def test_namespaces_removed_by_cluster_selection_receive_no_copies() -> None:
    given = [
        *CLUSTERS,
        DEV,
        namespace(
            "web", "web.yaml", labels={"t": "f"}, annotations={CLUSTER_SELECTOR_ANNOTATION: "dev"}
        ),
        selector("NamespaceSelector", "f", "sel.yaml", {"t": "f"}),
        config_map("x", "x.yaml", annotations={NS_SELECTOR_ANNOTATION: "f"}),
    ]
    assert selected(given, "c2") == set()
    assert selected(given, "c1") == {("Namespace", "", "web"), ("ConfigMap", "web", "x")}


def test_hierarchy_format_leaves_namespace_selection_to_read_hierarchy() -> None:
    given = [
        repo(),
        *[cluster("c1", env="dev")],
        namespace("web", "namespaces/web/ns.yaml", labels={"t": "f"}),
        namespace("db", "namespaces/db/ns.yaml"),
        selector("NamespaceSelector", "f", "namespaces/sel.yaml", {"t": "f"}),
        selector("ClusterSelector", "dev", "clusterregistry/dev.yaml", {"env": "dev"}),
        config_map(
            "x",
            "namespaces/x.yaml",
            annotations={NS_SELECTOR_ANNOTATION: "f", CLUSTER_SELECTOR_ANNOTATION: "dev"},
        ),
    ]
    tree = read_hierarchy(given, is_namespaced=is_namespaced)
    assert tree.errors == ()
    on_dev = select_objects(tree.for_selection, cluster_name="c1", hierarchy=True)
    assert on_dev.errors == ()
    assert ("ConfigMap", "web", "x") in refs(on_dev.manifests)
    assert ("ConfigMap", "db", "x") not in refs(on_dev.manifests)
    on_prod = select_objects(tree.for_selection, cluster_name="c2", hierarchy=True)
    assert ("ConfigMap", "web", "x") not in refs(on_prod.manifests)


CASES = {
    "both cluster annotations": (
        [
            config_map(
                "x",
                "x.yaml",
                namespace="a",
                annotations={CLUSTER_SELECTOR_ANNOTATION: "dev", CLUSTER_NAME_ANNOTATION: "c1"},
            )
        ],
        ErrorCode.SELECTOR_ANNOTATION_CONFLICT,
        "x.yaml",
    ),
    "aliases with two values": (
        [
            config_map(
                "x",
                "x.yaml",
                namespace="a",
                annotations={
                    CLUSTER_SELECTOR_ANNOTATION: "dev",
                    "syncd.dev/cluster-selector": "prod",
                },
            )
        ],
        ErrorCode.SELECTOR_ANNOTATION_CONFLICT,
        "x.yaml",
    ),
    "unknown cluster selector": (
        [
            config_map(
                "x", "x.yaml", namespace="a", annotations={CLUSTER_SELECTOR_ANNOTATION: "gone"}
            )
        ],
        ErrorCode.UNKNOWN_SELECTOR,
        "x.yaml",
    ),
    "cluster selector on a selector": (
        [
            obj(
                "NamespaceSelector",
                "s",
                "s.yaml",
                api_version="configmanagement.gke.io/v1",
                annotations={CLUSTER_NAME_ANNOTATION: "c1"},
                spec={"selector": {"matchLabels": {"a": "b"}}},
            )
        ],
        ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
        "s.yaml",
    ),
    "empty selector": (
        [selector("ClusterSelector", "empty", "empty.yaml", {})],
        ErrorCode.INVALID_SELECTOR,
        "empty.yaml",
    ),
    "malformed selector": (
        [selector("ClusterSelector", "bad", "bad.yaml", {"env": "not a value"})],
        ErrorCode.INVALID_SELECTOR,
        "bad.yaml",
    ),
    "duplicate selector names": (
        [DEV, selector("ClusterSelector", "dev", "again.yaml", {"env": "x"})],
        ErrorCode.DUPLICATE_OBJECT,
        "again.yaml",
    ),
    "namespace selector and metadata.namespace": (
        [
            selector("NamespaceSelector", "s", "s.yaml", {"a": "b"}),
            config_map("x", "x.yaml", namespace="a", annotations={NS_SELECTOR_ANNOTATION: "s"}),
        ],
        ErrorCode.ILLEGAL_NAMESPACE,
        "x.yaml",
    ),
    "namespace selector on a Namespace": (
        [
            selector("NamespaceSelector", "s", "s.yaml", {"a": "b"}),
            namespace("n", "n.yaml", annotations={NS_SELECTOR_ANNOTATION: "s"}),
        ],
        ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
        "n.yaml",
    ),
    "unknown namespace selector": (
        [config_map("x", "x.yaml", annotations={NS_SELECTOR_ANNOTATION: "gone"})],
        ErrorCode.UNKNOWN_SELECTOR,
        "x.yaml",
    ),
    "dynamic namespace selector": (
        [selector("NamespaceSelector", "s", "s.yaml", {"a": "b"}, mode="dynamic")],
        ErrorCode.DYNAMIC_SELECTOR_UNSUPPORTED,
        "s.yaml",
    ),
    "unknown namespace selector mode": (
        [selector("NamespaceSelector", "s", "s.yaml", {"a": "b"}, mode="sometimes")],
        ErrorCode.INVALID_SELECTOR,
        "s.yaml",
    ),
    "Repo in an unstructured repository": (
        [repo("repo.yaml")],
        ErrorCode.HIERARCHY_KIND_IN_UNSTRUCTURED,
        "repo.yaml",
    ),
    "duplicate objects": (
        [config_map("x", "a.yaml", namespace="n"), config_map("x", "b.yaml", namespace="n")],
        ErrorCode.DUPLICATE_OBJECT,
        "b.yaml",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_invalid_selection_is_reported_with_its_code_and_file(case: str) -> None:
    given, code, path = CASES[case]
    result = select_objects(given, cluster_name="c1", hierarchy=False)
    error = only_error(result.errors, code)
    assert path in error.message
    assert not result.complete


def test_objects_naming_an_invalid_selector_are_dropped_without_a_second_error() -> None:
    given = [
        selector("ClusterSelector", "bad", "bad.yaml", {}),
        config_map("x", "x.yaml", namespace="a", annotations={CLUSTER_SELECTOR_ANNOTATION: "bad"}),
        config_map("y", "y.yaml", namespace="a"),
    ]
    result = select_objects(given, cluster_name="c1", hierarchy=False)
    only_error(result.errors, ErrorCode.INVALID_SELECTOR)
    assert refs(result.manifests) == {("ConfigMap", "a", "y")}


def test_namespace_selector_on_a_cluster_scoped_kind_is_refused_when_discovery_knows_it() -> None:
    role = obj(
        "ClusterRole",
        "r",
        "r.yaml",
        api_version="rbac.authorization.k8s.io/v1",
        annotations={NS_SELECTOR_ANNOTATION: "s"},
    )
    given = [selector("NamespaceSelector", "s", "s.yaml", {"a": "b"}), role]
    result = select_objects(given, cluster_name="c1", hierarchy=False, is_namespaced=is_namespaced)
    error = only_error(result.errors, ErrorCode.ILLEGAL_SELECTOR_ANNOTATION)
    assert "r.yaml" in error.message


def test_a_namespace_with_a_namespace_selector_is_reported_but_still_applied() -> None:
    given = [
        selector("NamespaceSelector", "s", "s.yaml", {"a": "b"}),
        namespace("n", "n.yaml", labels={"a": "b"}, annotations={NS_SELECTOR_ANNOTATION: "s"}),
    ]
    result = select_objects(given, cluster_name="c1", hierarchy=False)
    only_error(result.errors, ErrorCode.ILLEGAL_SELECTOR_ANNOTATION)
    assert refs(result.manifests) == {("Namespace", "", "n")}
