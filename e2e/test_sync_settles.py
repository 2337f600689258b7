"""What a value comparison would call drift settles after one apply: later polls write nothing.

On a private control plane (only etcd and the API server, and this test's
own `syncd run`), a commit holds every case where the API server stores
something other than what was declared: `Secret.stringData`, an HPA declared
at a version the server does not prefer, quantities it canonicalises (a
LimitRange's `1024Mi`, an HPA's `averageValue`), and a custom resource with a
field its CRD does not declare (which server-side apply refuses: a coded
error, not endless retries). After the first run, polls make zero write
requests, also after the controller restarts and knows no baselines, and
the CRD in the commit causes no rediscovery.
"""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from e2e.kube import unique, widget_crd
from e2e.quiet import API_SERVER_OWN_WRITES, WRITE_VERBS, RequestKey, request_totals
from e2e.servers import GitRepoFactory
from e2e.syncenv import (
    ROOT_SYNCS,
    Controller,
    root_sync_body,
    start_controller,
    stop_controller,
)
from e2e.syncsteps import errors_with_code, namespace, to_yaml, wait_state
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

POLLS = 3


def _objects(ns: str, group: str) -> list[dict[str, Any]]:
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    return [
        namespace(ns),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "namespace": ns},
            "stringData": {"password": "s3cret"},
        },
        {
            "apiVersion": "autoscaling/v1",  # the server prefers v2
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "v1", "namespace": ns},
            "spec": {
                "scaleTargetRef": target,
                "maxReplicas": 3,
                "targetCPUUtilizationPercentage": 50,
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "v2", "namespace": ns},
            "spec": {
                "scaleTargetRef": target,
                "maxReplicas": 3,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "memory",
                            "target": {"type": "AverageValue", "averageValue": "1024Mi"},
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "limits", "namespace": ns},
            "spec": {
                "limits": [{"type": "Container", "default": {"memory": "1024Mi", "cpu": 0.5}}]
            },
        },
        widget_crd(group),
        {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": "odd", "namespace": ns},
            "spec": {"size": 1, "colour": "blue"},  # colour: not in the CRD's schema
        },
    ]


def _polls(controller: Controller, sync: str) -> int:
    return len(controller.log_records("reconcile.synced", sync=sync))


def _writes_over_polls(admin: KubeHttp, controller: Controller, sync: str) -> dict[str, int]:
    """Every write request the API server saw over POLLS polls, and any rediscovery.

    A run logs `reconcile.synced` before it writes status and Events, so the
    window opens only once the run after the next one has started.
    """
    seen = _polls(controller, sync)
    wait_until(lambda: _polls(controller, sync) > seen + 1, timeout=60, what="polls", interval=0.02)
    start = _polls(controller, sync)
    before = request_totals(admin)
    loads_before = len(controller.log_records("cluster.discovery_loaded"))
    wait_until(
        lambda: _polls(controller, sync) >= start + POLLS,
        timeout=60,
        what=f"{POLLS} polls",
        interval=0.02,
    )
    delta: Counter[RequestKey] = request_totals(admin) - before
    writes = {
        f"{k.verb} {k.group}/{k.resource}/{k.subresource}": n
        for k, n in delta.items()
        if k.verb in WRITE_VERBS and (k.group, k.resource) not in API_SERVER_OWN_WRITES
    }
    # syncd logs every discovery load: a poll that dropped the cache would show here.
    reloads = len(controller.log_records("cluster.discovery_loaded")) - loads_before
    if reloads:
        writes["discovery reloads"] = reloads
    return writes


def test_invented_drift_settles_after_one_apply_and_idle_polls_write_nothing(
    quiet_control_plane: ControlPlane,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    tmp_path: Path,
) -> None:
    admin = quiet_control_plane.http()
    ns, group = unique("settles"), f"s{uuid.uuid4().hex[:8]}.e2e.syncd.dev"
    repo = git_repo_factory(git_http, prefix="settles")
    sha = repo.commit({"all.yaml": to_yaml(*_objects(ns, group))}, "what servers rewrite")
    name = unique("root-settles")
    sync = f"RootSync/syncd-system/{name}"
    controller = start_controller(quiet_control_plane, tmp_path / "first")
    try:
        assert (
            admin.post(ROOT_SYNCS, root_sync_body(name, repo=git_http.repo_url(repo.name))).status
            == 201
        )
        status = wait_state(admin, name, sha, "Error", timeout=120)["status"]
        [rejected] = errors_with_code(status, "SD2009")
        assert "colour" in rejected["message"], rejected
        assert [c["status"] for c in status["conditions"] if c["type"] == "Stalled"] == ["True"]
        assert errors_with_code(status, "SD2009") == status["sync"]["errors"]  # nothing else
        assert _writes_over_polls(admin, controller, sync) == {}
    finally:
        assert stop_controller(controller) == 0
    restarted = start_controller(quiet_control_plane, tmp_path / "restarted")
    try:
        # A new process knows no baselines: it checks every object field by field once.
        assert _writes_over_polls(admin, restarted, sync) == {}
    finally:
        assert stop_controller(restarted) == 0
