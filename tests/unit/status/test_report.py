"""build_status turns a run report into conditions, bounded error blocks and stable timestamps."""

from __future__ import annotations

import datetime as dt

import pytest

from syncd.api.status import (
    Condition,
    ConditionStatus,
    ConditionType,
    SyncObjectStatus,
    SyncState,
)
from syncd.core.errors import (
    ClusterError,
    ErrorCode,
    ResourceRef,
    SourceContentError,
    SyncdError,
)
from syncd.core.refs import ObjectRef
from syncd.status.report import (
    MAX_ERRORS_PER_STAGE,
    RunReport,
    StageReport,
    SyncCounts,
    build_status,
    same_status,
)

T0 = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
T1 = T0 + dt.timedelta(minutes=5)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def synced() -> RunReport:
    return RunReport(
        generation=2,
        commit=COMMIT,
        source=StageReport(commit=COMMIT),
        rendering=StageReport(commit=COMMIT),
        sync=StageReport(commit=COMMIT),
        counts=SyncCounts(applied=3, total=3),
        synced=True,
    )


def failing(*errors: SyncdError) -> RunReport:
    return RunReport(
        generation=2,
        commit=COMMIT,
        source=StageReport(commit=COMMIT),
        rendering=StageReport(commit=COMMIT),
        sync=StageReport(commit=COMMIT, errors=errors),
    )


def condition(status: SyncObjectStatus, cond_type: ConditionType) -> Condition:
    found = status.condition(cond_type)
    assert found is not None
    return found


def test_a_synced_run_is_ready_and_records_the_commit() -> None:
    status = build_status(synced(), previous=None, now=T0)
    ready = condition(status, ConditionType.READY)
    assert ready.status is ConditionStatus.TRUE
    assert condition(status, ConditionType.STALLED).status is ConditionStatus.FALSE
    assert condition(status, ConditionType.RECONCILING).status is ConditionStatus.FALSE
    assert status.summary is not None
    assert status.summary.state is SyncState.SYNCED
    assert status.summary.short_commit == COMMIT[:7]
    assert status.last_synced_commit == COMMIT
    assert status.observed_generation == 2
    assert all(c.observed_generation == 2 for c in status.conditions)


def test_an_error_run_is_not_ready_and_names_the_first_error_code() -> None:
    first = SyncdError("apply ConfigMap app/a failed", code=ErrorCode.APPLY_FAILURE)
    second = SyncdError("forbidden", code=ErrorCode.FORBIDDEN)
    status = build_status(failing(first, second), previous=None, now=T0)
    ready = condition(status, ConditionType.READY)
    assert ready.status is ConditionStatus.FALSE
    assert ready.message is not None
    assert ready.message.startswith("SD2009: apply ConfigMap app/a failed")
    assert status.summary is not None
    assert status.summary.state is SyncState.ERROR
    assert status.summary.error_count == 2
    assert status.sync is not None
    assert [e.code for e in status.sync.errors] == ["SD2009", "SD2013"]
    assert status.last_synced_commit is None


def test_an_error_keeps_the_last_synced_commit_of_an_earlier_run() -> None:
    earlier = build_status(synced(), previous=None, now=T0)
    later = build_status(failing(SyncdError("boom")), previous=earlier, now=T1)
    assert later.last_synced_commit == COMMIT


def test_a_stalled_run_sets_stalled_true_with_its_reason() -> None:
    report = RunReport(
        generation=3,
        source=StageReport(errors=(SyncdError("bad spec", code=ErrorCode.INVALID_SYNC_SPEC),)),
        stalled_reason="InvalidSpec",
    )
    status = build_status(report, previous=None, now=T0)
    stalled = condition(status, ConditionType.STALLED)
    assert stalled.status is ConditionStatus.TRUE
    assert stalled.reason == "InvalidSpec"
    assert stalled.message is not None
    assert stalled.message.startswith("SD1061")
    assert condition(status, ConditionType.READY).status is ConditionStatus.FALSE
    assert status.summary is not None
    assert status.summary.state is SyncState.STALLED


def test_a_suspended_sync_says_so() -> None:
    status = build_status(RunReport(generation=1, suspended=True), previous=None, now=T0)
    ready = condition(status, ConditionType.READY)
    assert (ready.status, ready.reason) == (ConditionStatus.FALSE, "Suspended")
    assert status.summary is not None
    assert status.summary.state is SyncState.SUSPENDED
    assert condition(status, ConditionType.STALLED).status is ConditionStatus.FALSE


def test_timestamps_stay_put_when_nothing_changed() -> None:
    first = build_status(synced(), previous=None, now=T0)
    second = build_status(synced(), previous=first, now=T1)
    assert second == first
    assert same_status(first, second)


def test_timestamps_move_when_the_state_changes() -> None:
    first = build_status(synced(), previous=None, now=T0)
    second = build_status(failing(ClusterError("connection reset")), previous=first, now=T1)
    assert not same_status(first, second)
    assert second.sync is not None
    assert first.sync is not None
    assert second.sync.last_update != first.sync.last_update
    ready_before = condition(first, ConditionType.READY)
    ready_after = condition(second, ConditionType.READY)
    assert ready_after.last_transition_time != ready_before.last_transition_time
    # Stalled was False before and after (a transient error): its transition time stays.
    assert (
        condition(second, ConditionType.STALLED).last_transition_time
        == condition(first, ConditionType.STALLED).last_transition_time
    )


def test_errors_are_truncated_with_a_summary() -> None:
    errors = [SyncdError(f"error {i}") for i in range(MAX_ERRORS_PER_STAGE + 25)]
    status = build_status(failing(*errors), previous=None, now=T0)
    assert status.sync is not None
    assert len(status.sync.errors) == 50
    assert status.sync.error_summary is not None
    assert status.sync.error_summary.total_count == 75
    assert status.sync.error_summary.truncated is True
    assert status.summary is not None
    assert status.summary.error_count == 75


@pytest.mark.parametrize("count", [0, 1, MAX_ERRORS_PER_STAGE])
def test_lists_within_the_limit_are_not_marked_truncated(count: int) -> None:
    errors = [SyncdError(f"error {i}") for i in range(count)]
    status = build_status(failing(*errors), previous=None, now=T0)
    assert status.sync is not None
    assert status.sync.error_summary is not None
    assert status.sync.error_summary.truncated is False
    assert len(status.sync.errors) == count


def test_error_resources_carry_the_source_path() -> None:
    ref = ObjectRef(group="", kind="ConfigMap", namespace="app", name="a")
    error = SourceContentError("bad", resources=[ResourceRef(ref=ref, source_path="app/a.yaml")])
    status = build_status(failing(error), previous=None, now=T0)
    assert status.sync is not None
    [resource] = status.sync.errors[0].resources
    assert (resource.source_path, resource.name) == ("app/a.yaml", "a")
