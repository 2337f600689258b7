"""The status writer and Event recorder against the real API server.

- A status survives the CRD's structural schema unchanged (no pruned or
  defaulted field would make every poll look like a change), and the real
  object reads in kstatus as intended: Current, InProgress (transient
  errors), Failed (errors a retry cannot fix).
- After a progress write and a final write handed a stale copy, an idle poll
  sends no request at all.
- Repeated Events raise the count of one Event (a merge patch the server
  accepts); an Event that has gone is created anew.
- The server's refusals of an oversized status (etcd's limit as 500, the body
  limit as 413) are the ones the writer recognises.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from e2e.kube import unique
from syncd.api.status import ConditionStatus, ConditionType
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.errors import ApiError, ClusterError, SyncdError, SyncSpecError
from syncd.core.kstatus import KStatus, compute
from syncd.core.refs import ObjectRef
from syncd.devenv.controlplane import ControlPlane
from syncd.status.events import EventReason, EventRecorder, EventType
from syncd.status.fit import is_too_large
from syncd.status.report import RunReport, StageReport, SyncCounts
from syncd.status.writer import StatusWriter, previous_status

pytestmark = pytest.mark.e2e

NS = "e2e-status-writer"
"""Not syncd's own namespace: the controller other tests start never picks these syncs up."""
COMMIT = "0123456789abcdef0123456789abcdef01234567"
WRITES = ("apply", "patch", "create", "update", "delete")


class WallClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return 0.0


@pytest.fixture
def client(control_plane: ControlPlane, syncd_crds: None) -> KubeClient:
    client = KubeClient(load_connection(control_plane.kubeconfig), max_connections=4)
    ref = ObjectRef(group="", version="v1", kind="Namespace", name=NS)
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    client.apply(ref, body, field_manager="e2e")
    return client


def create_root_sync(client: KubeClient) -> tuple[ObjectRef, dict[str, Any]]:
    name = unique("sw")
    ref = ObjectRef(group="syncd.dev", version="v1beta1", kind="RootSync", namespace=NS, name=name)
    body = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"git": {"repo": "https://git.example/repo.git"}},
    }
    return ref, client.apply(ref, body, field_manager="e2e")


def report(*errors: SyncdError, synced: bool = False, in_progress: bool = False) -> RunReport:
    return RunReport(
        generation=1,
        commit=COMMIT,
        source=StageReport(commit=COMMIT),
        rendering=StageReport(commit=COMMIT),
        sync=StageReport(commit=COMMIT, errors=errors),
        counts=SyncCounts(applied=2, total=2),
        synced=synced,
        in_progress=in_progress,
    )


def writes(client: KubeClient) -> int:
    counts = client.request_counts
    return sum(counts.get(verb, 0) for verb in WRITES)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (report(synced=True), KStatus.CURRENT),
        (report(in_progress=True), KStatus.IN_PROGRESS),
        (report(ClusterError("GET /api/v1/configmaps failed: timed out")), KStatus.IN_PROGRESS),
        (report(SyncdError("ConfigMap app/a: rejected")), KStatus.FAILED),
        (
            RunReport(
                generation=1,
                source=StageReport(errors=(SyncSpecError("spec.git.repo: required"),)),
                stalled_reason="InvalidSpec",
            ),
            KStatus.FAILED,
        ),
    ],
    ids=["synced", "syncing", "transient", "permanent", "invalid-spec"],
)
def test_a_written_status_round_trips_exactly_and_reads_in_kstatus_as_intended(
    client: KubeClient, run: RunReport, expected: KStatus
) -> None:
    ref, created = create_root_sync(client)
    writer = StatusWriter(client, clock=WallClock())
    status, written = writer.write(ref, run, live=created)
    assert written
    stored = client.get(ref)
    assert stored is not None
    assert previous_status(stored) == status
    assert compute(stored, now=dt.datetime.now(dt.UTC)).status is expected


def test_an_idle_poll_after_progress_and_final_writes_sends_nothing(client: KubeClient) -> None:
    ref, created = create_root_sync(client)
    writer = StatusWriter(client, clock=WallClock())
    assert writer.write(ref, report(in_progress=True), live=created)[1]
    assert writer.write(ref, report(synced=True), live=created)[1]
    before = writes(client), sum(client.request_counts.values())
    for _ in range(3):
        assert not writer.write(ref, report(synced=True), live=created)[1]
    assert (writes(client), sum(client.request_counts.values())) == before
    stored = client.get(ref)
    assert stored is not None
    status = previous_status(stored)
    assert status is not None
    ready = status.condition(ConditionType.READY)
    assert ready is not None
    assert ready.status is ConditionStatus.TRUE


def events_about(client: KubeClient, name: str) -> list[dict[str, Any]]:
    listed = client.list(client.resource_type("", "Event"), namespace=NS)
    return [e for e in listed.items if e["involvedObject"].get("name") == name]


def test_repeated_events_raise_one_events_count(client: KubeClient) -> None:
    ref, created = create_root_sync(client)
    recorder = EventRecorder(client, clock=WallClock())
    for _ in range(3):
        recorder.emit(
            created, type_=EventType.WARNING, reason=EventReason.SOURCE_ERROR, message="SD2004: x"
        )
    [event] = events_about(client, ref.name)
    assert event["count"] == 3
    assert event["involvedObject"]["uid"] == created["metadata"]["uid"]
    gone = ObjectRef(
        group="", version="v1", kind="Event", namespace=NS, name=event["metadata"]["name"]
    )
    client.delete(gone)
    recorder.emit(
        created, type_=EventType.WARNING, reason=EventReason.SOURCE_ERROR, message="SD2004: x"
    )
    [again] = events_about(client, ref.name)
    assert again["metadata"]["name"] != event["metadata"]["name"]
    assert again["count"] == 1


@pytest.mark.parametrize(
    ("size", "http_status"), [(2 * 1024 * 1024, 500), (4 * 1024 * 1024, 413)], ids=["etcd", "body"]
)
def test_the_servers_refusals_of_an_oversized_status_are_recognised(
    client: KubeClient, size: int, http_status: int
) -> None:
    ref, created = create_root_sync(client)
    errors = [{"code": "SD2009", "message": "x" * 100_000} for _ in range(size // 100_000)]
    body = {**created, "status": {"sync": {"errors": errors}}}
    with pytest.raises(ApiError) as info:
        client.replace_status(ref, body)
    assert info.value.status == http_status, info.value.message
    assert is_too_large(info.value)
