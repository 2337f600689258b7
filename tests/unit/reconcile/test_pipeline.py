"""One sync run on fakes: apply, record, prune, guard, report; a steady run costs nothing."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from syncd.api.status import ConditionStatus, ConditionType, SyncState
from syncd.core.errors import ErrorCode, ForbiddenError, SourceFetchError
from syncd.core.inventory import InventorySet
from syncd.core.metadata import MANAGED_BY_LABEL, MANAGER_ANNOTATION, SOURCE_PATH_ANNOTATION
from syncd.core.refs import ObjectRef
from syncd.inventory.store import REREAD_SECONDS
from syncd.reconcile.pipeline import Pipeline, PipelinePorts
from syncd.reconcile.worker import TriggerReason
from syncd.status.writer import previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import (
    BUILTIN_TYPES,
    RESOURCE_GROUP,
    WRITE_VERBS,
    cm_ref,
    configmap,
    ref_of,
    root_sync,
    verbs,
)
from tests.unit.reconcile.pipeline_env import (
    INITIAL,
    NS_REF,
    REF,
    SYNC,
    Env,
    doc,
    live,
    make_env,
)


def test_the_first_run_applies_everything_records_the_inventory_and_reports_synced(
    env: Env,
) -> None:
    sha = env.source.commit(INITIAL)
    assert env.run(TriggerReason.STARTUP)
    for ref, path in [
        (NS_REF, "namespace.yaml"),
        (cm_ref("a"), "cm-a.yaml"),
        (cm_ref("b"), "cm-b.yaml"),
    ]:
        meta = live(env, ref)["metadata"]
        assert meta["labels"][MANAGED_BY_LABEL] == "syncd"
        assert meta["annotations"][MANAGER_ANNOTATION] == "RootSync/syncd-system/root"
        assert meta["annotations"][SOURCE_PATH_ANNOTATION] == path
    assert env.inventory() == InventorySet.of([NS_REF, cm_ref("a"), cm_ref("b")])
    status = env.status()
    assert env.state() is SyncState.SYNCED
    assert status.last_synced_commit == sha
    assert status.observed_generation == 1
    ready = status.condition(ConditionType.READY)
    assert ready is not None
    assert ready.status is ConditionStatus.TRUE
    assert status.sync is not None
    assert (status.sync.applied, status.sync.total, status.sync.errors) == (3, 3, [])
    assert env.source.fetch_count == 1
    assert [sync.metadata.name for sync in env.built] == ["root"]
    applies = [label for _, label in verbs(env.cluster.requests, [FakeVerb.APPLY])]
    assert applies.index("Namespace app") < applies.index("ConfigMap app/a")


def test_an_unchanged_run_writes_nothing_fetches_nothing_and_lists_each_type_once(
    synced_env: Env,
) -> None:
    env = synced_env
    fetches = env.source.fetch_count
    before = env.status()
    start = env.mark()
    assert env.run()
    requests = env.since(start)
    assert verbs(requests, WRITE_VERBS) == []
    lists = Counter(label for verb, label in requests if verb == FakeVerb.LIST)
    assert set(lists) == {"ConfigMap", "Namespace"}
    assert max(lists.values()) == 1
    assert [label for verb, label in requests if verb == FakeVerb.GET] == []  # inventory known
    assert env.source.fetch_count == fetches
    assert env.status() == before


def test_the_inventory_is_read_again_after_a_while(synced_env: Env) -> None:
    env = synced_env
    env.clock.advance(REREAD_SECONDS)
    start = env.mark()
    assert env.run()
    gets = [label for verb, label in env.since(start) if verb == FakeVerb.GET]
    assert gets == ["ResourceGroup.syncd.dev syncd-system/root"]


def test_a_commit_that_deletes_an_object_prunes_it(synced_env: Env) -> None:
    env = synced_env
    env.source.commit({"cm-b.yaml": None})
    assert env.run()
    assert env.cluster.peek(cm_ref("b")) is None
    assert env.cluster.peek(cm_ref("a")) is not None
    assert env.inventory() == InventorySet.of([NS_REF, cm_ref("a")])
    status = env.status()
    assert env.state() is SyncState.SYNCED
    assert status.sync is not None
    assert status.sync.pruned == 1


def test_a_commit_with_a_parse_error_applies_the_rest_and_prunes_nothing(synced_env: Env) -> None:
    env = synced_env
    env.source.commit(
        {
            "cm-b.yaml": None,
            "broken.yaml": "data: [unclosed\n",
            "cm-c.yaml": doc(configmap("c")),
        }
    )
    start = env.mark()
    assert not env.run()
    assert env.cluster.peek(cm_ref("c")) is not None
    assert env.cluster.peek(cm_ref("b")) is not None
    assert verbs(env.since(start), [FakeVerb.DELETE]) == []
    assert cm_ref("b") in env.inventory()
    status = env.status()
    assert env.state() is SyncState.ERROR
    assert status.source is not None
    assert [e.code for e in status.source.errors] == [ErrorCode.PARSE_ERROR.value]
    assert status.source.errors[0].message.startswith("broken.yaml")


def test_a_commit_that_removes_everything_is_refused_and_objects_remain(synced_env: Env) -> None:
    env = synced_env
    env.source.commit(dict.fromkeys(INITIAL))
    start = env.mark()
    assert not env.run()
    assert verbs(env.since(start), [FakeVerb.DELETE]) == []
    for ref in (NS_REF, cm_ref("a"), cm_ref("b")):
        assert env.cluster.peek(ref) is not None
    assert env.inventory() == InventorySet.of([NS_REF, cm_ref("a"), cm_ref("b")])
    status = env.status()
    assert env.state() is SyncState.ERROR
    assert status.sync is not None
    assert [e.code for e in status.sync.errors] == [ErrorCode.PRUNE_REFUSED.value]


def test_an_invalid_spec_stalls_with_sd1061(tmp_path: Path, executor: ThreadPoolExecutor) -> None:
    env = make_env(tmp_path, executor, spec={"sourceType": "git"})
    env.source.commit(INITIAL)
    assert env.run(TriggerReason.STARTUP)  # not retried: only a spec change can fix it
    status = env.status()
    assert env.state() is SyncState.STALLED
    stalled = status.condition(ConditionType.STALLED)
    assert stalled is not None
    assert (stalled.status, stalled.reason) == (ConditionStatus.TRUE, "InvalidSpec")
    assert status.source is not None
    assert [e.code for e in status.source.errors] == [ErrorCode.INVALID_SYNC_SPEC.value]
    assert env.built == []
    assert env.source.fetch_count == 0
    assert env.cluster.peek(cm_ref("a")) is None


def test_an_unsupported_source_type_stalls_through_the_default_source_factory(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    cluster = FakeCluster(BUILTIN_TYPES, clock=FakeClock())
    cluster.apply(
        REF,
        root_sync({"sourceType": "oci", "oci": {"image": "registry.example/pkg:v1"}}),
        field_manager="kubectl",
    )
    ports = PipelinePorts(
        cluster=cluster,
        clock=FakeClock(),
        executor=executor,
        cache_dir=tmp_path,
        stop=threading.Event(),
    )
    pipeline = Pipeline(SYNC, ports=ports, latest=lambda: cluster.peek(REF))
    assert pipeline.run(frozenset({TriggerReason.STARTUP}))
    status = previous_status(cluster.peek(REF) or {})
    assert status is not None
    assert status.summary is not None
    assert status.summary.state is SyncState.STALLED
    assert status.source is not None
    assert status.source.errors[0].code == ErrorCode.INVALID_SYNC_SPEC.value
    assert "oci" in status.source.errors[0].message


def test_suspend_reports_suspended_and_touches_no_managed_object(synced_env: Env) -> None:
    env = synced_env
    env.set_spec({"git": {"repo": "https://git.example/repo.git"}, "suspend": True})
    env.source.commit({"cm-b.yaml": None, "cm-c.yaml": doc(configmap("c"))})
    fetches = env.source.fetch_count
    start = env.mark()
    assert env.run(TriggerReason.SPEC_CHANGE)
    assert env.state() is SyncState.SUSPENDED
    for verb, label in env.since(start):
        status_write = (verb, label) == (
            FakeVerb.REPLACE_STATUS,
            "RootSync.syncd.dev syncd-system/root",
        )
        event = verb == FakeVerb.CREATE and label.startswith("Event ")
        assert status_write or event, (verb, label)
    assert env.cluster.peek(cm_ref("b")) is not None
    assert env.cluster.peek(cm_ref("c")) is None
    assert env.source.fetch_count == fetches
    assert env.status().observed_generation == 2


def test_a_drifted_object_is_reapplied_on_an_unchanged_commit(synced_env: Env) -> None:
    env = synced_env
    env.cluster.merge_patch(cm_ref("a"), {"data": {"key": "edited"}}, field_manager="kubectl-edit")
    fetches = env.source.fetch_count
    start = env.mark()
    assert env.run(TriggerReason.DRIFT)
    assert verbs(env.since(start), [FakeVerb.APPLY]) == [(FakeVerb.APPLY.value, "ConfigMap app/a")]
    assert live(env, cm_ref("a"))["data"] == {"key": "a"}
    assert env.source.fetch_count == fetches
    assert env.state() is SyncState.SYNCED


def test_a_deleted_managed_object_is_recreated_on_an_unchanged_commit(synced_env: Env) -> None:
    env = synced_env
    env.cluster.delete(cm_ref("b"))
    assert env.run(TriggerReason.DRIFT)
    assert live(env, cm_ref("b"))["data"] == {"key": "b"}
    assert drift_events(env) == ["ConfigMap app/b was deleted outside syncd; re-created"]


def test_a_corrected_drift_is_an_event_naming_the_field_and_who_changed_it(
    synced_env: Env,
) -> None:
    env = synced_env
    env.cluster.merge_patch(cm_ref("a"), {"data": {"key": "edited"}}, field_manager="kubectl-edit")
    assert env.run(TriggerReason.DRIFT)
    [message] = drift_events(env)
    assert message.startswith("ConfigMap app/a drifted: .data.key (taken by kubectl-edit)")
    assert message.endswith("; restored")
    # The same drift again is news again, though the status does not change: the
    # Event's count goes up (Events are aggregated, not repeated).
    env.cluster.merge_patch(cm_ref("a"), {"data": {"key": "again"}}, field_manager="kubectl-edit")
    assert env.run(TriggerReason.DRIFT)
    events = env.cluster.list(env.cluster.resource_type("", "Event"), namespace="syncd-system")
    counts = [e.get("count") for e in events.items if e["reason"] == "DriftCorrected"]
    assert counts == [2]


def drift_events(env: Env) -> list[str]:
    events = env.cluster.list(env.cluster.resource_type("", "Event"), namespace="syncd-system")
    return sorted(
        e["message"]
        for e in events.items
        if e["reason"] == "DriftCorrected" and e["involvedObject"]["name"] == "root"
    )


def test_a_fetch_failure_is_a_transient_error_and_the_next_run_recovers(synced_env: Env) -> None:
    env = synced_env
    env.source.fail_next_resolve(SourceFetchError("remote unreachable"))
    assert not env.run()
    status = env.status()
    assert env.state() is SyncState.ERROR  # retried, not Stalled: nobody has to act
    assert status.source is not None
    assert [e.code for e in status.source.errors] == [ErrorCode.SOURCE_FETCH.value]
    assert env.cluster.peek(cm_ref("a")) is not None
    assert env.run()
    assert env.state() is SyncState.SYNCED


def test_one_forbidden_object_is_reported_with_its_path_and_the_others_apply(
    synced_env: Env,
) -> None:
    env = synced_env
    env.cluster.fail_always(
        FakeVerb.APPLY,
        cm_ref("d"),
        ForbiddenError("configmaps is forbidden", status=403, reason="Forbidden"),
    )
    env.source.commit({"cm-c.yaml": doc(configmap("c")), "cm-d.yaml": doc(configmap("d"))})
    assert not env.run()
    assert env.cluster.peek(cm_ref("c")) is not None
    status = env.status()
    assert status.sync is not None
    [error] = status.sync.errors
    assert error.code == ErrorCode.FORBIDDEN.value
    assert error.resources[0].source_path == "cm-d.yaml"
    assert status.sync.failed == 1


def test_a_changed_source_spec_builds_a_new_source(synced_env: Env) -> None:
    env = synced_env
    env.set_spec({"git": {"repo": "https://git.example/other.git"}})
    assert env.run(TriggerReason.SPEC_CHANGE)
    assert [s.spec.git.repo for s in env.built if s.spec.git] == [
        "https://git.example/repo.git",
        "https://git.example/other.git",
    ]
    assert env.source.fetch_count == 2


def released_configmap(name: str) -> dict[str, Any]:
    body = configmap(name)
    body["metadata"]["annotations"] = {"syncd.dev/managed": "disabled"}
    return body


def test_a_released_object_keeps_existing_loses_syncd_metadata_and_leaves_the_inventory(
    synced_env: Env,
) -> None:
    env = synced_env
    env.source.commit({"cm-b.yaml": doc(released_configmap("b"))})
    assert env.run()
    meta = live(env, cm_ref("b"))["metadata"]
    assert MANAGED_BY_LABEL not in (meta.get("labels") or {})
    assert MANAGER_ANNOTATION not in (meta.get("annotations") or {})
    assert cm_ref("b") not in env.inventory()


def test_a_release_that_fails_stays_in_the_inventory(synced_env: Env) -> None:
    env = synced_env
    env.cluster.fail_next(
        FakeVerb.MERGE_PATCH,
        cm_ref("b"),
        ForbiddenError("no patch", status=403, reason="Forbidden"),
    )
    env.source.commit({"cm-b.yaml": doc(released_configmap("b"))})
    assert not env.run()
    assert live(env, cm_ref("b"))["metadata"]["annotations"][MANAGER_ANNOTATION]
    assert cm_ref("b") in env.inventory()


def test_while_a_new_commit_is_applied_the_status_says_syncing_it(synced_env: Env) -> None:
    env = synced_env
    seen: list[tuple[SyncState | None, str | None]] = []
    real_apply = env.cluster.apply

    def spying_apply(ref: ObjectRef, body: Any, **options: Any) -> Any:
        if ref.kind == "ConfigMap":
            summary = env.status().summary
            assert summary is not None
            seen.append((summary.state, summary.short_commit))
        return real_apply(ref, body, **options)

    env.cluster.apply = spying_apply  # type: ignore[method-assign]
    sha = env.source.commit({"cm-a.yaml": doc(configmap("a", key="changed"))})
    assert env.run()
    assert seen == [(SyncState.SYNCING, sha[:7])]
    assert env.state() is SyncState.SYNCED


def _annotate_foreground(env: Env) -> None:
    body = root_sync()
    body["metadata"]["annotations"] = {"syncd.dev/deletion-propagation": "Foreground"}
    env.cluster.apply(REF, body, field_manager="kubectl")


def test_foreground_deletion_deletes_every_managed_object_before_the_sync(
    synced_env: Env,
) -> None:
    env = synced_env
    _annotate_foreground(env)
    assert env.run()
    live_sync = env.cluster.peek(REF)
    assert live_sync is not None
    assert live_sync["metadata"]["finalizers"] == ["syncd.dev/delete-managed-objects"]

    env.cluster.delete(REF)  # held by the finalizer: marked for deletion
    assert env.cluster.peek(REF) is not None
    assert env.run()
    assert env.cluster.peek(cm_ref("a")) is None
    assert env.cluster.peek(cm_ref("b")) is None
    assert env.cluster.peek(NS_REF) is None
    assert env.cluster.peek(ref_of(RESOURCE_GROUP, "root", "syncd-system")) is None
    assert env.cluster.peek(REF) is None  # the finalizer was removed last


def test_deleting_a_sync_orphans_its_objects_by_default(synced_env: Env) -> None:
    env = synced_env
    live_sync = env.cluster.peek(REF)
    assert live_sync is not None
    assert not live_sync["metadata"].get("finalizers")
    env.cluster.delete(REF)
    assert env.cluster.peek(REF) is None
    assert env.cluster.peek(cm_ref("a")) is not None


def test_removing_the_annotation_removes_the_finalizer(synced_env: Env) -> None:
    env = synced_env
    _annotate_foreground(env)
    assert env.run()
    env.cluster.apply(REF, root_sync(), field_manager="kubectl")
    assert env.run()
    live_sync = env.cluster.peek(REF)
    assert live_sync is not None
    assert not live_sync["metadata"].get("finalizers")
