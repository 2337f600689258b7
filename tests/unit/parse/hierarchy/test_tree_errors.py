"""read_hierarchy on invalid repositories: each kind of error, its code and its file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from syncd.core.errors import ErrorCode
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy import read_hierarchy, select_objects
from tests.unit.parse.hierarchy.repo import (
    NS_SELECTOR_ANNOTATION,
    config_map,
    hierarchy_config,
    is_namespaced,
    namespace,
    obj,
    only_error,
    refs,
    repo,
    selector,
)

RBAC = "rbac.authorization.k8s.io/v1"
WEB = namespace("web", "namespaces/eng/web/ns.yaml")


def base() -> list[Manifest]:
    return [repo(), WEB]


CASES: dict[str, tuple[list[Manifest], ErrorCode, str]] = {
    "kind with hierarchyMode none in an abstract directory": (
        [
            hierarchy_config(
                [
                    {
                        "group": "rbac.authorization.k8s.io",
                        "kinds": ["RoleBinding"],
                        "hierarchyMode": "none",
                    }
                ]
            ),
            obj("RoleBinding", "rb", "namespaces/eng/rb.yaml", api_version=RBAC),
        ],
        ErrorCode.ILLEGAL_ABSTRACT_OBJECT,
        "namespaces/eng/rb.yaml",
    ),
    "metadata.namespace not matching the directory": (
        [config_map("x", "namespaces/eng/web/x.yaml", namespace="other")],
        ErrorCode.ILLEGAL_NAMESPACE,
        "namespaces/eng/web/x.yaml",
    ),
    "namespace-selector annotation on a Namespace": (
        [namespace("db", "namespaces/db/ns.yaml", annotations={NS_SELECTOR_ANNOTATION: "s"})],
        ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
        "namespaces/db/ns.yaml",
    ),
    "cluster-scoped object under namespaces/": (
        [obj("ClusterRole", "r", "namespaces/eng/role.yaml", api_version=RBAC)],
        ErrorCode.WRONG_TOP_LEVEL_DIRECTORY,
        "namespaces/eng/role.yaml",
    ),
    "namespaced object in cluster/": (
        [config_map("x", "cluster/x.yaml")],
        ErrorCode.WRONG_TOP_LEVEL_DIRECTORY,
        "cluster/x.yaml",
    ),
    "Namespace name not matching its directory": (
        [namespace("db", "namespaces/eng/database/ns.yaml")],
        ErrorCode.NAMESPACE_NAME_MISMATCH,
        "namespaces/eng/database/ns.yaml",
    ),
    "object in system/ that is not Repo or HierarchyConfig": (
        [config_map("x", "system/x.yaml")],
        ErrorCode.WRONG_TOP_LEVEL_DIRECTORY,
        "system/x.yaml",
    ),
    "Repo outside system/": (
        [repo("cluster/repo.yaml")],
        ErrorCode.WRONG_TOP_LEVEL_DIRECTORY,
        "cluster/repo.yaml",
    ),
    "Namespace directly in namespaces/": (
        [namespace("namespaces", "namespaces/ns.yaml")],
        ErrorCode.TOP_LEVEL_NAMESPACE,
        "namespaces/ns.yaml",
    ),
    "NamespaceSelector referenced but missing": (
        [config_map("x", "namespaces/eng/x.yaml", annotations={NS_SELECTOR_ANNOTATION: "nope"})],
        ErrorCode.UNKNOWN_SELECTOR,
        "namespaces/eng/x.yaml",
    ),
    "NamespaceSelector declared beside, not above, the object": (
        [
            selector("NamespaceSelector", "s", "namespaces/other/s.yaml", {"a": "b"}),
            config_map("x", "namespaces/eng/x.yaml", annotations={NS_SELECTOR_ANNOTATION: "s"}),
        ],
        ErrorCode.UNKNOWN_SELECTOR,
        "namespaces/eng/x.yaml",
    ),
    "NamespaceSelector in a namespace directory": (
        [selector("NamespaceSelector", "s", "namespaces/eng/web/s.yaml", {"a": "b"})],
        ErrorCode.SELECTOR_IN_NAMESPACE_DIRECTORY,
        "namespaces/eng/web/s.yaml",
    ),
    "namespace directory with a subdirectory": (
        [config_map("x", "namespaces/eng/web/sub/x.yaml")],
        ErrorCode.NAMESPACE_SUBDIRECTORY,
        "namespaces/eng/web/sub/x.yaml",
    ),
    "unknown hierarchyMode": (
        [hierarchy_config([{"group": "", "kinds": ["ConfigMap"], "hierarchyMode": "copy"}])],
        ErrorCode.ILLEGAL_HIERARCHY_MODE,
        "system/hc.yaml",
    ),
    "HierarchyConfig naming Namespace": (
        [hierarchy_config([{"group": "", "kinds": ["Namespace"], "hierarchyMode": "none"}])],
        ErrorCode.UNSUPPORTED_HIERARCHY_KIND,
        "system/hc.yaml",
    ),
    "HierarchyConfig naming a cluster-scoped kind": (
        [hierarchy_config([{"group": "rbac.authorization.k8s.io", "kinds": ["ClusterRole"]}])],
        ErrorCode.UNSUPPORTED_HIERARCHY_KIND,
        "system/hc.yaml",
    ),
    "HierarchyConfig naming a configuration kind": (
        [hierarchy_config([{"group": "configmanagement.gke.io", "kinds": ["NamespaceSelector"]}])],
        ErrorCode.UNSUPPORTED_HIERARCHY_KIND,
        "system/hc.yaml",
    ),
    "abstract directory with objects and no namespace below": (
        [config_map("x", "namespaces/lonely/x.yaml")],
        ErrorCode.UNSYNCABLE_ABSTRACT_OBJECT,
        "namespaces/lonely/x.yaml",
    ),
    "a second Repo": (
        [repo("system/other.yaml", version="2.0.0")],
        ErrorCode.MULTIPLE_REPOS,
        "system/other.yaml",
    ),
    "Cluster outside clusterregistry/": (
        [obj("Cluster", "c", "cluster/c.yaml", api_version="clusterregistry.k8s.io/v1alpha1")],
        ErrorCode.WRONG_TOP_LEVEL_DIRECTORY,
        "cluster/c.yaml",
    ),
    "dynamic NamespaceSelector in the hierarchy format": (
        [selector("NamespaceSelector", "s", "namespaces/s.yaml", {"a": "b"}, mode="dynamic")],
        ErrorCode.INVALID_SELECTOR,
        "namespaces/s.yaml",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_invalid_repository_is_reported_with_its_code_and_file(case: str) -> None:
    extra, code, path = CASES[case]
    result = read_hierarchy([*base(), *extra], is_namespaced=is_namespaced)
    error = only_error(result.errors, code)
    assert path in error.message
    assert path in {resource.source_path for resource in error.resources}
    assert not result.complete


def test_an_invalid_object_is_dropped_and_the_others_are_still_returned() -> None:
    bad = config_map("bad", "cluster/bad.yaml")
    good = config_map("good", "namespaces/eng/web/good.yaml")
    result = read_hierarchy([*base(), bad, good], is_namespaced=is_namespaced)
    assert refs(result.manifests) == {("Namespace", "", "web"), ("ConfigMap", "web", "good")}


def test_a_missing_repo_is_reported_against_system() -> None:
    result = read_hierarchy([WEB], is_namespaced=is_namespaced)
    error = only_error(result.errors, ErrorCode.MISSING_REPO)
    assert "system/" in error.message


def test_a_repo_version_config_sync_does_not_support_is_reported() -> None:
    result = read_hierarchy([repo(version="9"), WEB], is_namespaced=is_namespaced)
    error = only_error(result.errors, ErrorCode.UNSUPPORTED_REPO_VERSION)
    assert "system/repo.yaml" in error.message


def test_an_abstract_object_that_a_namespace_also_declares_is_a_duplicate_after_inheritance() -> (
    None
):
    given = [
        *base(),
        config_map("x", "namespaces/eng/x.yaml"),
        config_map("x", "namespaces/eng/web/x.yaml"),
    ]
    tree = read_hierarchy(given, is_namespaced=is_namespaced)
    assert tree.errors == ()
    result = select_objects(tree.for_selection, cluster_name="c", hierarchy=True)
    error = only_error(result.errors, ErrorCode.DUPLICATE_OBJECT)
    assert "namespaces/eng/x.yaml" in error.message
    assert "namespaces/eng/web/x.yaml" in error.message
    assert refs(result.manifests) == {("Namespace", "", "web")}


def _declarations_of_one_namespace_with_other_labels() -> list[Manifest]:
    return [
        *base(),
        namespace("web", "namespaces/eng/web/ns-prod.yaml", labels={"tier": "front"}),
        selector("NamespaceSelector", "front", "namespaces/s.yaml", {"tier": "front"}),
        config_map("x", "namespaces/eng/x.yaml", annotations={NS_SELECTOR_ANNOTATION: "front"}),
    ]


def test_namespace_declarations_that_disagree_on_a_selector_are_reported() -> None:
    result = read_hierarchy(
        _declarations_of_one_namespace_with_other_labels(), is_namespaced=is_namespaced
    )
    error = only_error(result.errors, ErrorCode.NAMESPACE_DECLARATIONS_DISAGREE)
    assert "namespaces/eng/x.yaml" in error.message
    assert ("ConfigMap", "web", "x") not in refs(result.manifests)


@pytest.mark.parametrize(
    "check",
    [
        lambda r: all(e.code.value.startswith("SD1") for e in r.errors),
        lambda r: all(str(e).startswith(e.code.value) for e in r.errors),
    ],
)
def test_errors_are_source_errors_rendered_with_their_code(check: Callable[..., bool]) -> None:
    given = [config_map("x", "cluster/x.yaml"), namespace("a", "namespaces/b/ns.yaml")]
    result = read_hierarchy(given, is_namespaced=is_namespaced)
    assert len(result.errors) == 3  # no Repo, misplaced ConfigMap, misnamed Namespace
    assert check(result)
