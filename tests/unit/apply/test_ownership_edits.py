"""Plan and apply together: ignore-fields are set once and never reset; legacy managers go."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from syncd.apply.applier import EDIT_ATTEMPTS, Applier, ApplyResult
from syncd.apply.waiter import Waiter
from syncd.core.errors import ConflictError
from syncd.core.fields import syncd_entry
from syncd.core.manifest import Manifest
from syncd.core.ordering import apply_waves
from syncd.core.plan import PruneGuard
from syncd.core.refs import ObjectRef
from syncd.plan.plan import build_plan
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.apply.plans import APPLYSET, SYNC_ID, manifest
from tests.unit.kube import BUILTIN_TYPES, cm_ref, verbs


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(BUILTIN_TYPES, clock=FakeClock())


@pytest.fixture
def applier(cluster: FakeCluster) -> Iterator[Applier]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield Applier(
            cluster, executor=pool, waiter=Waiter(cluster, clock=FakeClock(), executor=pool)
        )


def cm(data: dict[str, str], *, annotations: dict[str, str] | None = None) -> Manifest:
    metadata: dict[str, Any] = {"name": "app", "namespace": "app"}
    if annotations:
        metadata["annotations"] = annotations
    return manifest({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data})


def sync(cluster: FakeCluster, applier: Applier, declared: Manifest, commit: str) -> ApplyResult:
    """One plan-and-apply pass, as a pipeline run does it."""
    ref = declared.ref
    live = {ref: obj} if (obj := cluster.peek(ref)) is not None else {}
    plan = build_plan(
        desired=[declared],
        inventory=[ref],
        live=live,
        sync_id=SYNC_ID,
        applyset_id=APPLYSET,
        commit=commit,
        prune_guard=PruneGuard(),
        can_prune=True,
    )
    return applier.apply(plan, apply_waves([declared]), timeout=5)


def data(cluster: FakeCluster, ref: ObjectRef) -> dict[str, str]:
    live = cluster.peek(ref)
    assert live is not None
    return dict(live["data"])


IGNORE = {"syncd.dev/ignore-fields": "/data/replicas"}


def test_an_ignored_field_is_set_on_create_and_never_reset_afterwards(
    cluster: FakeCluster, applier: Applier
) -> None:
    ref = cm_ref("app")
    sync(cluster, applier, cm({"replicas": "3", "image": "v1"}, annotations=IGNORE), "c1")
    assert data(cluster, ref) == {"replicas": "3", "image": "v1"}
    entry = syncd_entry(cluster.peek(ref) or {})
    assert entry is not None
    assert "f:replicas" not in entry["fieldsV1"]["f:data"]  # released right after the create

    cluster.merge_patch(ref, {"data": {"replicas": "7"}}, field_manager="hpa")
    sync(cluster, applier, cm({"replicas": "3", "image": "v1"}, annotations=IGNORE), "c1")
    assert data(cluster, ref)["replicas"] == "7"  # the next poll leaves it alone
    sync(cluster, applier, cm({"replicas": "3", "image": "v2"}, annotations=IGNORE), "c2")
    assert data(cluster, ref) == {"replicas": "7", "image": "v2"}  # and so does a new commit


def test_a_field_ignored_later_is_released_before_the_apply_that_leaves_it_out(
    cluster: FakeCluster, applier: Applier
) -> None:
    ref = cm_ref("app")
    sync(cluster, applier, cm({"replicas": "3", "image": "v1"}), "c1")
    start = len(cluster.requests)
    sync(cluster, applier, cm({"replicas": "3", "image": "v1"}, annotations=IGNORE), "c2")
    sent = [
        verb for verb, _ in verbs(cluster.requests[start:], [FakeVerb.MERGE_PATCH, FakeVerb.APPLY])
    ]
    assert sent == [FakeVerb.MERGE_PATCH, FakeVerb.APPLY]  # release first, then apply without it
    assert data(cluster, ref) == {"replicas": "3", "image": "v1"}  # not reset, though unowned now
    entry = syncd_entry(cluster.peek(ref) or {})
    assert entry is not None
    assert "f:replicas" not in entry["fieldsV1"]["f:data"]


def test_fields_of_a_taken_over_legacy_manager_are_removed_when_dropped_from_the_source(
    cluster: FakeCluster, applier: Applier
) -> None:
    ref = cm_ref("app")
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app", "namespace": "app"},
        "data": {"keep": "1", "drop": "1"},
    }
    cluster.apply(ref, body, field_manager="kubectl")  # created by kubectl apply --server-side
    sync(cluster, applier, cm({"keep": "1", "drop": "1"}), "c1")
    managers = [e["manager"] for e in (cluster.peek(ref) or {})["metadata"]["managedFields"]]
    assert managers == ["syncd"]
    sync(cluster, applier, cm({"keep": "1"}), "c2")
    assert data(cluster, ref) == {"keep": "1"}


def test_an_edit_racing_a_controllers_write_is_computed_again_from_a_fresh_read(
    cluster: FakeCluster, applier: Applier, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = cm_ref("app")
    original = cluster.apply

    def apply_then_a_controller_writes(*args: Any, **kwargs: Any) -> Any:
        answer = original(*args, **kwargs)
        # as a Deployment's controller writes its status right after the create
        cluster.merge_patch(ref, {"metadata": {"labels": {"seen": "yes"}}}, field_manager="ctrl")
        return answer

    monkeypatch.setattr(cluster, "apply", apply_then_a_controller_writes)
    result = sync(cluster, applier, cm({"replicas": "3", "image": "v1"}, annotations=IGNORE), "c1")
    assert not result.failed
    live = cluster.peek(ref) or {}
    entry = syncd_entry(live)
    assert entry is not None
    assert "f:replicas" not in entry["fieldsV1"]["f:data"]  # released all the same
    assert [e["manager"] for e in live["metadata"]["managedFields"]] == ["syncd", "ctrl"]
    assert result.applied[ref]["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]


def test_an_edit_that_keeps_conflicting_fails_the_object_as_a_transient_error(
    cluster: FakeCluster, applier: Applier
) -> None:
    ref = cm_ref("app")
    conflict = ConflictError("the object has been modified", status=409, reason="Conflict")
    cluster.fail_always(FakeVerb.MERGE_PATCH, ref, conflict)
    result = sync(cluster, applier, cm({"replicas": "3", "image": "v1"}, annotations=IGNORE), "c1")
    assert result.failed == {ref}
    [error] = result.errors
    assert error.transient  # retried next poll, never held back as a rejection
    edits = verbs(cluster.requests, [FakeVerb.MERGE_PATCH])
    assert len(edits) == EDIT_ATTEMPTS
