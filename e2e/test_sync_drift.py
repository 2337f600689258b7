"""Drift is what server-side apply says syncd lost: restored at once, never invented, never fought.

Each test changes a synced object the way another manager would (a merge
patch under its own field manager, `kubectl set env`, `kubectl scale`) on
the real API server and checks what syncd does on its next polls.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from e2e.kube import merge_patch, unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    TIMEOUT,
    cm_path,
    configmap,
    create_root_sync,
    events_for,
    get_object,
    namespace,
    ns_path,
    to_yaml,
    wait_event,
    wait_more_runs,
    wait_state,
)
from syncd.core.fields import syncd_entry
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e


def _deployment(
    ns: str, *, annotations: dict[str, str] | None = None, replicas: int = 1
) -> dict[str, Any]:
    labels = {"app": "web", "tier": ""}
    metadata: dict[str, Any] = {"name": "web", "namespace": ns, "labels": {"empty": ""}}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "containers": [
                        {
                            "name": "web",
                            "image": "example.com/web:1",
                            "securityContext": {"allowPrivilegeEscalation": False},
                            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
                        }
                    ],
                    "volumes": [{"name": "scratch", "emptyDir": {}}],
                },
            },
        },
    }


def _deploy_path(ns: str) -> str:
    return f"/apis/apps/v1/namespaces/{ns}/deployments/web"


def _pod_spec(admin: KubeHttp, ns: str) -> dict[str, Any]:
    live = get_object(admin, _deploy_path(ns))
    assert live is not None
    spec: dict[str, Any] = live["spec"]["template"]["spec"]
    return spec


@pytest.fixture
def synced_web(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> tuple[str, str]:
    ns = unique("drift")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {"ns.yaml": to_yaml(namespace(ns)), "web.yaml": to_yaml(_deployment(ns))}, "web"
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced", timeout=2 * TIMEOUT)
    return name, ns


CONTAINER_WITHOUT_ESCALATION = {
    "name": "web",
    "image": "example.com/web:1",
    "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
}


@pytest.mark.parametrize(
    ("what", "patch", "restored"),
    [
        (
            "allowPrivilegeEscalation removed",
            {"spec": {"template": {"spec": {"containers": [CONTAINER_WITHOUT_ESCALATION]}}}},
            lambda spec, meta: (
                spec["containers"][0].get("securityContext", {}).get("allowPrivilegeEscalation")
                is False
            ),
        ),
        (
            "automountServiceAccountToken removed",
            {"spec": {"template": {"spec": {"automountServiceAccountToken": None}}}},
            lambda spec, meta: spec.get("automountServiceAccountToken") is False,
        ),
        (
            "emptyDir swapped for a hostPath",
            {
                "spec": {
                    "template": {
                        "spec": {"volumes": [{"name": "scratch", "hostPath": {"path": "/tmp"}}]}
                    }
                }
            },
            lambda spec, meta: spec["volumes"] == [{"name": "scratch", "emptyDir": {}}],
        ),
        (
            "a label with an empty value removed",
            {"metadata": {"labels": {"empty": None}}},
            lambda spec, meta: meta.get("labels", {}).get("empty") == "",
        ),
    ],
)
def test_a_missed_drift_is_restored_by_the_next_poll(
    admin: KubeHttp,
    synced_web: tuple[str, str],
    *,
    what: str,
    patch: dict[str, Any],
    restored: Any,
) -> None:
    name, ns = synced_web
    resp = merge_patch(admin, _deploy_path(ns), patch, manager="kubectl-edit")
    assert resp.status == 200, resp.text

    def probe() -> bool:
        live = get_object(admin, _deploy_path(ns))
        assert live is not None
        return bool(restored(live["spec"]["template"]["spec"], live["metadata"]))

    wait_until(probe, timeout=TIMEOUT, what=f"{what}: restored")
    event = wait_event(
        admin,
        name,
        lambda ev: ev.get("reason") == "DriftCorrected" and f"{ns}/web" in str(ev.get("message")),
        what="DriftCorrected naming the Deployment",
    )
    assert "kubectl-edit" in event["message"] or "removed" in event["message"], event["message"]


def test_fields_only_other_managers_own_are_not_drift_and_never_fought(
    admin: KubeHttp,
    control_plane: ControlPlane,
    syncd_controller: Controller,
    synced_web: tuple[str, str],
) -> None:
    name, ns = synced_web
    set_env = control_plane.kubectl_argv("set", "env", "deployment/web", "-n", ns, "EXTRA=1")
    subprocess.run(set_env, check=True, capture_output=True, timeout=60)
    resp = merge_patch(
        admin,
        _deploy_path(ns),
        {"metadata": {"annotations": {"controller.example/seen": "yes"}}},
        manager="some-controller",
    )
    assert resp.status == 200, resp.text
    before = syncd_entry(get_object(admin, _deploy_path(ns)) or {})
    wait_more_runs(syncd_controller, name, 3)
    live = get_object(admin, _deploy_path(ns))
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "EXTRA", "value": "1"}
    ]
    assert live["metadata"]["annotations"]["controller.example/seen"] == "yes"
    after = syncd_entry(live)
    assert after is not None
    assert before is not None
    assert after["time"] == before["time"]  # syncd did not write it again
    drift = [ev for ev in events_for(admin, name) if ev.get("reason") == "DriftCorrected"]
    assert drift == [], drift


def test_replicas_in_ignore_fields_are_set_once_and_never_reset(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    *,
    control_plane: ControlPlane,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("ignore-fields")
    ignore = {"syncd.dev/ignore-fields": "/spec/replicas"}
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "web.yaml": to_yaml(_deployment(ns, annotations=ignore, replicas=2)),
        },
        "web, replicas owned by an autoscaler after creation",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced", timeout=2 * TIMEOUT)
    assert (get_object(admin, _deploy_path(ns)) or {})["spec"]["replicas"] == 2  # set on create

    scale = control_plane.kubectl_argv("scale", "deployment/web", "-n", ns, "--replicas=4")
    subprocess.run(scale, check=True, capture_output=True, timeout=60)
    wait_more_runs(syncd_controller, name, 3)
    assert (get_object(admin, _deploy_path(ns)) or {})["spec"]["replicas"] == 4  # next polls

    changed = _deployment(ns, annotations={**ignore, "team": "web"}, replicas=2)
    sha2 = repo.commit({"web.yaml": to_yaml(changed)}, "another field changes")
    wait_state(admin, name, sha2, "Synced", timeout=2 * TIMEOUT)
    live = get_object(admin, _deploy_path(ns))
    assert live is not None
    assert live["metadata"]["annotations"]["team"] == "web"  # the commit applied
    assert live["spec"]["replicas"] == 4  # and replicas stayed as the other manager set them
    drift = [ev for ev in events_for(admin, name) if ev.get("reason") == "DriftCorrected"]
    assert drift == [], drift


def _kubectl_made(control_plane: ControlPlane, ns: str, how: str, name: str) -> None:
    manifest = to_yaml(configmap(name, ns, "1") | {"data": {"keep": "1", "drop": "1"}})
    args = {
        "create": ["create", "-f", "-"],
        "client-side": ["apply", "-f", "-"],
        "server-side": ["apply", "--server-side", "-f", "-"],
    }[how]
    subprocess.run(
        control_plane.kubectl_argv(*args),
        input=manifest.encode(),
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_a_field_removed_from_git_is_removed_from_objects_kubectl_made_first(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    control_plane: ControlPlane,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("takeover")
    assert admin.apply(ns_path(ns), namespace(ns), manager="e2e").status in (200, 201)
    hows = ("create", "client-side", "server-side")
    for how in hows:
        _kubectl_made(control_plane, ns, how, f"by-{how}")
    repo = git_repo_factory(git_http)
    both = {
        f"by-{how}": configmap(f"by-{how}", ns, "1") | {"data": {"keep": "1", "drop": "1"}}
        for how in hows
    }
    sha = repo.commit(
        {f"{n}.yaml": to_yaml(body) for n, body in both.items()}, "adopt what kubectl made"
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")
    for n in both:
        live = get_object(admin, cm_path(ns, n))
        assert live is not None
        managers = {e["manager"] for e in live["metadata"]["managedFields"]}
        assert managers == {"syncd"}, (n, managers)

    keep_only = {n: configmap(n, ns, "1") | {"data": {"keep": "1"}} for n in both}
    sha2 = repo.commit({f"{n}.yaml": to_yaml(body) for n, body in keep_only.items()}, "drop a key")
    wait_state(admin, name, sha2, "Synced")
    for n in both:
        assert (get_object(admin, cm_path(ns, n)) or {})["data"] == {"keep": "1"}, n
