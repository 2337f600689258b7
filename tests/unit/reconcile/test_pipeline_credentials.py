"""A sync whose fetch failed re-reads its credentials Secret, so fixing the Secret heals it."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from syncd.api.models import RootSync
from syncd.api.status import SyncState
from syncd.core.errors import SourceFetchError
from syncd.core.ports import Cluster, Source
from syncd.core.sync import SyncId, SyncKind
from syncd.reconcile.sources import credentials_for
from syncd.reconcile.worker import TriggerReason
from syncd.status.writer import previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from syncd.testing.fake_source import FakeSource
from tests.unit.kube import (
    BUILTIN_TYPES,
    ROOT_SYNC,
    SECRET,
    configmap,
    namespace,
    ref_of,
    root_sync,
)
from tests.unit.reconcile.pipeline_env import make_pipeline

SYNC = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="root")
REF = ref_of(ROOT_SYNC, "root", "syncd-system")
SECRET_REF = ref_of(SECRET, "git-creds", "syncd-system")
POLL = frozenset({TriggerReason.POLL})
SPEC = {
    "git": {
        "repo": "https://git.example/repo.git",
        "auth": "basic",
        "secretRef": {"name": "git-creds"},
    }
}


def secret(password: str) -> dict[str, Any]:
    data = {"username": "alice", "password": password}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "git-creds", "namespace": "syncd-system"},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_a_failed_fetch_rereads_the_secret_and_recovers_without_refetching(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    clock = FakeClock()
    cluster = FakeCluster(BUILTIN_TYPES, clock=clock)
    cluster.apply(REF, root_sync(SPEC), field_manager="kubectl")
    cluster.apply(SECRET_REF, secret("right"), field_manager="kubectl")
    source = FakeSource(tmp_path / "source")
    source.commit(
        {"ns.yaml": yaml.safe_dump(namespace("app")), "a.yaml": yaml.safe_dump(configmap("a"))}
    )
    passwords: list[str] = []

    def factory(cluster: Cluster, sync: RootSync, cache_dir: Path, timeout: float) -> Source:
        credentials = credentials_for(cluster, sync)
        passwords.append(credentials.password if credentials else "")
        return source

    pipeline = make_pipeline(
        cluster, clock=clock, executor=executor, cache_dir=tmp_path / "cache", factory=factory
    )

    def state() -> SyncState | None:
        live = cluster.peek(REF)
        status = previous_status(live) if live else None
        return status.summary.state if status and status.summary else None

    assert pipeline.run(frozenset({TriggerReason.STARTUP}))
    assert pipeline.run(POLL)
    assert passwords == ["right"]  # a healthy sync reads its Secret once

    cluster.apply(SECRET_REF, secret("rotated"), field_manager="kubectl")
    source.fail_next_resolve(SourceFetchError("authentication failed (HTTP 401)"))
    assert not pipeline.run(POLL)
    assert state() is SyncState.ERROR

    assert pipeline.run(POLL)
    assert passwords == ["right", "rotated"]
    assert state() is SyncState.SYNCED
    assert source.fetch_count == 1  # the unchanged commit is not fetched again
