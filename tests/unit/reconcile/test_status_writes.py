"""A pipeline whose copy of the sync object lags behind makes no status write on an idle poll.

`latest` here never moves past the RootSync as it was created, the extreme
case of a watch that has not delivered syncd's own status writes yet (the
bench's pipeline works like this). The first run writes a progress status
and a final one; the unchanged re-sync that follows once sent one PUT to
rootsyncs/status, answered 409, because the writer compared with that old
copy instead of its own last write.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from syncd.api.models import RootSync
from syncd.api.status import SyncState
from syncd.core.ports import Cluster, Source
from syncd.core.sync import SyncId, SyncKind
from syncd.reconcile.worker import TriggerReason
from syncd.status.writer import previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from syncd.testing.fake_source import FakeSource
from tests.unit.kube import BUILTIN_TYPES, ROOT_SYNC, WRITE_VERBS, configmap, namespace, ref_of
from tests.unit.kube import root_sync as root_sync_body
from tests.unit.reconcile.pipeline_env import make_pipeline

SYNC = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="root")
REF = ref_of(ROOT_SYNC, "root", "syncd-system")
POLL = frozenset({TriggerReason.POLL})
FILES = {
    "ns.yaml": yaml.safe_dump(namespace("app")),
    "a.yaml": yaml.safe_dump(configmap("a")),
}


def test_an_unchanged_resync_with_a_lagging_copy_makes_zero_status_write_attempts(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    clock = FakeClock()
    cluster = FakeCluster(BUILTIN_TYPES, clock=clock)
    created: dict[str, Any] = cluster.apply(REF, root_sync_body(), field_manager="kubectl")
    source = FakeSource(tmp_path / "source")
    source.commit(FILES)

    def factory(_: Cluster, sync: RootSync, cache_dir: Path, timeout: float) -> Source:
        del sync, cache_dir, timeout
        return source

    pipeline = make_pipeline(
        cluster,
        clock=clock,
        executor=executor,
        cache_dir=tmp_path / "cache",
        factory=factory,
        latest=lambda: created,
    )
    assert pipeline.run(frozenset({TriggerReason.STARTUP}))
    first_run = [verb for verb, label in cluster.requests if label == str(REF)]
    assert first_run.count(FakeVerb.REPLACE_STATUS) == 2  # progress, then final
    stored = previous_status(cluster.peek(REF) or {})
    assert stored is not None
    assert stored.summary is not None
    assert stored.summary.state is SyncState.SYNCED
    for _ in range(3):
        clock.advance(15)
        start = len(cluster.requests)
        assert pipeline.run(POLL)
        assert [r for r in cluster.requests[start:] if r[0] in WRITE_VERBS] == []
