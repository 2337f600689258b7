"""An unchanged commit costs almost nothing, measured by the API server itself.

The test runs on a private control plane (`quiet_control_plane`: etcd and the
API server only) with its own `syncd run`, so the API server's
`apiserver_request_total` counters see no other client: no controller-manager,
scheduler or fake node, and no session controller polling other RootSyncs.
The only other writer is the API server's own identity lease, renewed every
~10s (`leases` in `coordination.k8s.io`, kube-system); it is left out of the
write count. Metrics can't be filtered by user, which is why the plane is
private.

Polls are observed through syncd's JSON log: every run of a sync logs
`source.git.resolved` (debug, with the repo URL) before its first request to
the API server and `reconcile.synced` (info, with the sync) after its last.
So the requests between two metric snapshots come from at most
`resolved(after second snapshot) - synced(before first snapshot)` runs.
"""

from __future__ import annotations

from collections import Counter

import pytest

from e2e.kube import unique
from e2e.quiet import API_SERVER_OWN_WRITES, WRITE_VERBS, request_totals
from e2e.servers import GitRepoFactory
from e2e.syncenv import (
    ROOT_SYNCS,
    Controller,
    root_sync_body,
    wait_synced,
)
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

CONFIGMAPS_PER_NAMESPACE = 25
MANAGED_RESOURCES = frozenset(
    {
        ("", "namespaces"),
        ("", "configmaps"),
        ("", "serviceaccounts"),
        ("", "services"),
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("rbac.authorization.k8s.io", "clusterroles"),
    }
)
POLLS_TO_MEASURE = 3


def _manifests(namespaces: list[str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for ns in namespaces:
        docs = [f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"]
        docs += [
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:02d}\n  namespace: {ns}\n"
            f'data:\n  index: "{i}"\n'
            for i in range(CONFIGMAPS_PER_NAMESPACE)
        ]
        docs.append(
            f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n  namespace: {ns}\n"
        )
        docs.append(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: app\n"
            f"  namespace: {ns}\nspec:\n  selector:\n    app: app\n"
            "  ports:\n  - port: 80\n    targetPort: 8080\n"
        )
        docs.append(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n"
            f"  namespace: {ns}\nrules:\n- apiGroups: ['']\n  resources: ['configmaps']\n"
            "  verbs: ['get', 'list']\n"
        )
        docs.append(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
            f"  name: reader\n  namespace: {ns}\nroleRef:\n"
            "  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: reader\n"
            f"subjects:\n- kind: ServiceAccount\n  name: app\n  namespace: {ns}\n"
        )
        files[f"{ns}.yaml"] = "---\n".join(docs)
    files["clusterrole.yaml"] = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
        f"  name: {namespaces[0]}-viewer\nrules:\n- apiGroups: ['']\n"
        "  resources: ['namespaces']\n  verbs: ['get']\n"
    )
    return files


def test_unchanged_polls_make_no_writes_no_object_gets_and_one_list_per_type(
    quiet_control_plane: ControlPlane,
    quiet_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    admin = quiet_control_plane.http()
    namespaces = [unique("quiet-a"), unique("quiet-b")]
    repo = git_repo_factory(git_http, prefix="quiet")
    sha = repo.commit(_manifests(namespaces), "add 50 ConfigMaps and friends")
    repo_url = git_http.repo_url(repo.name)
    name = unique("root-quiet")
    sync = f"RootSync/syncd-system/{name}"
    resp = admin.post(ROOT_SYNCS, root_sync_body(name, repo=repo_url))
    assert resp.status == 201, resp.text
    obj = wait_synced(admin, name, sha, timeout=120)
    assert obj["status"]["summary"]["state"] == "Synced", obj["status"]
    declared = 2 * (1 + CONFIGMAPS_PER_NAMESPACE + 4) + 1
    assert obj["status"]["sync"]["total"] == declared, obj["status"]["sync"]

    def synced_runs() -> int:
        return len(quiet_controller.log_records("reconcile.synced", sync=sync))

    def started_runs() -> int:
        return len(quiet_controller.log_records("source.git.resolved", url=repo_url))

    def next_run_done(after: int) -> int | None:
        done = synced_runs()
        return done if done > after else None

    # Start measuring right after a run finished: the next one starts a period later.
    seen = synced_runs()
    finished_before = wait_until(
        lambda: next_run_done(seen), timeout=30, what="a steady poll", interval=0.02
    )
    before = request_totals(admin)
    wait_until(
        lambda: next_run_done(finished_before + POLLS_TO_MEASURE - 1),
        timeout=60,
        what=f"{POLLS_TO_MEASURE} more polls",
        interval=0.02,
    )
    after = request_totals(admin)
    started_after = started_runs()
    polls = synced_runs() - finished_before
    runs_in_window = started_after - finished_before
    assert polls >= POLLS_TO_MEASURE
    assert runs_in_window >= polls

    delta = after - before
    by_verb: Counter[str] = Counter()
    for key, count in delta.items():
        if (key.group, key.resource) not in API_SERVER_OWN_WRITES:
            by_verb[key.verb] += count
    detail = {f"{k.verb} {k.group}/{k.resource}/{k.subresource}": v for k, v in delta.items()}
    print(  # the figures the acceptance report quotes (pytest -s)
        f"\n{polls} unchanged polls ({runs_in_window} runs touched the window): "
        f"syncd's requests by verb {dict(by_verb)}; per poll "
        f"{ {verb: round(n / polls, 2) for verb, n in by_verb.items()} }; detail {detail}"
    )

    writes = {
        key: count
        for key, count in delta.items()
        if key.verb in WRITE_VERBS and (key.group, key.resource) not in API_SERVER_OWN_WRITES
    }
    assert writes == {}, f"an unchanged poll wrote: {writes}"
    object_gets = {
        key: count
        for key, count in delta.items()
        if key.verb == "GET" and (key.group, key.resource) in MANAGED_RESOURCES
    }
    assert object_gets == {}, f"per-object GETs of managed types: {object_gets}"
    for group, resource in sorted(MANAGED_RESOURCES):
        lists = sum(
            count
            for key, count in delta.items()
            if key.verb == "LIST" and (key.group, key.resource) == (group, resource)
        )
        assert 1 <= lists <= runs_in_window, (
            f"{lists} LISTs of {group}/{resource} in {runs_in_window} runs: {detail}"
        )
    gets = sum(count for key, count in delta.items() if key.verb == "GET")
    assert gets <= 2 * runs_in_window, f"GETs are not bounded per poll: {detail}"
    # Every run is one LIST per managed type: nothing scales with the 50 ConfigMaps.
    total = sum(delta.values())
    assert total <= runs_in_window * (len(MANAGED_RESOURCES) + 2) + 2, detail
