"""An idle poll makes zero status write attempts, even from a stale copy of the object.

The caller's copy of the sync object comes from a watch that lags behind the
writer's own writes: after the progress write and the final write of a run
it may still hold the copy from before both, or deliver the intermediate one
later. Building on such a copy used to find a difference that was not there
and send a PUT the server answered 409.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from syncd.core.errors import ClusterError, ErrorCode, SourceFetchError, SyncdError
from syncd.status.report import RunReport, StageReport
from syncd.status.writer import StatusWriter, previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import WRITE_VERBS, root_sync, verbs
from tests.unit.status.conftest import REF, synced_report

OLD = "1111111111111111111111111111111111111111"
NEW = "2222222222222222222222222222222222222222"


def progress(commit: str) -> RunReport:
    return RunReport(
        generation=1,
        commit=commit,
        source=StageReport(commit=commit),
        rendering=StageReport(commit=commit),
        in_progress=True,
    )


def copy(cluster: FakeCluster) -> dict[str, Any]:
    live = cluster.peek(REF)
    assert live is not None
    return live


def status_writes(cluster: FakeCluster, start: int) -> list[tuple[str, str]]:
    return verbs(cluster.requests[start:], [FakeVerb.REPLACE_STATUS])


@pytest.fixture
def old_synced(cluster: FakeCluster, writer: StatusWriter, clock: FakeClock) -> dict[str, Any]:
    """The object as a lagging watch holds it: synced at the old commit."""
    writer.write(REF, synced_report(OLD), live=copy(cluster))
    clock.advance(30)
    return copy(cluster)


def test_an_idle_poll_after_a_progress_and_a_final_write_makes_no_write_attempt(
    cluster: FakeCluster, writer: StatusWriter, clock: FakeClock, old_synced: dict[str, Any]
) -> None:
    # One run: progress, then final, both handed the copy from before the run
    # (the watch has delivered neither write yet).
    assert writer.write(REF, progress(NEW), live=old_synced)[1]
    assert writer.write(REF, synced_report(NEW), live=old_synced)[1]
    clock.advance(15)
    start = len(cluster.requests)
    status, written = writer.write(REF, synced_report(NEW), live=old_synced)
    assert not written
    assert cluster.requests[start:] == []
    assert status == previous_status(copy(cluster))


def test_a_watch_that_delivers_the_progress_write_late_costs_no_write(
    cluster: FakeCluster, writer: StatusWriter, clock: FakeClock, old_synced: dict[str, Any]
) -> None:
    writer.write(REF, progress(NEW), live=old_synced)
    in_between = copy(cluster)
    writer.write(REF, synced_report(NEW), live=in_between)
    clock.advance(15)
    start = len(cluster.requests)
    for stale in (in_between, old_synced, in_between):
        assert not writer.write(REF, synced_report(NEW), live=stale)[1]
    assert status_writes(cluster, start) == []
    assert cluster.requests[start:] == []


def test_a_real_change_on_a_stale_copy_is_written_over_our_own_write(
    cluster: FakeCluster, writer: StatusWriter, old_synced: dict[str, Any]
) -> None:
    writer.write(REF, progress(NEW), live=old_synced)
    writer.write(REF, synced_report(NEW), live=old_synced)
    start = len(cluster.requests)
    broken = RunReport(
        generation=1,
        commit=NEW,
        source=StageReport(commit=NEW),
        sync=StageReport(commit=NEW, errors=(SyncdError("boom", code=ErrorCode.APPLY_FAILURE),)),
    )
    assert writer.write(REF, broken, live=old_synced)[1]
    assert [verb for verb, _ in cluster.requests[start:]] == [FakeVerb.REPLACE_STATUS]


def test_a_newer_copy_from_another_writer_is_used_as_it_is(
    cluster: FakeCluster, writer: StatusWriter, old_synced: dict[str, Any]
) -> None:
    writer.write(REF, synced_report(NEW), live=old_synced)
    spec = root_sync({"git": {"repo": "https://git.example/other.git"}})
    cluster.apply(REF, spec, field_manager="kubectl")
    newer = copy(cluster)
    assert newer["metadata"]["generation"] == 2
    start = len(cluster.requests)
    report = dataclasses.replace(synced_report(NEW), generation=2)
    assert writer.write(REF, report, live=newer)[1]
    assert [verb for verb, _ in cluster.requests[start:]] == [FakeVerb.REPLACE_STATUS]
    stored = previous_status(copy(cluster))
    assert stored is not None
    assert stored.observed_generation == 2
    # The older-generation copy (our own earlier write) no longer counts.
    start = len(cluster.requests)
    assert not writer.write(REF, report, live=old_synced)[1]
    assert cluster.requests[start:] == []


@pytest.mark.parametrize(
    "error",
    [
        SourceFetchError("remote hung up"),
        ClusterError("GET /apis failed: timed out"),
        SyncdError("rejected", code=ErrorCode.APPLY_FAILURE),
    ],
)
def test_a_persistent_failure_is_written_once_however_often_it_repeats(
    cluster: FakeCluster, writer: StatusWriter, clock: FakeClock, error: SyncdError
) -> None:
    writer.write(REF, synced_report(OLD), live=copy(cluster))
    stale = copy(cluster)
    failing = RunReport(
        generation=1, commit=OLD, source=StageReport(commit=OLD), sync=StageReport(errors=(error,))
    )
    start = len(cluster.requests)
    for _ in range(5):
        clock.advance(15)
        writer.write(REF, failing, live=stale)
    assert len(status_writes(cluster, start)) == 1
    assert verbs(cluster.requests[start:], WRITE_VERBS) == status_writes(cluster, start)
