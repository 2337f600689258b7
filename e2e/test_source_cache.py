"""Six RootSyncs on one repository at six revisions share the controller's source cache.

The session controller keeps one cache per URL; with a cache that keeps three
worktrees, six syncs fetching and decoding six revisions at once must each
read a whole tree of its own revision. Each RootSync manages its own
Namespace and ConfigMaps (its own `dir`), so the syncs never contend for an
object, and the objects say which revision was read: revision `k` declares
ConfigMaps `rev-0` .. `rev-k` and `current` holding `k`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import ROOT_SYNCS, Controller, get_root_sync
from e2e.syncsteps import (
    TIMEOUT,
    configmap,
    create_root_sync,
    errors_of,
    namespace,
    ns_path,
    to_yaml,
    wait_state,
    warnings_for,
)
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ServerError, wait_until
from syncd.source.git import GitSource, GitSourceOptions
from syncd.source.lease import exclusive

pytestmark = pytest.mark.e2e

SYNCS = 6


def commit_revisions(repo: GitRepo, namespaces: list[str], count: int, *, start: int) -> list[str]:
    """Commits `start` .. `start + count - 1`, tagged `v<k>`: each adds `rev-k`, moves `current`."""
    shas = []
    for k in range(start, start + count):
        files: dict[str, str | None] = {}
        for j, ns in enumerate(namespaces):
            files[f"sync-{j}/ns.yaml"] = to_yaml(namespace(ns))
            files[f"sync-{j}/rev-{k}.yaml"] = to_yaml(configmap(f"rev-{k}", ns, str(k)))
            files[f"sync-{j}/current.yaml"] = to_yaml(configmap("current", ns, str(k)))
        shas.append(repo.commit(files, f"revision {k}"))
        repo.tag(f"v{k}", shas[-1])
    return shas


def revision_name(k: int, sha: str) -> str:
    """Half the syncs name their revision by tag, half by full commit sha."""
    return f"v{k}" if k % 2 == 0 else sha


def declared_configmaps(admin: KubeHttp, ns: str) -> dict[str, str]:
    """ConfigMap name -> `data.value` in `ns` (the API server's own root CA map left out)."""
    resp = admin.get(f"/api/v1/namespaces/{ns}/configmaps")
    assert resp.status == 200, resp.text
    return {
        item["metadata"]["name"]: (item.get("data") or {}).get("value", "")
        for item in resp.json()["items"]
        if item["metadata"]["name"] != "kube-root-ca.crt"
    }


def expected_configmaps(k: int) -> dict[str, str]:
    return {"current": str(k), **{f"rev-{i}": str(i) for i in range(k + 1)}}


def assert_synced_at(
    admin: KubeHttp,
    names: list[str],
    namespaces: list[str],
    at: Callable[[int], int],
    shas: list[str],
) -> None:
    """Every RootSync `j` is Synced at commit `at(j)`, with no error and exactly its objects."""
    for j, name in enumerate(names):
        k = at(j)
        try:
            obj = wait_state(admin, name, shas[k], "Synced", timeout=TIMEOUT)
        except ServerError as exc:
            status = get_root_sync(admin, name).get("status")
            pytest.fail(f"sync {j} not Synced at revision {k}: {exc}; status: {status}")
        assert errors_of(obj["status"]) == [], obj["status"]
        assert obj["status"]["lastSyncedCommit"] == shas[k]
    for j, ns in enumerate(namespaces):
        assert declared_configmaps(admin, ns) == expected_configmaps(at(j)), f"sync {j}"


def replica_source(controller: Controller, url: str, *, directory: str) -> GitSource:
    """A source on the controller's cache volume, as another controller replica has."""
    cache_dir = Path(controller.env["SYNCD_CACHE_DIR"])
    return GitSource(GitSourceOptions(repo=url, directory=directory), cache_dir=cache_dir)


def files_under(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def wait_all_leases_released(leases: Path) -> None:
    """Poll until no lease in `leases` is held: every run released the tree it read."""

    def free(lease: Path) -> bool:
        with exclusive(lease) as unheld:
            return unheld

    wait_until(
        lambda: leases.is_dir() and all(free(lease) for lease in leases.iterdir()),
        timeout=TIMEOUT,
        what=f"every lease in {leases} released",
        interval=0.2,
    )


def test_six_root_syncs_at_six_revisions_of_one_repository_each_sync_their_own_tree(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    prefix = unique("cache")
    namespaces = [f"{prefix}-{j}" for j in range(SYNCS)]
    repo = git_repo_factory(git_http)
    url = git_http.repo_url(repo.name)
    shas = commit_revisions(repo, namespaces, SYNCS, start=0)

    # This test process reads revision 0 from the controller's cache, as a
    # second replica sharing the volume would, for as long as six syncs fetch
    # six revisions (three worktrees are kept: three fetches would evict it).
    replica = replica_source(syncd_controller, url, directory="sync-0")
    leases = replica.cache_path / "leases"
    snapshot = replica.fetch(shas[0])
    held_tree = files_under(snapshot.directory)
    held_inode = snapshot.directory.stat().st_ino  # a tree evicted and fetched again is new
    try:
        names = [
            create_root_sync(
                admin,
                request,
                repo=url,
                cleanup=[ns_path(namespaces[j])],
                spec={
                    "git": {
                        "repo": url,
                        "dir": f"sync-{j}",
                        "period": "1s",
                        "revision": revision_name(j, shas[j]),
                    }
                },
            )
            for j in range(SYNCS)
        ]
        assert_synced_at(admin, names, namespaces, lambda j: j, shas)
        assert snapshot.directory.stat().st_ino == held_inode
        assert files_under(snapshot.directory) == held_tree
    finally:
        snapshot.release()
    wait_all_leases_released(leases)
    skipped = syncd_controller.log_records("source.git.worktrees_pruned", url=url)
    assert any(shas[0] in record.get("held", ()) for record in skipped), skipped

    # Move every sync at once to another revision (sync j to 2*SYNCS-1-j): six
    # more fetches side by side, of trees the cache never held; the tree this
    # test released goes with the first of them.
    shas += commit_revisions(repo, namespaces, SYNCS, start=SYNCS)
    for j, name in enumerate(names):
        k = 2 * SYNCS - 1 - j
        patch = {"spec": {"git": {"revision": revision_name(k, shas[k])}}}
        resp = admin.request(
            "PATCH", f"{ROOT_SYNCS}/{name}", body=patch, content_type="application/merge-patch+json"
        )
        assert resp.status == 200, resp.text
    assert_synced_at(admin, names, namespaces, lambda j: 2 * SYNCS - 1 - j, shas)
    wait_all_leases_released(leases)
    assert not snapshot.directory.exists()
    for name in names:
        assert warnings_for(admin, name) == [], name
