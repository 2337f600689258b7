"""Invalid hierarchy repositories, synced by the controller: each reports its mapped code and file.

Nine kinds of mistake Config Sync refuses (see docs/errors.md, "Config Sync
error codes"), one RootSync each, all at once. The valid rest of each
repository is applied; nothing is pruned from a commit with errors.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from e2e.kube import unique
from e2e.rendersteps import wait_source_error
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import create_root_sync, errors_with_code, ns_path
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp

pytestmark = pytest.mark.e2e

REPO = (
    "apiVersion: configmanagement.gke.io/v1\nkind: Repo\nmetadata: {name: repo}\n"
    "spec: {version: 1.0.0}\n"
)


def _ns(name: str, extra: str = "") -> str:
    return f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}{extra}}}\n"


def _cm(name: str, extra: str = "") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}{extra}}}\n"


ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n"
)
SELECTOR = ", annotations: {configmanagement.gke.io/namespace-selector: %s}"

# case -> (extra files given the case's namespace, expected code, file the error names)
CASES: dict[str, tuple[Callable[[str], dict[str, str]], str, str]] = {
    "namespace field not matching the directory": (
        lambda ns: {f"namespaces/eng/{ns}/x.yaml": _cm("x", ", namespace: other")},
        "SD1053",
        "namespaces/eng/{ns}/x.yaml",
    ),
    "selector annotation on a Namespace": (
        lambda ns: {f"namespaces/{ns}-db/ns.yaml": _ns(f"{ns}-db", SELECTOR % "s")},
        "SD1101",
        "namespaces/{ns}-db/ns.yaml",
    ),
    "cluster-scoped object under namespaces/": (
        lambda ns: {"namespaces/eng/role.yaml": ROLE},
        "SD1113",
        "namespaces/eng/role.yaml",
    ),
    "namespaced object in cluster/": (
        lambda ns: {"cluster/x.yaml": _cm("x")},
        "SD1113",
        "cluster/x.yaml",
    ),
    "Namespace name not matching its directory": (
        lambda ns: {"namespaces/eng/database/ns.yaml": _ns(f"{ns}-other")},
        "SD1110",
        "namespaces/eng/database/ns.yaml",
    ),
    "NamespaceSelector referenced but missing": (
        lambda ns: {"namespaces/eng/x.yaml": _cm("x", SELECTOR % "nope")},
        "SD1103",
        "namespaces/eng/x.yaml",
    ),
    "namespace directory with a subdirectory": (
        lambda ns: {f"namespaces/eng/{ns}/sub/x.yaml": _cm("x")},
        "SD1100",
        "namespaces/eng/{ns}/sub/x.yaml",
    ),
    "unknown hierarchyMode": (
        lambda ns: {
            "system/hc.yaml": (
                "apiVersion: configmanagement.gke.io/v1\nkind: HierarchyConfig\n"
                "metadata: {name: hc}\nspec:\n  resources:\n"
                "  - {group: '', kinds: [ConfigMap], hierarchyMode: copy}\n"
            )
        },
        "SD1115",
        "system/hc.yaml",
    ),
    "abstract directory with objects and no namespace below": (
        lambda ns: {"namespaces/lonely/x.yaml": _cm("x")},
        "SD1116",
        "namespaces/lonely/x.yaml",
    ),
}


def test_each_kind_of_invalid_hierarchy_repository_reports_its_code_and_file(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    started: dict[str, tuple[str, str, str, str]] = {}
    for case, (defect, code, path) in CASES.items():
        ns = unique("hier")
        repo = git_repo_factory(git_http)
        files = {"system/repo.yaml": REPO, f"namespaces/eng/{ns}/ns.yaml": _ns(ns), **defect(ns)}
        sha = repo.commit(files, case)
        name = create_root_sync(
            admin,
            request,
            repo=git_http.repo_url(repo.name),
            spec={"sourceFormat": "hierarchy"},
            cleanup=[ns_path(ns), ns_path(f"{ns}-db"), ns_path(f"{ns}-other")],
        )
        started[case] = (name, sha, code, path.format(ns=ns))
    for case, (name, sha, code, path) in started.items():
        status = wait_source_error(admin, name, sha)["status"]
        found = errors_with_code(status, code)
        assert found, f"{case}: expected {code}, got {status['source']['errors']}"
        assert any(path in error["message"] for error in found), (case, found)
