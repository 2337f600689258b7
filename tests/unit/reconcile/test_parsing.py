"""A discovery failure while reading a commit is retried, never frozen into the parse cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from syncd.api.status import SyncState
from syncd.core.errors import ClusterError
from syncd.core.ports import ResourceType, SourceSnapshot
from syncd.core.render import RenderOptions
from syncd.reconcile.parsing import ReadOptions, parse_commit
from syncd.reconcile.worker import TriggerReason
from syncd.render.stage import PackageRenderer
from syncd.render.tools import Tools
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from tests.unit.kube import BUILTIN_TYPES, configmap
from tests.unit.reconcile.pipeline_env import INITIAL, Env, doc


def flaky_discovery(cluster: FakeCluster, failures: int) -> list[str]:
    """Make the next `failures` lookups of ConfigMap fail like a timed-out discovery GET."""
    calls: list[str] = []
    original = cluster.resource_type

    def resource_type(group: str, kind: str, **kwargs: Any) -> ResourceType:
        if kind == "ConfigMap" and len(calls) < failures:
            calls.append(kind)
            raise ClusterError("GET /api failed: timed out")
        return original(group, kind, **kwargs)

    cluster.resource_type = resource_type  # type: ignore[method-assign]
    return calls


def test_parse_commit_raises_a_transient_error_instead_of_guessing_a_scope(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text(doc(configmap("a")))
    cluster = FakeCluster(BUILTIN_TYPES, clock=FakeClock())
    flaky_discovery(cluster, failures=1)
    snapshot = SourceSnapshot(commit="c0ffee", directory=tmp_path)
    renderer = PackageRenderer(tools=Tools())
    options = ReadOptions(render=RenderOptions(), default_namespace="default")
    with pytest.raises(ClusterError) as caught:
        parse_commit("c0ffee", snapshot, cluster=cluster, renderer=renderer, options=options)
    assert caught.value.transient
    assert "read again next run" in caught.value.message
    parsed = parse_commit("c0ffee", snapshot, cluster=cluster, renderer=renderer, options=options)
    assert [m.ref.name for m in parsed.validation.manifests] == ["a"]


def test_the_pipeline_reads_the_commit_again_after_a_discovery_failure(env: Env) -> None:
    env.source.commit(INITIAL)
    flaky_discovery(env.cluster, failures=1)
    assert not env.run(TriggerReason.STARTUP)
    assert env.state() is SyncState.ERROR
    assert env.run()
    assert env.source.fetch_count == 2  # not served from a cache built on a failed lookup
    assert env.state() is SyncState.SYNCED
