"""The tenants benchmark's layout: which sync reads which repository and directory.

Sync `i` (of N) reads repository `i % R` (of R), directory `sync-<i>`, which
declares M ConfigMaps in namespace `tenant-<i>`, so every sync's objects are
distinct. A RootSync lives in `syncd-system` and targets its tenant namespace;
a RepoSync lives in the tenant namespace itself and acts as its service
account `syncd-<name>`. The peer (the raw client) applies the same N*M
objects into namespaces `peer-<i>`. Pure: names, bodies and file texts only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import yaml

from bench.manifests import V1, configmap

SYSTEM_NS: Final = "syncd-system"
SYNCD_API: Final = "syncd.dev/v1beta1"
TENANT_PREFIX: Final = "tenant"
PEER_PREFIX: Final = "peer"
CLUSTER_ROLE: Final = "bench-tenant"
"""What each tenant's service account may do in its own namespace (RepoSync)."""
PER_FILE: Final = 100
MANAGED_RESOURCES: Final = ("configmaps",)


class SyncKind(StrEnum):
    """The kind of sync object the benchmark creates."""

    ROOT_SYNC = "RootSync"
    REPO_SYNC = "RepoSync"

    @property
    def plural(self) -> str:
        """The API resource (`rootsyncs`, `reposyncs`)."""
        return self.value.lower() + "s"


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantScenario:
    """N syncs of M ConfigMaps each from R repositories, of one kind, polled every period."""

    syncs: int
    objects: int
    repos: int
    kind: SyncKind = SyncKind.REPO_SYNC
    period_seconds: float = 15.0

    def __post_init__(self) -> None:
        """Reject impossible sizes."""
        if self.syncs <= 0 or self.objects <= 0 or self.repos <= 0:
            raise ValueError("--syncs, --objects and --repos must be positive")
        if self.repos > self.syncs:
            raise ValueError("--repos must not exceed --syncs (every repository serves a sync)")
        if self.period_seconds < 1:
            raise ValueError("--period must be at least 1s")

    @property
    def total_objects(self) -> int:
        """Every sync's objects together (what the peer applies)."""
        return self.syncs * self.objects

    def repo_of(self, index: int) -> int:
        """The repository sync `index` reads."""
        return index % self.repos

    def syncs_of_repo(self, repo: int) -> list[int]:
        """The syncs that read repository `repo`, ascending."""
        return list(range(repo, self.syncs, self.repos))

    def sync_name(self, index: int) -> str:
        """The sync object's name (also its tenant namespace's)."""
        return namespace(TENANT_PREFIX, index)

    def sync_namespace(self, index: int) -> str:
        """Where the sync object lives: syncd-system for a RootSync, its tenant for a RepoSync."""
        if self.kind is SyncKind.ROOT_SYNC:
            return SYSTEM_NS
        return namespace(TENANT_PREFIX, index)

    def service_account(self, index: int) -> str:
        """The RepoSync's default service account, `syncd-<name>`."""
        return f"syncd-{self.sync_name(index)}"

    def sync_path(self, index: int) -> str:
        """The sync object's URL path."""
        ns = self.sync_namespace(index)
        return f"/apis/{SYNCD_API}/namespaces/{ns}/{self.kind.plural}/{self.sync_name(index)}"

    def list_path(self) -> str:
        """Where one LIST returns every sync object of the benchmark."""
        if self.kind is SyncKind.ROOT_SYNC:
            return f"/apis/{SYNCD_API}/namespaces/{SYSTEM_NS}/{self.kind.plural}"
        return f"/apis/{SYNCD_API}/{self.kind.plural}"

    def sync_body(self, index: int, *, repo_url: str) -> dict[str, Any]:
        """The sync object of sync `index`, reading `repo_url` at `sync-<index>/`."""
        return {
            "apiVersion": SYNCD_API,
            "kind": self.kind.value,
            "metadata": {"name": self.sync_name(index), "namespace": self.sync_namespace(index)},
            "spec": {
                "sourceType": "git",
                "git": {
                    "repo": repo_url,
                    "branch": "main",
                    "dir": directory(index),
                    "period": f"{self.period_seconds:g}s",
                },
            },
        }

    def expected(self, index: int) -> dict[str, str]:
        """Name -> data.version of the ConfigMaps sync `index` declares."""
        return {configmap_name(j): V1 for j in range(self.objects)}

    def files(self, index: int, prefix: str = TENANT_PREFIX) -> dict[str, str]:
        """The YAML files of sync `index`'s directory (relative to the directory)."""
        ns = namespace(prefix, index)
        docs = [configmap(j, ns, V1) for j in range(self.objects)]
        return {
            f"cms-{k // PER_FILE:03d}.yaml": yaml.dump_all(
                docs[k : k + PER_FILE], Dumper=yaml.CSafeDumper, sort_keys=False
            )
            for k in range(0, len(docs), PER_FILE)
        }

    def repo_files(self, repo: int) -> dict[str, str]:
        """Every file of repository `repo`: the directories of the syncs that read it."""
        return {
            f"{directory(i)}/{name}": text
            for i in self.syncs_of_repo(repo)
            for name, text in self.files(i).items()
        }

    def namespaces(self, prefix: str = TENANT_PREFIX) -> Iterator[str]:
        """Every sync's namespace with `prefix` (tenant or peer), in index order."""
        return (namespace(prefix, i) for i in range(self.syncs))


def namespace(prefix: str, index: int) -> str:
    """`tenant-007`: the namespace of sync `index`."""
    return f"{prefix}-{index:03d}"


def directory(index: int) -> str:
    """The directory of sync `index` in its repository."""
    return f"sync-{index:03d}"


def repo_name(repo: int) -> str:
    """The name of repository `repo` on the Git server."""
    return f"tenants-{repo:02d}"


def configmap_name(index: int) -> str:
    """The name `bench.manifests.configmap` gives object `index`."""
    return str(configmap(index, "x", V1)["metadata"]["name"])


def is_synced(obj: dict[str, Any], commit: str) -> bool:
    """Whether a sync object reports `commit` as synced for its current generation.

    Synced: `status.observedGeneration` is `metadata.generation`, the Ready
    condition is True (for that generation, when the condition names one)
    and the last synced commit is `commit`.
    """
    generation = (obj.get("metadata") or {}).get("generation")
    status = obj.get("status") or {}
    if status.get("observedGeneration") != generation:
        return False
    if status.get("lastSyncedCommit") != commit:
        return False
    for condition in status.get("conditions") or []:
        if condition.get("type") != "Ready":
            continue
        observed = condition.get("observedGeneration", generation)
        return bool(condition.get("status") == "True" and observed == generation)
    return False
