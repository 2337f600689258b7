"""A status too large to store falls back to a minimal status, never to the stale one.

Minimal: observedGeneration, the commits, the conditions, the summary, and
each stage's commit and error counts, with no error lists. That happens when
the status passes MAX_STATUS_BYTES even with one error per stage, and when
the API server refuses the write as too large (413, or etcd's limit as 500).
"""

from __future__ import annotations

import json

import pytest

from syncd.api.status import ConditionStatus, ConditionType, SyncObjectStatus, SyncState
from syncd.core.errors import ApiError, ErrorCode, ResourceRef, SyncdError
from syncd.core.refs import ObjectRef
from syncd.status.fit import MAX_STATUS_BYTES
from syncd.status.report import RunReport, StageReport
from syncd.status.writer import StatusWriter, previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import verbs
from tests.unit.status.conftest import REF, synced_report

COMMIT = "feedfacefeedfacefeedfacefeedfacefeedface"
BEFORE = "0000000000000000000000000000000000000000"


def failing(*errors: SyncdError) -> RunReport:
    return RunReport(
        generation=1,
        commit=COMMIT,
        source=StageReport(commit=COMMIT),
        rendering=StageReport(commit=COMMIT),
        sync=StageReport(commit=COMMIT, errors=errors),
    )


def huge_error(index: int) -> SyncdError:
    """One error whose 20 shown resources alone pass the limit (very long source paths)."""
    resources = [
        ResourceRef(
            ref=ObjectRef(group="", kind="ConfigMap", namespace="app", name=f"cm-{index}-{i}"),
            source_path=f"{index}/{i}/" + "p" * 100_000 + ".yaml",
        )
        for i in range(20)
    ]
    return SyncdError(f"error {index}", code=ErrorCode.APPLY_FAILURE, resources=resources)


def stored(cluster: FakeCluster) -> SyncObjectStatus:
    live = cluster.peek(REF)
    assert live is not None
    status = previous_status(live)
    assert status is not None
    return status


def assert_minimal(status: SyncObjectStatus, *, errors: int) -> None:
    assert status.observed_generation == 1
    assert status.sync is not None
    assert status.sync.commit == COMMIT
    assert status.sync.errors == []
    assert status.sync.error_summary is not None
    assert status.sync.error_summary.total_count == errors
    assert status.sync.error_summary.truncated
    assert status.source is not None
    assert status.source.commit == COMMIT
    assert status.summary is not None
    assert status.summary.state is SyncState.ERROR
    assert status.summary.error_count == errors
    assert status.summary.short_commit == COMMIT[:7]
    ready = status.condition(ConditionType.READY)
    assert ready is not None
    assert ready.status is ConditionStatus.FALSE
    assert ready.message is not None
    assert ready.message.startswith("SD2009: error 0")


def test_a_status_too_large_even_with_one_error_per_stage_is_written_minimal(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    writer.write(REF, synced_report(BEFORE))
    _, written = writer.write(REF, failing(*(huge_error(i) for i in range(3))))
    assert written
    live = cluster.peek(REF)
    assert live is not None
    assert len(json.dumps(live)) <= MAX_STATUS_BYTES
    assert_minimal(stored(cluster), errors=3)
    assert stored(cluster).last_synced_commit == BEFORE


def test_the_same_oversized_report_on_the_next_poll_writes_nothing(
    cluster: FakeCluster, writer: StatusWriter, clock: FakeClock
) -> None:
    report = failing(*(huge_error(i) for i in range(3)))
    writer.write(REF, report)
    before = stored(cluster)
    clock.advance(60)
    start = len(cluster.requests)
    assert not writer.write(REF, report, live=cluster.peek(REF))[1]
    assert cluster.requests[start:] == []
    assert stored(cluster) == before


@pytest.mark.parametrize(
    "refusal",
    [
        ApiError("Request entity too large: limit is 3145728", status=413),
        ApiError("etcdserver: request is too large", status=500, reason="InternalError"),
    ],
    ids=["413", "etcd-500"],
)
def test_a_write_refused_as_too_large_is_written_minimal_not_left_stale(
    cluster: FakeCluster, writer: StatusWriter, clock: FakeClock, refusal: ApiError
) -> None:
    writer.write(REF, synced_report(BEFORE))
    report = failing(SyncdError("error 0"), SyncdError("error 1"))
    cluster.fail_next(FakeVerb.REPLACE_STATUS, REF, refusal)
    start = len(cluster.requests)
    _, written = writer.write(REF, report, live=cluster.peek(REF))
    assert written
    assert len(verbs(cluster.requests[start:], [FakeVerb.REPLACE_STATUS])) == 2
    assert_minimal(stored(cluster), errors=2)
    # The next poll remembers the refusal: no second try of the full status.
    clock.advance(60)
    start = len(cluster.requests)
    assert not writer.write(REF, report, live=cluster.peek(REF))[1]
    assert cluster.requests[start:] == []
    # A new report is tried in full again.
    assert writer.write(REF, synced_report(COMMIT), live=cluster.peek(REF))[1]
    assert stored(cluster).summary is not None


def test_a_minimal_status_refused_too_raises(cluster: FakeCluster, writer: StatusWriter) -> None:
    refusal = ApiError("etcdserver: request is too large", status=500)
    cluster.fail_always(FakeVerb.REPLACE_STATUS, REF, refusal)
    with pytest.raises(ApiError, match="too large"):
        writer.write(REF, failing(SyncdError("error 0")))
    assert len(verbs(cluster.requests, [FakeVerb.REPLACE_STATUS])) == 2


def test_other_server_errors_are_raised_not_turned_minimal(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    cluster.fail_next(FakeVerb.REPLACE_STATUS, REF, ApiError("etcd leader changed", status=500))
    with pytest.raises(ApiError, match="leader"):
        writer.write(REF, failing(SyncdError("error 0")))
    assert len(verbs(cluster.requests, [FakeVerb.REPLACE_STATUS])) == 1


def test_errors_that_fit_only_in_part_keep_as_many_as_fit(
    cluster: FakeCluster, writer: StatusWriter
) -> None:
    # 50 errors of about 40 KB each pass the limit; ten of them fit.
    big = [
        SyncdError(
            f"error {i}",
            resources=[
                ResourceRef(
                    ref=ObjectRef(group="", kind="ConfigMap", namespace="app", name=f"cm-{i}"),
                    source_path="d/" * 20_000,
                )
            ],
        )
        for i in range(50)
    ]
    assert writer.write(REF, failing(*big))[1]
    status = stored(cluster)
    assert status.sync is not None
    assert len(status.sync.errors) == 10
    assert status.sync.error_summary is not None
    assert (status.sync.error_summary.total_count, status.sync.error_summary.truncated) == (
        50,
        True,
    )
