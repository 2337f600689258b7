"""Pipeline runs on fakes: rejected bodies are not re-sent, readiness of all, cheap discovery."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from syncd.api.status import SyncState
from syncd.core.errors import ErrorCode, InvalidError
from syncd.core.metadata import DEPENDS_ON_ANNOTATION
from syncd.reconcile.worker import TriggerReason
from syncd.testing.fake_cluster import FakeVerb
from tests.unit.kube import (
    CRD,
    DEPLOYMENT,
    RESOURCE_GROUP,
    WRITE_VERBS,
    cm_ref,
    configmap,
    crd,
    deployment,
    ref_of,
    verbs,
)
from tests.unit.reconcile.pipeline_env import INITIAL, Env, doc, make_env, make_pipeline


def errors_of(env: Env) -> list[str]:
    status = env.status()
    return [e.code for block in (status.source, status.sync) if block for e in block.errors]


def test_a_body_the_server_rejected_is_sent_once_per_commit_not_once_per_poll(env: Env) -> None:
    env.source.commit(INITIAL)
    env.cluster.fail_always(
        FakeVerb.APPLY, cm_ref("b"), InvalidError('ConfigMap "b" is invalid', status=422)
    )
    assert not env.run(TriggerReason.STARTUP)
    assert errors_of(env) == [ErrorCode.APPLY_FAILURE.value]
    mark = env.mark()
    assert not env.run()
    assert not env.run()
    assert [v for v, _ in verbs(env.since(mark), WRITE_VERBS)] == []  # nothing re-sent
    assert errors_of(env) == [ErrorCode.APPLY_FAILURE.value]  # and still reported
    assert env.state() is SyncState.ERROR
    env.cluster.clear_failures()
    env.source.commit({"cm-a.yaml": doc(configmap("a", key="changed"))})
    assert env.run()
    assert env.state() is SyncState.SYNCED  # a new commit sends it again


def test_an_idle_poll_with_baselines_writes_nothing_and_drift_names_who_took_the_field(
    synced_env: Env,
) -> None:
    env = synced_env
    mark = env.mark()
    assert env.run()
    assert verbs(env.since(mark), WRITE_VERBS) == []
    env.cluster.merge_patch(cm_ref("a"), {"data": {"key": "x"}}, field_manager="kubectl-edit")
    assert env.run(TriggerReason.DRIFT)
    assert (env.cluster.peek(cm_ref("a")) or {})["data"] == {"key": "a"}
    events = env.cluster.list(env.cluster.resource_type("", "Event"), namespace="syncd-system")
    [message] = [e["message"] for e in events.items if e["reason"] == "DriftCorrected"]
    assert message == "ConfigMap app/a drifted: .data.key (taken by kubectl-edit); restored"


def test_discovery_is_refreshed_after_a_crd_is_applied_not_on_every_poll(env: Env) -> None:
    refreshes: list[int] = []
    original = env.cluster.refresh_discovery

    def counting() -> None:
        refreshes.append(1)
        original()

    env.cluster.refresh_discovery = counting  # type: ignore[method-assign]
    threading.Thread(target=_establish, args=(env,), daemon=True).start()
    env.source.commit({**INITIAL, "crd.yaml": doc(crd())})
    env.run(TriggerReason.STARTUP)
    assert len(refreshes) == 1
    env.run()
    env.run()
    assert len(refreshes) == 1


def _establish(env: Env) -> None:
    """Play the apiextensions controller: mark the CRD Established once it exists."""
    ref = ref_of(CRD, "widgets.ex.com")
    while True:
        live = env.cluster.peek(ref)
        if live is not None:
            live["status"] = {"conditions": [{"type": "Established", "status": "True"}]}
            env.cluster.replace_status(ref, live)
            return


AVAILABLE = {
    "observedGeneration": 1,
    "replicas": 1,
    "updatedReplicas": 1,
    "readyReplicas": 1,
    "availableReplicas": 1,
    "conditions": [{"type": "Available", "status": "True"}],
}


def set_status(env: Env, ref: Any, status: dict[str, Any]) -> None:
    live = dict(env.cluster.peek(ref) or {})
    live["status"] = status
    env.cluster.replace_status(ref, live)


def test_an_unchanged_object_that_stops_being_ready_holds_synced_back(synced_env: Env) -> None:
    env = synced_env
    ref = ref_of(DEPLOYMENT, "web", "app")
    env.cluster.apply(ref, deployment("web"), field_manager="kubectl")
    set_status(env, ref, AVAILABLE)  # the Deployment controller's doing
    env.source.commit({"deploy.yaml": doc(deployment("web"))})
    assert env.run()
    assert env.state() is SyncState.SYNCED
    set_status(env, ref, {**AVAILABLE, "availableReplicas": 0, "conditions": []})
    env.run()
    assert env.state() is SyncState.SYNCING  # not ready, not for long yet: no error
    env.clock.advance(400)  # past the default 5m reconcileTimeout
    env.run()
    assert env.state() is SyncState.ERROR
    assert ErrorCode.NOT_READY.value in errors_of(env)
    set_status(env, ref, AVAILABLE)
    env.run()
    assert env.state() is SyncState.SYNCED


def test_status_mode_disabled_keeps_per_object_status_out_of_the_resource_group(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    spec = {"git": {"repo": "https://git.example/repo.git"}, "override": {"statusMode": "disabled"}}
    env = make_env(tmp_path, executor, spec=spec)
    env.source.commit(INITIAL)
    assert env.run(TriggerReason.STARTUP)
    group = env.cluster.peek(ref_of(RESOURCE_GROUP, "root", "syncd-system")) or {}
    assert len(group["spec"]["resources"]) == 3
    assert not any(((group.get("status") or {}).get("objects") or {}).values())


def test_shutdown_between_waves_prunes_nothing_and_keeps_the_inventory(
    tmp_path: Path, executor: ThreadPoolExecutor
) -> None:
    env = make_env(tmp_path, executor)
    env.source.commit(INITIAL)
    assert env.run(TriggerReason.STARTUP)
    stop = threading.Event()
    pipeline = make_pipeline(
        env.cluster,
        clock=env.clock,
        executor=executor,
        cache_dir=tmp_path / "cache",
        factory=lambda *_: env.source,
        stop=stop,
    )
    dependent = configmap("c")
    dependent["metadata"]["annotations"] = {DEPENDS_ON_ANNOTATION: "/namespaces/app/ConfigMap/a"}
    env.source.commit({"cm-b.yaml": None, "cm-c.yaml": yaml.safe_dump(dependent)})
    original = env.cluster.apply

    def stop_after_first_wave(*args: Any, **kwargs: Any) -> Any:
        stop.set()  # SIGTERM arrives while the first wave is applied
        return original(*args, **kwargs)

    env.cluster.apply = stop_after_first_wave  # type: ignore[method-assign]
    pipeline.run(frozenset({TriggerReason.POLL}))
    assert env.cluster.peek(cm_ref("b")) is not None  # not pruned
    assert env.cluster.peek(cm_ref("c")) is None  # the later wave never started
    assert {r.name for r in env.inventory()} >= {"a", "b", "c"}  # every candidate recorded
