"""Not in the LIST is not "not in the cluster": what syncd does about objects its LIST missed.

syncd's LIST selects the sync's own objects by label. These tests create the
cases where a declared object exists without that label (re-created by hand,
with or without `mutation: ignore`) and where a LIST fails outright (a
controller whose identity may not list ConfigMaps), and check on the real
API server that nothing is overwritten or taken that should not be.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller, start_controller, stop_controller
from e2e.syncsteps import (
    TIMEOUT,
    cm_path,
    configmap,
    create_root_sync,
    errors_with_code,
    get_object,
    manager_of,
    manager_value,
    namespace,
    ns_path,
    syncd_metadata,
    to_yaml,
    wait_event,
    wait_more_runs,
    wait_state,
)
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

MUTATION_IGNORE = {"client.lifecycle.config.k8s.io/mutation": "ignore"}


def _recreate_by_hand(admin: KubeHttp, ns: str, name: str, value: str) -> dict[str, Any]:
    """Delete the ConfigMap and create a plain one of the same name, as a person would."""
    assert admin.delete(cm_path(ns, name)).status == 200
    wait_until(lambda: get_object(admin, cm_path(ns, name)) is None, timeout=30, what="deleted")
    resp = admin.request(
        "POST",
        f"/api/v1/namespaces/{ns}/configmaps?fieldManager=kubectl-create",
        body={"metadata": {"name": name}, "data": {"value": value}},
    )
    assert resp.status == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


def test_a_mutation_ignore_object_recreated_by_hand_is_left_alone(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("ignore")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "seed.yaml": to_yaml(configmap("seed", ns, "from-git", annotations=MUTATION_IGNORE)),
        },
        "a ConfigMap created once, never updated",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")

    by_hand = _recreate_by_hand(admin, ns, "seed", "by-hand")
    wait_more_runs(syncd_controller, name, 3)
    live = get_object(admin, cm_path(ns, "seed"))
    assert live is not None
    assert live["data"] == {"value": "by-hand"}
    assert live["metadata"]["uid"] == by_hand["metadata"]["uid"]
    assert live["metadata"]["resourceVersion"] == by_hand["metadata"]["resourceVersion"]
    assert syncd_metadata(live) == []  # never touched: not even labelled
    status = wait_state(admin, name, sha, "Synced")["status"]
    assert status["sync"]["failed"] == 0


def test_a_managed_object_recreated_by_hand_is_drift_restored_and_names_its_creator(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("reborn")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {"ns.yaml": to_yaml(namespace(ns)), "cm.yaml": to_yaml(configmap("c", ns, "from-git"))},
        "one ConfigMap",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")

    by_hand = _recreate_by_hand(admin, ns, "c", "by-hand")

    def restored() -> dict[str, Any] | None:
        live = get_object(admin, cm_path(ns, "c"))
        return live if live is not None and live["data"] == {"value": "from-git"} else None

    live = wait_until(restored, timeout=TIMEOUT, what="the re-created ConfigMap restored")
    assert live["metadata"]["uid"] == by_hand["metadata"]["uid"]  # taken back, not re-created
    assert manager_of(live) == manager_value(name)
    event = wait_event(
        admin,
        name,
        lambda ev: ev.get("reason") == "DriftCorrected" and f"{ns}/c" in str(ev.get("message")),
        what="DriftCorrected for the re-created ConfigMap",
    )
    assert "re-created outside syncd" in event["message"], event["message"]
    assert "kubectl-create" in event["message"], event["message"]


# ----------------------------------------------------------------------------- a LIST that fails

LIMITED_USER = "bob"


def _limited_rbac(admin: KubeHttp, sync_namespace: str) -> list[str]:
    """Let `bob` run syncd in `sync_namespace` and manage ConfigMaps, but never LIST them."""
    role = unique("syncd-no-cm-list")
    rules = [
        {"apiGroups": ["syncd.dev"], "resources": ["*"], "verbs": ["*"]},
        {"apiGroups": [""], "resources": ["namespaces", "events"], "verbs": ["*"]},
        {
            "apiGroups": [""],
            "resources": ["configmaps"],
            "verbs": ["get", "watch", "create", "update", "patch", "delete"],
        },
    ]
    paths = [
        f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{role}",
        f"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{role}",
    ]
    for path, body in zip(
        paths,
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": role},
                "rules": rules,
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": role},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": role,
                },
                "subjects": [{"kind": "User", "name": LIMITED_USER}],
            },
        ],
        strict=True,
    ):
        resp = admin.apply(path, body, manager="e2e", force=True)
        assert resp.status in (200, 201), resp.text
    resp = admin.apply(ns_path(sync_namespace), namespace(sync_namespace), manager="e2e")
    assert resp.status in (200, 201), resp.text
    return paths


@pytest.fixture
def limited_controller(
    control_plane: ControlPlane, admin: KubeHttp, syncd_crds: None, tmp_path: Path
) -> Iterator[tuple[Controller, str]]:
    """A private `syncd run` as a user who may do everything to ConfigMaps but LIST them."""
    sync_namespace = unique("syncd-limited")
    cleanup = _limited_rbac(admin, sync_namespace)
    controller = start_controller(
        control_plane, tmp_path / "limited", user=LIMITED_USER, namespace=sync_namespace
    )
    try:
        yield controller, sync_namespace
    finally:
        code = stop_controller(controller)
        for path in [*cleanup, ns_path(sync_namespace)]:
            admin.delete(path)
        assert code == 0, f"syncd run exited {code}:\n{controller.log_text()[-4000:]}"


def test_a_kind_whose_list_fails_gets_no_applies_and_the_other_kinds_go_on(
    admin: KubeHttp,
    limited_controller: tuple[Controller, str],
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    controller, sync_namespace = limited_controller
    ns, extra_ns = unique("listfail"), unique("listfail-extra")
    assert admin.apply(ns_path(ns), namespace(ns), manager="e2e").status in (200, 201)
    # Another sync's ConfigMap, which this sync also declares: it must never be taken.
    theirs = configmap(
        "shared", ns, "theirs", annotations={"syncd.dev/manager": "RootSync/x/other"}
    )
    assert admin.apply(cm_path(ns, "shared"), theirs, manager="syncd", force=True).status == 201
    before = get_object(admin, cm_path(ns, "shared"))
    assert before is not None

    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(extra_ns)),
            "cms.yaml": to_yaml(configmap("shared", ns, "mine"), configmap("fresh", ns, "new")),
        },
        "ConfigMaps this identity cannot list, and a Namespace",
    )
    name = unique("root-limited")
    body = copy.deepcopy(
        {
            "apiVersion": "syncd.dev/v1beta1",
            "kind": "RootSync",
            "metadata": {"name": name, "namespace": sync_namespace},
            "spec": {"git": {"repo": git_http.repo_url(repo.name), "period": "1s"}},
        }
    )
    path = f"/apis/syncd.dev/v1beta1/namespaces/{sync_namespace}/rootsyncs"
    assert admin.post(path, body).status == 201
    try:

        def reported() -> dict[str, Any] | None:
            obj = get_object(admin, f"{path}/{name}")
            status = (obj or {}).get("status") or {}
            if (status.get("sync") or {}).get("commit") != sha:
                return None
            return status if errors_with_code(status, "SD2013") else None

        # The identity may not list ConfigMaps, cluster-wide or in the namespace (SD2013).
        status = wait_until(reported, timeout=TIMEOUT, what="SD2013 on the limited sync")
        [error] = errors_with_code(status, "SD2013")
        assert "ConfigMap" in error["message"], error
        assert 'cannot list resource "configmaps"' in error["message"], error
        assert get_object(admin, ns_path(extra_ns)) is not None  # other kinds went on
        wait_until(
            lambda: len(controller.log_records("reconcile.synced")) >= 3,
            timeout=TIMEOUT,
            what="a few runs of the limited sync",
        )
        after = get_object(admin, cm_path(ns, "shared"))
        assert after is not None
        assert after["data"] == {"value": "theirs"}
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        assert get_object(admin, cm_path(ns, "fresh")) is None  # no applies for that kind
    finally:
        admin.delete(f"{path}/{name}")
        wait_until(
            lambda: get_object(admin, f"{path}/{name}") is None, timeout=TIMEOUT, what="gone"
        )
        for cleanup in (ns_path(ns), ns_path(extra_ns)):
            admin.delete(cleanup)
