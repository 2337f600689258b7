"""A commit whose rendering fails costs nothing: no apply, no prune, the inventory kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from syncd.api.status import SyncState
from syncd.reconcile.worker import TriggerReason
from tests.unit.kube import WRITE_VERBS, verbs
from tests.unit.reconcile.pipeline_env import INITIAL, make_env


def test_a_render_failure_applies_and_prunes_nothing_and_reports_sd1068(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_env(tmp_path, executor)
    env.source.commit(INITIAL)
    assert env.run(TriggerReason.STARTUP)
    before = env.inventory()
    env.source.commit({"cm-b.yaml": None, "overlay/kustomization.yaml": "resources: []\n"})
    mark = env.mark()
    assert not env.run()
    writes = verbs(env.since(mark), WRITE_VERBS)
    assert all(target.startswith(("RootSync.", "Event ")) for _, target in writes), writes
    assert env.inventory() == before
    assert env.state() is SyncState.ERROR
    rendering = env.status().rendering
    assert rendering is not None
    (error,) = rendering.errors
    assert error.code == "SD1068"
    assert "SYNCD_KUSTOMIZE" in error.message
    assert (rendering.message or "").startswith("Rendering failed")


def test_the_next_commit_that_renders_syncs_and_prunes_again(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_env(tmp_path, executor)
    env.source.commit(INITIAL)
    assert env.run(TriggerReason.STARTUP)
    env.source.commit({"cm-b.yaml": None, "overlay/kustomization.yaml": "resources: []\n"})
    assert not env.run()
    env.source.commit({"overlay/kustomization.yaml": None})
    assert env.run()
    assert env.state() is SyncState.SYNCED
    assert sorted(r.name for r in env.inventory().refs) == ["a", "app"]
