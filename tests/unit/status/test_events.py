"""Events aggregate: a repeat raises the existing Event's count instead of creating another."""

from __future__ import annotations

from typing import Any

import pytest

from syncd.core.errors import ClusterError, NotFoundError, SourceFetchError
from syncd.reconcile.events import announce
from syncd.status.events import (
    MAX_REMEMBERED_EVENTS,
    EventReason,
    EventRecorder,
    EventType,
)
from syncd.status.report import RunReport, StageReport
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import EVENT, ref_of, verbs
from tests.unit.status.conftest import REF


@pytest.fixture
def recorder(cluster: FakeCluster, clock: FakeClock) -> EventRecorder:
    return EventRecorder(cluster, clock=clock)


@pytest.fixture
def involved(cluster: FakeCluster) -> dict[str, Any]:
    live = cluster.peek(REF)
    assert live is not None
    return live


def events(cluster: FakeCluster) -> list[dict[str, Any]]:
    listed = cluster.list(EVENT, namespace="syncd-system").items
    return sorted(listed, key=lambda e: (e["message"], e["metadata"]["name"]))


def warn(recorder: EventRecorder, involved: dict[str, Any], message: str) -> None:
    recorder.emit(involved, type_=EventType.WARNING, reason=EventReason.SYNC_ERROR, message=message)


def test_the_same_event_again_raises_its_count_and_last_timestamp(
    cluster: FakeCluster, recorder: EventRecorder, clock: FakeClock, involved: dict[str, Any]
) -> None:
    warn(recorder, involved, "SD2004: remote hung up")
    [first] = events(cluster)
    for _ in range(3):
        clock.advance(15)
        warn(recorder, involved, "SD2004: remote hung up")
    [event] = events(cluster)
    assert event["metadata"]["name"] == first["metadata"]["name"]
    assert event["count"] == 4
    assert event["firstTimestamp"] == first["firstTimestamp"]
    assert event["lastTimestamp"] == "2025-01-01T00:00:45Z"
    assert len(verbs(cluster.requests, [FakeVerb.CREATE])) == 1
    assert len(verbs(cluster.requests, [FakeVerb.MERGE_PATCH])) == 3


def test_another_message_reason_type_or_object_is_another_event(
    cluster: FakeCluster, recorder: EventRecorder, involved: dict[str, Any]
) -> None:
    warn(recorder, involved, "one")
    warn(recorder, involved, "two")
    recorder.emit(involved, type_=EventType.WARNING, reason=EventReason.SOURCE_ERROR, message="one")
    recorder.emit(involved, type_=EventType.NORMAL, reason=EventReason.SYNC_ERROR, message="one")
    recreated = {**involved, "metadata": {**involved["metadata"], "uid": "another-uid"}}
    warn(recorder, recreated, "one")
    assert [e["count"] for e in events(cluster)] == [1] * 5


def test_an_expired_event_is_created_anew(
    cluster: FakeCluster, recorder: EventRecorder, involved: dict[str, Any]
) -> None:
    warn(recorder, involved, "SD2004: remote hung up")
    [first] = events(cluster)
    cluster.delete(ref_of(EVENT, first["metadata"]["name"], "syncd-system"))
    warn(recorder, involved, "SD2004: remote hung up")
    warn(recorder, involved, "SD2004: remote hung up")
    [event] = events(cluster)
    assert event["metadata"]["name"] != first["metadata"]["name"]
    assert event["count"] == 2


def test_the_memory_of_recent_events_is_bounded(
    cluster: FakeCluster, recorder: EventRecorder, involved: dict[str, Any]
) -> None:
    for i in range(MAX_REMEMBERED_EVENTS + 1):
        warn(recorder, involved, f"message {i}")
    warn(recorder, involved, f"message {MAX_REMEMBERED_EVENTS}")  # still remembered
    warn(recorder, involved, "message 0")  # forgotten: a new Event
    assert len(verbs(cluster.requests, [FakeVerb.MERGE_PATCH])) == 1
    assert len(verbs(cluster.requests, [FakeVerb.CREATE])) == MAX_REMEMBERED_EVENTS + 2


def test_a_failing_patch_is_logged_and_creates_no_duplicate(
    cluster: FakeCluster, recorder: EventRecorder, involved: dict[str, Any]
) -> None:
    warn(recorder, involved, "boom")
    cluster.fail_next(FakeVerb.MERGE_PATCH, None, ClusterError("connection reset"))
    warn(recorder, involved, "boom")  # does not raise
    warn(recorder, involved, "boom")
    [event] = events(cluster)
    assert event["count"] == 2


def test_a_failing_create_is_not_remembered(
    cluster: FakeCluster, recorder: EventRecorder, involved: dict[str, Any]
) -> None:
    cluster.fail_next(FakeVerb.CREATE, None, NotFoundError("namespace gone", status=404))
    warn(recorder, involved, "boom")
    warn(recorder, involved, "boom")
    [event] = events(cluster)
    assert event["count"] == 1
    assert verbs(cluster.requests, [FakeVerb.MERGE_PATCH]) == []


def test_a_persistent_failure_announced_every_poll_is_one_event_per_message(
    cluster: FakeCluster, recorder: EventRecorder, involved: dict[str, Any]
) -> None:
    report = RunReport(generation=1, source=StageReport(errors=(SourceFetchError("hung up"),)))
    for _ in range(4):
        announce(recorder, involved, report)
    found = {(e["reason"], e["message"]): e["count"] for e in events(cluster)}
    assert found == {
        (
            "SyncError",
            "Error: commit unknown: 1 error(s); applied 0, pruned 0, failed 0; syncd retries",
        ): 4,
        ("SourceError", "SD2004: hung up"): 4,
    }
