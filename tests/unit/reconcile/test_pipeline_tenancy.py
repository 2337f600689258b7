"""A RepoSync runs through the same pipeline, acting as its service account, inside its walls."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from syncd.api.models import SyncObject
from syncd.core.inventory import InventorySet
from syncd.core.metadata import MANAGER_ANNOTATION
from syncd.core.ports import Cluster, Source
from syncd.core.sync import SyncId, SyncKind
from syncd.inventory.store import InventoryStore
from syncd.reconcile.identity import REVERIFY_SECONDS
from syncd.reconcile.pipeline import Pipeline
from syncd.reconcile.sources import credentials_for
from syncd.reconcile.worker import TriggerReason
from syncd.status.writer import previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from syncd.testing.fake_rbac import FakeRequest, namespace_only
from syncd.testing.fake_source import FakeSource
from tests.unit.kube import (
    REPO_SYNC,
    ROLE_BINDING,
    ROOT_SYNC,
    SECRET,
    SERVICE_ACCOUNT,
    TENANCY_TYPES,
    cluster_role,
    cm_ref,
    configmap,
    ref_of,
    root_sync,
)
from tests.unit.reconcile.pipeline_env import make_pipeline

POLL = frozenset({TriggerReason.POLL})
TENANT = SyncId(kind=SyncKind.REPO_SYNC, namespace="team-a", name="repo")
ROOT = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="root")
TENANT_USER = "system:serviceaccount:team-a:syncd-repo"
WRITES = {"apply", "delete", "merge_patch", "create", "replace_status"}


def repo_sync(spec: dict[str, Any] | None = None, namespace: str = "team-a") -> dict[str, Any]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": "repo", "namespace": namespace},
        "spec": spec or {"git": {"repo": "https://git.example/team-a.git"}},
    }


def files(*objs: dict[str, Any]) -> dict[str, str | None]:
    return {f"{i:02d}.yaml": yaml.safe_dump(obj) for i, obj in enumerate(objs)}


@dataclass
class Tenancy:
    cluster: FakeCluster
    clock: FakeClock
    sources: dict[SyncId, FakeSource]
    pipelines: dict[SyncId, Pipeline]
    executor: ThreadPoolExecutor
    cache_dir: Path

    def run(self, sync: SyncId) -> bool:
        return self.pipelines[sync].run(POLL)

    def errors(self, sync: SyncId) -> list[tuple[str, str]]:
        rtype = REPO_SYNC if sync.kind is SyncKind.REPO_SYNC else ROOT_SYNC
        live = self.cluster.peek(ref_of(rtype, sync.name, sync.namespace))
        assert live is not None
        status = previous_status(live)
        assert status is not None
        blocks = (status.source, status.rendering, status.sync)
        return [(e.code, e.message) for b in blocks if b is not None for e in b.errors]

    def inventory(self, sync: SyncId) -> InventorySet:
        return InventoryStore(self.cluster, sync=sync).load().refs

    def mark(self) -> int:
        return len(self.cluster.requests)

    def restart(self, sync: SyncId) -> None:
        """A new process's pipeline for `sync`: nothing remembered from earlier runs."""
        self.pipelines[sync] = make_pipeline(
            self.cluster,
            clock=self.clock,
            executor=self.executor,
            cache_dir=self.cache_dir,
            factory=lambda *_: self.sources[sync],
            sync=sync,
        )

    def requests_as(self, mark: int, user: str) -> list[tuple[str, str]]:
        pairs = zip(self.cluster.requests[mark:], self.cluster.requested_by[mark:], strict=True)
        return [request for request, by in pairs if by == user]


def make_tenancy(
    tmp_path: Path,
    executor: ThreadPoolExecutor,
    *,
    tenant_spec: dict[str, Any] | None = None,
    root_spec: dict[str, Any] | None = None,
    tenant_namespace: str = "team-a",
) -> Tenancy:
    clock = FakeClock()
    cluster = FakeCluster(TENANCY_TYPES, clock=clock)
    cluster.authorize(namespace_only(tenant_namespace))
    cluster.apply(
        ref_of(REPO_SYNC, "repo", tenant_namespace),
        repo_sync(tenant_spec, tenant_namespace),
        field_manager="kubectl",
    )
    cluster.apply(
        ref_of(ROOT_SYNC, "root", "syncd-system"), root_sync(root_spec), field_manager="kubectl"
    )
    tenant = SyncId(kind=SyncKind.REPO_SYNC, namespace=tenant_namespace, name="repo")
    sources = {tenant: FakeSource(tmp_path / "tenant"), ROOT: FakeSource(tmp_path / "root")}
    pipelines = {}
    for sync, source in sources.items():

        def factory(
            c: Cluster, s: SyncObject, d: Path, t: float, source: FakeSource = source
        ) -> Source:
            credentials_for(c, s)  # read the Secret the spec names, as the pipeline asks
            return source

        pipelines[sync] = make_pipeline(
            cluster,
            clock=clock,
            executor=executor,
            cache_dir=tmp_path / "cache",
            factory=factory,
            sync=sync,
        )
    return Tenancy(
        cluster=cluster,
        clock=clock,
        sources=sources,
        pipelines=pipelines,
        executor=executor,
        cache_dir=tmp_path / "cache",
    )


def test_a_repo_sync_applies_lists_and_reads_as_its_service_account(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor)
    env.sources[TENANT].commit(files(configmap("a", "team-a"), configmap("b", "team-a")))
    mark = env.mark()
    assert env.run(TENANT)
    assert env.cluster.peek(cm_ref("a", "team-a")) is not None
    mine = env.requests_as(mark, TENANT_USER)
    assert ("apply", str(cm_ref("a", "team-a"))) in mine
    assert ("list", "ConfigMap") in mine
    # syncd's own identity writes only the status, the ResourceGroup and Events.
    own = env.requests_as(mark, "")
    touched = {label.split()[0] for verb, label in own if verb in WRITES}
    assert touched == {"RepoSync.syncd.dev", "ResourceGroup.syncd.dev", "Event"}
    assert not [r for r in own if "ConfigMap" in r[1]]
    assert env.inventory(TENANT).refs == {cm_ref("a", "team-a"), cm_ref("b", "team-a")}


def test_objects_outside_the_tenants_namespace_are_refused_before_any_request(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor)
    escapes = [
        cluster_role("escalate"),
        configmap("elsewhere", "team-b"),
        configmap("system", "syncd-system"),
        {**root_sync(), "metadata": {"name": "evil", "namespace": "team-a"}},
        {**repo_sync(namespace="team-b"), "metadata": {"name": "x", "namespace": "team-b"}},
        {
            "apiVersion": "syncd.dev/v1beta1",
            "kind": "ResourceGroup",
            "metadata": {"name": "repo", "namespace": "team-a"},
            "spec": {"resources": []},
        },
    ]
    env.sources[TENANT].commit(files(configmap("ok", "team-a"), *escapes))
    mark = env.mark()
    env.run(TENANT)
    codes = [code for code, _ in env.errors(TENANT)]
    assert codes.count("SD1058") == len(escapes)
    assert env.cluster.peek(cm_ref("ok", "team-a")) is not None
    sent = env.requests_as(mark, TENANT_USER)
    assert not [r for r in sent if r[0] == "apply" and "ok" not in r[1]]
    assert env.cluster.peek(ref_of(REPO_SYNC, "x", "team-b")) is None


def test_a_missing_permission_is_sd2013_naming_verb_and_resource_and_the_rest_applies(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor)

    def no_secret_writes(request: FakeRequest) -> bool:
        if request.resource == "secrets" and request.verb == "patch":
            return False
        return request.namespace == "team-a"

    env.cluster.authorize(no_secret_writes)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "team-a"},
    }
    env.sources[TENANT].commit(files(configmap("a", "team-a"), secret))
    env.run(TENANT)
    forbidden = [m for code, m in env.errors(TENANT) if code == "SD2013"]
    assert len(forbidden) == 1
    assert 'cannot patch resource "secrets"' in forbidden[0]
    assert TENANT_USER in forbidden[0]
    assert env.cluster.peek(cm_ref("a", "team-a")) is not None


def test_a_hand_edited_resource_group_never_prunes_outside_the_namespace(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor)
    env.cluster.authorize(None)  # even with RBAC wide open, the first wall holds
    env.sources[TENANT].commit(files(configmap("a", "team-a"), configmap("keep", "team-a")))
    assert env.run(TENANT)
    victim = cm_ref("victim", "team-b")
    env.cluster.apply(victim, configmap("victim", "team-b"), field_manager="kubectl")
    store = InventoryStore(env.cluster, sync=TENANT)
    store.load()
    store.record(InventorySet({cm_ref("a", "team-a"), cm_ref("keep", "team-a"), victim}))
    # A new process reads the edited ResourceGroup (no copy of it remembered).
    env.restart(TENANT)
    env.sources[TENANT].commit({"00.yaml": None})
    mark = env.mark()
    env.run(TENANT)
    assert env.cluster.peek(victim) is not None
    assert ("delete", str(victim)) not in env.cluster.requests[mark:]
    assert env.cluster.peek(cm_ref("a", "team-a")) is None  # its own object is pruned
    assert victim not in env.inventory(TENANT).refs


def test_a_root_sync_takes_over_a_tenants_object_and_the_tenant_lets_go_without_deleting(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor)
    shared = configmap("shared", "team-a", owner="tenant")
    env.sources[TENANT].commit(files(shared))
    assert env.run(TENANT)
    env.sources[ROOT].commit(files(configmap("shared", "team-a", owner="platform")))
    assert env.run(ROOT)
    live = env.cluster.peek(cm_ref("shared", "team-a"))
    assert live is not None
    assert live["metadata"]["annotations"][MANAGER_ANNOTATION] == str(ROOT)
    assert live["data"] == {"owner": "platform"}
    mark = env.mark()
    env.run(TENANT)
    assert [code for code, _ in env.errors(TENANT)] == ["SD1060"]
    assert cm_ref("shared", "team-a") not in env.inventory(TENANT).refs
    after = env.cluster.peek(cm_ref("shared", "team-a"))
    assert after is not None
    assert after["data"] == {"owner": "platform"}
    writes = [r for r in env.cluster.requests[mark:] if r[0] in WRITES and "ConfigMap" in r[1]]
    assert writes == []


def test_a_repo_sync_never_takes_a_root_syncs_object(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor)
    env.sources[ROOT].commit(files(configmap("platform", "team-a", owner="platform")))
    assert env.run(ROOT)
    forged = configmap("platform", "team-a", owner="tenant")
    forged["metadata"]["annotations"] = {MANAGER_ANNOTATION: str(TENANT)}
    env.sources[TENANT].commit(files(forged))
    env.run(TENANT)
    assert [code for code, _ in env.errors(TENANT)] == ["SD1060"]
    live = env.cluster.peek(cm_ref("platform", "team-a"))
    assert live is not None
    assert live["data"] == {"owner": "platform"}
    assert live["metadata"]["annotations"][MANAGER_ANNOTATION] == str(ROOT)


def test_the_tenants_credentials_are_read_as_the_tenant(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    spec = {
        "git": {
            "repo": "https://git.example/team-a.git",
            "auth": "token",
            "secretRef": {"name": "git"},
        }
    }
    env = make_tenancy(tmp_path, executor, tenant_spec=spec)
    token = base64.b64encode(b"t0ken").decode()
    secret_ref = ref_of(SECRET, "git", "team-a")
    env.cluster.apply(
        secret_ref,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "git", "namespace": "team-a"},
            "data": {"token": token},
        },
        field_manager="kubectl",
    )
    env.sources[TENANT].commit(files(configmap("a", "team-a")))
    mark = env.mark()
    assert env.run(TENANT)
    assert ("get", str(secret_ref)) in env.requests_as(mark, TENANT_USER)
    assert ("get", str(secret_ref)) not in env.requests_as(mark, "")


def test_a_repo_sync_in_syncds_namespace_stalls_with_sd1061(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor, tenant_namespace="syncd-system")
    sync = SyncId(kind=SyncKind.REPO_SYNC, namespace="syncd-system", name="repo")
    env.sources[sync].commit(files(configmap("a", "syncd-system")))
    assert env.run(sync)
    live = env.cluster.peek(ref_of(REPO_SYNC, "repo", "syncd-system"))
    assert live is not None
    status = previous_status(live)
    assert status is not None
    assert status.source is not None
    assert [e.code for e in status.source.errors] == ["SD1061"]
    assert env.cluster.peek(cm_ref("a", "syncd-system")) is None


def test_role_refs_bind_an_account_that_limits_the_root_sync(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    spec = {
        "git": {"repo": "https://git.example/platform.git"},
        "override": {"roleRefs": [{"kind": "ClusterRole", "name": "edit", "namespace": "app"}]},
    }
    env = make_tenancy(tmp_path, executor, root_spec=spec)
    env.cluster.authorize(namespace_only("app"))
    env.sources[ROOT].commit(files(configmap("in", "app"), configmap("out", "other")))
    mark = env.mark()
    env.run(ROOT)
    account = ref_of(SERVICE_ACCOUNT, "syncd-root-root", "syncd-system")
    assert env.cluster.peek(account) is not None
    binding = env.cluster.peek(ref_of(ROLE_BINDING, "syncd-root-root.clusterrole.edit", "app"))
    assert binding is not None
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }
    assert binding["subjects"][0]["name"] == "syncd-root-root"
    assert env.cluster.peek(cm_ref("in", "app")) is not None
    assert env.cluster.peek(cm_ref("out", "other")) is None
    forbidden = [m for code, m in env.errors(ROOT) if code == "SD2013"]
    assert len(forbidden) == 1
    assert '"other"' in forbidden[0]
    root = env.cluster.peek(ref_of(ROOT_SYNC, "root", "syncd-system"))
    assert root is not None
    refused = [e for e in root["status"]["sync"]["errors"] if e["code"] == "SD2013"]
    assert [r.get("sourcePath") for r in refused[0]["resources"]] == ["01.yaml"]
    user = "system:serviceaccount:syncd-system:syncd-root-root"
    assert ("apply", str(cm_ref("in", "app"))) in env.requests_as(mark, user)
    # Dropping the roleRefs deletes the binding and gives the RootSync syncd's identity back.
    env.cluster.apply(
        ref_of(ROOT_SYNC, "root", "syncd-system"), root_sync(), field_manager="kubectl"
    )
    env.run(ROOT)
    assert env.cluster.peek(ref_of(ROLE_BINDING, "syncd-root-root.clusterrole.edit", "app")) is None
    assert env.cluster.peek(cm_ref("out", "other")) is not None


def test_foreground_deletion_of_a_repo_sync_prunes_as_the_tenant(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_tenancy(tmp_path, executor)
    ref = ref_of(REPO_SYNC, "repo", "team-a")
    body = repo_sync()
    body["metadata"]["annotations"] = {"syncd.dev/deletion-propagation": "Foreground"}
    env.cluster.apply(ref, body, field_manager="kubectl")
    env.sources[TENANT].commit(files(configmap("a", "team-a")))
    assert env.run(TENANT)
    env.cluster.delete(ref)  # held by syncd's finalizer
    mark = env.mark()
    assert env.run(TENANT)
    assert env.cluster.peek(cm_ref("a", "team-a")) is None
    assert ("delete", str(cm_ref("a", "team-a"))) in env.requests_as(mark, TENANT_USER)
    assert env.cluster.peek(ref) is None


def test_role_refs_removed_while_syncd_was_down_are_cleaned_up_by_the_next_process(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    spec = {
        "git": {"repo": "https://git.example/platform.git"},
        "override": {"roleRefs": [{"kind": "ClusterRole", "name": "edit", "namespace": "app"}]},
    }
    env = make_tenancy(tmp_path, executor, root_spec=spec)
    env.sources[ROOT].commit(files(configmap("in", "app")))
    env.run(ROOT)
    binding = ref_of(ROLE_BINDING, "syncd-root-root.clusterrole.edit", "app")
    account = ref_of(SERVICE_ACCOUNT, "syncd-root-root", "syncd-system")
    assert env.cluster.peek(binding) is not None
    # A new process, and the roleRefs are gone.
    env.cluster.apply(
        ref_of(ROOT_SYNC, "root", "syncd-system"), root_sync(), field_manager="kubectl"
    )
    env.restart(ROOT)
    env.run(ROOT)
    assert env.cluster.peek(binding) is None
    assert env.cluster.peek(account) is None
    # Without roleRefs and nothing made earlier, a process asks for the account once only.
    mark = env.mark()
    env.run(ROOT)
    env.restart(ROOT)
    env.run(ROOT)
    env.run(ROOT)
    asked = [
        r for r in env.cluster.requests[mark:] if "ServiceAccount" in r[1] or "Binding" in r[1]
    ]
    assert asked == [("get", str(account))]


def test_a_role_refs_binding_deleted_by_hand_is_written_again_within_minutes(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    spec = {
        "git": {"repo": "https://git.example/platform.git"},
        "override": {"roleRefs": [{"kind": "ClusterRole", "name": "edit", "namespace": "app"}]},
    }
    env = make_tenancy(tmp_path, executor, root_spec=spec)
    env.sources[ROOT].commit(files(configmap("in", "app")))
    env.run(ROOT)
    binding = ref_of(ROLE_BINDING, "syncd-root-root.clusterrole.edit", "app")
    env.cluster.delete(binding)
    mark = env.mark()
    env.run(ROOT)  # an unchanged poll: no request about the identity at all
    assert not [r for r in env.cluster.requests[mark:] if "Binding" in r[1]]
    env.clock.advance(REVERIFY_SECONDS + 1)
    env.run(ROOT)
    restored = env.cluster.peek(binding)
    assert restored is not None
    assert restored["roleRef"]["name"] == "edit"
