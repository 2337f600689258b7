"""What the tenants benchmark asks the API server: setup, creating syncs, waiting, verifying.

Setup (untimed, before syncd starts): every tenant and peer namespace, and
for RepoSyncs the ClusterRole `bench-tenant` (ConfigMaps and Secrets) bound
in each tenant namespace to the RepoSync's service account. The timed part:
creating every sync object (POST) and polling one LIST of them until each is
Synced (`is_synced`). The harness counts its own requests in that window, so
they can be told apart from syncd's. Verification is one LIST of the
benchmark's ConfigMaps across namespaces.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.checks import APPLYSET_ID_LABEL
from bench.manifests import BENCH_LABEL, BENCH_LABEL_VALUE
from bench.tenant_scenario import CLUSTER_ROLE, SyncKind, TenantScenario, is_synced
from syncd.devenv.kubehttp import KubeHttp, Response

SETUP_THREADS = 8
POLL_SECONDS = 0.5


class SetupError(RuntimeError):
    """The API server refused something the harness needs."""


def _expect(resp: Response, what: str, *codes: int) -> None:
    if resp.status not in codes:
        raise SetupError(f"{what}: {resp.status} {resp.text[:300]}")


def post_all(admin: KubeHttp, items: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """POST each (collection path, body) from a few threads; every answer must be 201."""
    work = list(items)

    def post(item: tuple[str, dict[str, Any]]) -> None:
        path, body = item
        _expect(admin.post(path, body), f"POST {path} {body['metadata']['name']}", 201)

    with ThreadPoolExecutor(max_workers=SETUP_THREADS) as pool:
        list(pool.map(post, work))
    return len(work)


def namespace_body(name: str) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def tenant_role() -> dict[str, Any]:
    """The ClusterRole each tenant's service account is bound to in its own namespace."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": CLUSTER_ROLE},
        "rules": [
            {
                "apiGroups": [""],
                "resources": ["configmaps", "secrets"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
            }
        ],
    }


def role_binding(scenario: TenantScenario, index: int) -> dict[str, Any]:
    """Binds `bench-tenant` to sync `index`'s service account in its namespace."""
    ns = scenario.sync_namespace(index)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": CLUSTER_ROLE, "namespace": ns},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": CLUSTER_ROLE,
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": scenario.service_account(index), "namespace": ns}
        ],
    }


def prepare(admin: KubeHttp, scenario: TenantScenario, prefixes: Iterable[str]) -> int:
    """Create the namespaces with each prefix and, for RepoSyncs, the tenants' RBAC."""
    made = post_all(
        admin,
        (
            ("/api/v1/namespaces", namespace_body(ns))
            for p in prefixes
            for ns in scenario.namespaces(p)
        ),
    )
    if scenario.kind is not SyncKind.REPO_SYNC:
        return made
    role_path = "/apis/rbac.authorization.k8s.io/v1/clusterroles"
    _expect(admin.post(role_path, tenant_role()), f"POST {role_path}", 201)
    accounts = (
        (
            f"/api/v1/namespaces/{scenario.sync_namespace(i)}/serviceaccounts",
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {"name": scenario.service_account(i)},
            },
        )
        for i in range(scenario.syncs)
    )
    bindings = (
        (
            f"/apis/rbac.authorization.k8s.io/v1/namespaces/{scenario.sync_namespace(i)}/rolebindings",
            role_binding(scenario, i),
        )
        for i in range(scenario.syncs)
    )
    return made + 1 + post_all(admin, accounts) + post_all(admin, bindings)


@dataclass(slots=True, kw_only=True)
class SyncWait:
    """How the wait for every sync to be Synced went."""

    seconds: float | None = None
    """From the first creation until all were Synced (None: not all within the timeout)."""
    synced: int = 0
    harness_requests: Counter[str] = field(default_factory=Counter)
    """The harness's own requests in the window, "VERB resource code" -> count."""
    problem: str = ""


def create_and_wait(
    admin: KubeHttp,
    scenario: TenantScenario,
    *,
    repo_urls: Mapping[int, str],
    commits: Mapping[int, str],
    timeout: float,
    alive: Callable[[], str],
    clock: Callable[[], float] = time.perf_counter,
) -> SyncWait:
    """Create every sync object, then poll one LIST until each is Synced at its repo's commit.

    `alive` returns '' while syncd runs, else why not (the wait stops there).
    """
    wait = SyncWait()
    plural = scenario.kind.plural
    began = clock()
    post_all(
        admin,
        (
            (
                scenario.sync_path(i).rsplit("/", 1)[0],
                scenario.sync_body(i, repo_url=repo_urls[scenario.repo_of(i)]),
            )
            for i in range(scenario.syncs)
        ),
    )
    wait.harness_requests[f"POST {plural} 201"] += scenario.syncs
    want = {
        (scenario.sync_namespace(i), scenario.sync_name(i)): commits[scenario.repo_of(i)]
        for i in range(scenario.syncs)
    }
    while True:
        resp = admin.get(scenario.list_path())
        wait.harness_requests[f"LIST {plural} {resp.status}"] += 1
        _expect(resp, f"LIST {plural}", 200)
        wait.synced = sum(
            1
            for obj in resp.json().get("items") or []
            for meta in (obj.get("metadata") or {},)
            if (key := (meta.get("namespace"), meta.get("name"))) in want
            and is_synced(obj, want[key])
        )
        elapsed = clock() - began
        if wait.synced == scenario.syncs:
            wait.seconds = elapsed
            return wait
        if (why := alive()) or elapsed > timeout:
            wait.problem = why or f"{wait.synced} of {scenario.syncs} Synced after {timeout:.0f}s"
            return wait
        time.sleep(POLL_SECONDS)


def verify_objects(admin: KubeHttp, scenario: TenantScenario, prefix: str) -> str:
    """One LIST across namespaces; '' when each `prefix` namespace holds exactly its objects."""
    resp = admin.get(f"/api/v1/configmaps?labelSelector={BENCH_LABEL}%3D{BENCH_LABEL_VALUE}")
    if resp.status != 200:
        return f"LIST configmaps failed: {resp.status} {resp.text[:200]}"
    live: dict[str, dict[str, str | None]] = {}
    for item in resp.json().get("items") or []:
        meta = item["metadata"]
        if APPLYSET_ID_LABEL in (meta.get("labels") or {}):
            continue
        live.setdefault(meta["namespace"], {})[meta["name"]] = (item.get("data") or {}).get(
            "version"
        )
    wrong = [
        ns
        for i, ns in enumerate(scenario.namespaces(prefix))
        if live.get(ns) != scenario.expected(i)
    ]
    if not wrong:
        return ""
    sample = wrong[0]
    have = len(live.get(sample, {}))
    return (
        f"{len(wrong)} of {scenario.syncs} namespaces do not hold exactly their "
        f"{scenario.objects} ConfigMaps (e.g. {sample}: {have})"
    )
