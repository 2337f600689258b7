"""Every state of a sync maps to kstatus conditions that kstatus reads as intended.

The status built for each state is put on a RootSync and read by this
repository's own kstatus (`syncd.core.kstatus.compute`): Synced is Current,
a run in progress or a transient failure is InProgress (Reconciling, syncd
retries), an error a retry cannot fix or an invalid spec is Failed (Stalled).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from syncd.api.status import (
    ConditionReason,
    ConditionStatus,
    ConditionType,
    SyncObjectStatus,
    SyncState,
)
from syncd.core.errors import (
    ApiError,
    ClusterError,
    ConflictError,
    ErrorCode,
    ForbiddenError,
    InvalidError,
    SourceContentError,
    SourceFetchError,
    SyncdError,
    SyncSpecError,
)
from syncd.core.kstatus import KStatus, compute
from syncd.status.report import RunReport, StageReport, SyncCounts, build_status, same_status

T0 = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
COMMIT = "0123456789abcdef0123456789abcdef01234567"
GENERATION = 4
F, T = ConditionStatus.FALSE, ConditionStatus.TRUE


def ran(*errors: SyncdError, synced: bool = False, in_progress: bool = False) -> RunReport:
    return RunReport(
        generation=GENERATION,
        commit=COMMIT,
        source=StageReport(commit=COMMIT),
        rendering=StageReport(commit=COMMIT),
        sync=StageReport(commit=COMMIT, errors=errors),
        counts=SyncCounts(applied=1, total=2),
        synced=synced,
        in_progress=in_progress,
    )


def fetch_failed() -> RunReport:
    return RunReport(
        generation=GENERATION, source=StageReport(errors=(SourceFetchError("remote hung up"),))
    )


def not_ready() -> SyncdError:
    return SyncdError(
        "Deployment app/web is not ready: 1 of 3 replicas", code=ErrorCode.NOT_READY, transient=True
    )


def forbidden() -> SyncdError:
    return ForbiddenError("configmaps is forbidden", status=403, reason="Forbidden")


def prune_refused() -> SyncdError:
    return SyncdError("would delete 12 of 12 objects", code=ErrorCode.PRUNE_REFUSED)


REPORTS: dict[str, RunReport] = {
    "synced": ran(synced=True),
    "syncing": ran(in_progress=True),
    "run-in-progress": RunReport(generation=GENERATION, commit=COMMIT, in_progress=True),
    "source-fetch-error": fetch_failed(),
    "cluster-transport-error": ran(ClusterError("GET /api/v1/configmaps failed: timed out")),
    "api-server-overloaded": ran(ApiError("etcd leader changed", status=500)),
    "conflict": ran(ConflictError("the object has been modified", status=409)),
    "object-not-ready-yet": ran(not_ready(), in_progress=True),
    "content-error": ran(SourceContentError("a.yaml: mapping values are not allowed")),
    "rejected-object": ran(InvalidError("spec.replicas: Invalid value: -1", status=422)),
    "forbidden": ran(forbidden()),
    "prune-refused": ran(prune_refused()),
    "transient-and-permanent": ran(ClusterError("timed out"), forbidden()),
    "invalid-spec": RunReport(
        generation=GENERATION,
        source=StageReport(errors=(SyncSpecError("spec.git.repo: field required"),)),
        stalled_reason=ConditionReason.INVALID_SPEC,
    ),
    "suspended": RunReport(generation=GENERATION, suspended=True),
}

# name: (kstatus, printer column, Reconciling, Stalled, Syncing, Ready)
Row = tuple[KStatus, SyncState, ConditionStatus, ConditionStatus, ConditionStatus, ConditionStatus]
EXPECTED: dict[str, Row] = {
    "synced": (KStatus.CURRENT, SyncState.SYNCED, F, F, F, T),
    "syncing": (KStatus.IN_PROGRESS, SyncState.SYNCING, T, F, T, F),
    "run-in-progress": (KStatus.IN_PROGRESS, SyncState.SYNCING, T, F, T, F),
    "source-fetch-error": (KStatus.IN_PROGRESS, SyncState.ERROR, T, F, F, F),
    "cluster-transport-error": (KStatus.IN_PROGRESS, SyncState.ERROR, T, F, F, F),
    "api-server-overloaded": (KStatus.IN_PROGRESS, SyncState.ERROR, T, F, F, F),
    "conflict": (KStatus.IN_PROGRESS, SyncState.ERROR, T, F, F, F),
    "object-not-ready-yet": (KStatus.IN_PROGRESS, SyncState.ERROR, T, F, F, F),
    "content-error": (KStatus.FAILED, SyncState.ERROR, F, T, F, F),
    "rejected-object": (KStatus.FAILED, SyncState.ERROR, F, T, F, F),
    "forbidden": (KStatus.FAILED, SyncState.ERROR, F, T, F, F),
    "prune-refused": (KStatus.FAILED, SyncState.ERROR, F, T, F, F),
    "transient-and-permanent": (KStatus.FAILED, SyncState.ERROR, F, T, F, F),
    "invalid-spec": (KStatus.FAILED, SyncState.STALLED, F, T, F, F),
    "suspended": (KStatus.IN_PROGRESS, SyncState.SUSPENDED, F, F, F, F),
}


def root_sync_with(status: SyncObjectStatus) -> dict[str, Any]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": "root", "namespace": "syncd-system", "generation": GENERATION},
        "status": status.model_dump(mode="json", by_alias=True, exclude_none=True),
    }


def statuses(status: SyncObjectStatus) -> tuple[ConditionStatus, ...]:
    found = []
    for cond_type in (
        ConditionType.RECONCILING,
        ConditionType.STALLED,
        ConditionType.SYNCING,
        ConditionType.READY,
    ):
        condition = status.condition(cond_type)
        assert condition is not None, cond_type
        found.append(condition.status)
    return tuple(found)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_each_state_reads_in_kstatus_as_intended(name: str) -> None:
    kstatus, state, *conditions = EXPECTED[name]
    status = build_status(REPORTS[name], previous=None, now=T0)
    assert compute(root_sync_with(status), now=T0).status is kstatus
    assert status.summary is not None
    assert status.summary.state is state
    assert statuses(status) == tuple(conditions)


def test_every_state_is_covered() -> None:
    assert set(REPORTS) == set(EXPECTED)


def test_a_transient_error_says_syncd_retries_and_names_the_error() -> None:
    status = build_status(fetch_failed(), previous=None, now=T0)
    reconciling = status.condition(ConditionType.RECONCILING)
    assert reconciling is not None
    assert reconciling.reason == ConditionReason.RETRYING
    assert reconciling.message == "syncd retries: SD2004: remote hung up"
    stalled = status.condition(ConditionType.STALLED)
    assert stalled is not None
    assert stalled.status is ConditionStatus.FALSE


def test_a_permanent_error_is_named_first_even_after_a_transient_one() -> None:
    status = build_status(ran(ClusterError("timed out"), forbidden()), previous=None, now=T0)
    stalled = status.condition(ConditionType.STALLED)
    assert stalled is not None
    assert stalled.reason == ConditionReason.SYNC_ERRORS
    assert stalled.message == "SD2013: configmaps is forbidden (and 1 more)"
    ready = status.condition(ConditionType.READY)
    assert ready is not None
    assert ready.message == stalled.message


@pytest.mark.parametrize(
    "name", ["source-fetch-error", "object-not-ready-yet", "forbidden", "invalid-spec", "syncing"]
)
def test_the_same_report_builds_the_same_status_on_every_poll(name: str) -> None:
    report = REPORTS[name]
    first = build_status(report, previous=None, now=T0)
    later = first
    for minutes in (1, 2, 30):
        later = build_status(report, previous=later, now=T0 + dt.timedelta(minutes=minutes))
        assert later == first
        assert same_status(first, later)
    assert compute(root_sync_with(later), now=T0).status is EXPECTED[name][0]


def test_a_persistent_transient_failure_after_a_synced_run_settles_after_one_change() -> None:
    synced = build_status(REPORTS["synced"], previous=None, now=T0)
    failing = build_status(fetch_failed(), previous=synced, now=T0 + dt.timedelta(minutes=1))
    assert not same_status(synced, failing)
    again = build_status(fetch_failed(), previous=failing, now=T0 + dt.timedelta(minutes=2))
    assert again == failing
    # The last synced commit and what the last sync did stay on show.
    assert again.last_synced_commit == COMMIT
    assert again.sync == synced.sync
    assert again.summary is not None
    assert again.summary.short_commit == COMMIT[:7]
