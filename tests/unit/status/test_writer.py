"""The status writer writes only changes, stays far below etcd's limit, and retries conflicts."""

from __future__ import annotations

import json

import pytest

from syncd.api.status import ConditionStatus, ConditionType, SyncObjectStatus, SyncState
from syncd.core.errors import ConflictError, ErrorCode, ResourceRef, SyncdError
from syncd.core.refs import ObjectRef
from syncd.status.report import RunReport, StageReport
from syncd.status.writer import StatusWriter, previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import WRITE_VERBS, root_sync, verbs
from tests.unit.status.conftest import REF, synced_report

COMMIT = "feedfacefeedfacefeedfacefeedfacefeedface"
MIB = 1024 * 1024


def synced(generation: int = 1) -> RunReport:
    return synced_report(COMMIT, generation=generation)


def stored_status(cluster: FakeCluster) -> SyncObjectStatus:
    live = cluster.peek(REF)
    assert live is not None
    status = previous_status(live)
    assert status is not None
    return status


def test_the_first_write_stores_the_status(cluster: FakeCluster, writer: StatusWriter) -> None:
    status, written = writer.write(REF, synced())
    assert written
    assert status is not None
    stored = stored_status(cluster)
    assert stored.summary is not None
    assert stored.summary.state is SyncState.SYNCED
    ready = stored.condition(ConditionType.READY)
    assert ready is not None
    assert ready.status is ConditionStatus.TRUE


def test_an_unchanged_report_writes_nothing_the_second_time(
    cluster: FakeCluster, writer: StatusWriter, clock: FakeClock
) -> None:
    writer.write(REF, synced())
    before = stored_status(cluster)
    clock.advance(600)
    start = len(cluster.requests)
    status, written = writer.write(REF, synced(), live=cluster.peek(REF))
    assert not written
    assert cluster.requests[start:] == []
    assert stored_status(cluster) == before
    assert status is not None
    assert status.sync is not None
    assert before.sync is not None
    assert status.sync.last_update == before.sync.last_update


def test_a_changed_report_is_written_with_a_new_timestamp(
    cluster: FakeCluster, writer: StatusWriter, clock: FakeClock
) -> None:
    writer.write(REF, synced())
    before = stored_status(cluster)
    clock.advance(600)
    failed = RunReport(
        generation=1,
        commit=COMMIT,
        source=StageReport(commit=COMMIT),
        sync=StageReport(commit=COMMIT, errors=(SyncdError("boom"),)),
    )
    _, written = writer.write(REF, failed)
    assert written
    after = stored_status(cluster)
    assert after.summary is not None
    assert after.summary.state is SyncState.ERROR
    assert after.sync is not None
    assert before.sync is not None
    assert after.sync.last_update != before.sync.last_update


def test_status_stays_below_one_mebibyte_with_ten_thousand_huge_errors(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    huge_message = "x" * MIB
    resources = tuple(
        ResourceRef(
            ref=ObjectRef(
                group="ex.com", kind="Widget", namespace="app", name=f"{i:03d}" + "n" * 250
            ),
            source_path="deep/" * 800 + f"{i}.yaml",
        )
        for i in range(500)
    )
    errors = tuple(
        SyncdError(huge_message, code=ErrorCode.APPLY_FAILURE, resources=resources)
        for _ in range(10_000)
    )
    report = RunReport(
        generation=1,
        commit=COMMIT,
        source=StageReport(commit=COMMIT, errors=errors),
        rendering=StageReport(commit=COMMIT, errors=errors),
        sync=StageReport(commit=COMMIT, errors=errors),
    )
    _, written = writer.write(REF, report)
    assert written
    live = cluster.peek(REF)
    assert live is not None
    assert len(json.dumps(live["status"])) < MIB
    assert len(json.dumps(live)) < MIB
    stored = stored_status(cluster)
    for block in (stored.source, stored.rendering, stored.sync):
        assert block is not None
        assert block.errors
        assert block.error_summary is not None
        assert block.error_summary.total_count == 10_000
        assert block.error_summary.truncated
    assert stored.summary is not None
    assert stored.summary.error_count == 30_000


def test_a_conflict_is_retried_after_reading_the_object_again(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    cluster.fail_next(
        FakeVerb.REPLACE_STATUS,
        REF,
        ConflictError("the object has been modified", status=409, reason="Conflict"),
    )
    start = len(cluster.requests)
    _, written = writer.write(REF, synced(), live=cluster.peek(REF))
    assert written
    assert [verb for verb, _ in cluster.requests[start:]] == [
        FakeVerb.REPLACE_STATUS,
        FakeVerb.GET,
        FakeVerb.REPLACE_STATUS,
    ]
    assert stored_status(cluster).last_synced_commit == COMMIT


def test_a_stale_copy_of_the_object_is_refreshed_and_written(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    stale = cluster.peek(REF)
    cluster.apply(
        REF,
        {**root_sync(), "metadata": {**root_sync()["metadata"], "labels": {"a": "b"}}},
        field_manager="kubectl",
    )
    _, written = writer.write(REF, synced(), live=stale)
    assert written
    live = cluster.peek(REF)
    assert live is not None
    assert live["metadata"]["labels"] == {"a": "b"}
    assert stored_status(cluster).last_synced_commit == COMMIT


def test_endless_conflicts_give_up_with_a_conflict_error(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    cluster.fail_always(
        FakeVerb.REPLACE_STATUS, REF, ConflictError("modified", status=409, reason="Conflict")
    )
    with pytest.raises(ConflictError, match="gave up"):
        writer.write(REF, synced())
    assert len(verbs(cluster.requests, [FakeVerb.REPLACE_STATUS])) == 5


def test_a_deleted_sync_object_gets_no_status(cluster: FakeCluster, writer: StatusWriter) -> None:
    cluster.delete(REF)
    start = len(cluster.requests)
    assert writer.write(REF, synced()) == (None, False)
    assert verbs(cluster.requests[start:], WRITE_VERBS) == []


def test_a_stale_copy_of_our_own_last_write_costs_no_conflict(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    before = cluster.peek(REF)
    assert before is not None
    writer.write(REF, synced(), live=before)
    requests_after_first = len(cluster.requests)
    # The caller still holds the copy our write replaced (its watch has not
    # caught up); the writer builds on its own write instead of earning a 409.
    failing = RunReport(
        generation=1,
        commit=COMMIT,
        source=StageReport(
            commit=COMMIT, errors=(SyncdError("broken", code=ErrorCode.PARSE_ERROR),)
        ),
    )
    _, written = writer.write(REF, failing, live=before)
    assert written
    new = cluster.requests[requests_after_first:]
    assert [verb for verb, _ in new] == [FakeVerb.REPLACE_STATUS]
    assert stored_status(cluster).summary is not None
    assert stored_status(cluster).summary.state is SyncState.ERROR
