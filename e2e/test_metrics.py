"""`syncd run` serves /healthz, /readyz and /metrics, and the metrics follow a sync as it runs."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import ROOT_SYNCS, SYSTEM_NS, Controller
from e2e.syncsteps import configmap, create_root_sync, namespace, to_yaml, wait_state
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e


def fetch(controller: Controller, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{controller.metrics_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except urllib.error.URLError:
        return 0, ""  # not listening yet


def sync_samples(controller: Controller, name: str) -> dict[tuple[str, str], float]:
    """`(metric, action or code or '') -> value` of the RootSync `name`'s series."""
    code, body = fetch(controller, "/metrics")
    assert code == 200, body
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.labels.get("name") == name and sample.labels.get("kind") == "RootSync":
                extra = sample.labels.get("action") or sample.labels.get("code") or ""
                found[(sample.name, extra)] = sample.value
    return found


def test_metrics_follow_a_sync_and_go_when_it_is_deleted(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    wait_until(
        lambda: fetch(syncd_controller, "/healthz") == (200, "ok\n"),
        timeout=60,
        what="syncd serving /healthz",
    )
    wait_until(
        lambda: fetch(syncd_controller, "/readyz") == (200, "ok\n"),
        timeout=60,
        what="syncd ready (both sync kinds listed)",
    )
    ns = unique("metrics")
    request.addfinalizer(lambda: admin.delete(f"/api/v1/namespaces/{ns}"))
    repo = git_repo_factory(git_http, prefix="metrics")
    first = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "cms.yaml": to_yaml(configmap("a", ns, "1"), configmap("b", ns, "1")),
        },
        "two ConfigMaps",
    )
    name = create_root_sync(admin, request, repo=git_http.repo_url(repo.name))
    wait_state(admin, name, first, "Synced")
    first_seen = wait_until(
        lambda: (s := sync_samples(syncd_controller, name)).get(("syncd_objects", "applied")) and s,
        timeout=60,
        what="the first run's metrics",
    )
    assert first_seen[("syncd_declared_objects", "")] == 3
    assert first_seen[("syncd_objects", "applied")] == 3
    synced_at = first_seen[("syncd_last_synced_timestamp_seconds", "")]
    # A commit that drops one ConfigMap: the counts move to what that run did.
    second = repo.commit({"cms.yaml": to_yaml(configmap("a", ns, "1"))}, "drop b")
    wait_state(admin, name, second, "Synced")
    moved = wait_until(
        lambda: (s := sync_samples(syncd_controller, name)).get(("syncd_objects", "pruned")) and s,
        timeout=60,
        what="the second run's metrics",
    )
    assert moved[("syncd_objects", "pruned")] == 1
    assert moved[("syncd_declared_objects", "")] == 2
    assert moved[("syncd_last_synced_timestamp_seconds", "")] >= synced_at
    # Deleting the RootSync removes its series.
    assert admin.delete(f"{ROOT_SYNCS}/{name}").status in (200, 202)
    wait_until(
        lambda: not sync_samples(syncd_controller, name),
        timeout=60,
        what=f"the series of {SYSTEM_NS}/{name} removed",
    )
