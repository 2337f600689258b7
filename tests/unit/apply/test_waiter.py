"""The waiter computes readiness from known bodies and polls only what is not ready."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.apply.waiter import Waiter
from syncd.core.errors import ClusterError
from syncd.core.kstatus import KStatus, StatusResult
from syncd.core.refs import ObjectRef
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import BUILTIN_TYPES, DEPLOYMENT, cm_ref, configmap, deployment, ref_of, verbs


def kinds(statuses: dict[ObjectRef, StatusResult]) -> dict[ObjectRef, KStatus]:
    return {ref: result.status for ref, result in statuses.items()}


class SteppingClock(FakeClock):
    """Monotonic time moves one second per reading: a wait polls once, then times out."""

    def monotonic(self) -> float:
        self.advance(1)
        return super().monotonic()


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(BUILTIN_TYPES, clock=FakeClock())


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


def test_objects_current_from_their_known_body_cost_no_request(
    cluster: FakeCluster, executor: ThreadPoolExecutor
) -> None:
    ref = cm_ref("cm")
    body = cluster.apply(ref, configmap("cm"), field_manager="syncd")
    start = len(cluster.requests)
    waiter = Waiter(cluster, clock=FakeClock(), executor=executor)
    assert kinds(waiter.wait({ref: body}, timeout=30)) == {ref: KStatus.CURRENT}
    assert cluster.requests[start:] == []


def test_an_object_becoming_ready_is_seen_by_polling(
    cluster: FakeCluster, executor: ThreadPoolExecutor
) -> None:
    ref = ref_of(DEPLOYMENT, "web", "app")
    body = cluster.apply(ref, deployment("web"), field_manager="syncd")
    ready = dict(body)
    ready["status"] = {
        "observedGeneration": 1,
        "replicas": 1,
        "updatedReplicas": 1,
        "readyReplicas": 1,
        "availableReplicas": 1,
        "conditions": [{"type": "Available", "status": "True"}],
    }
    cluster.replace_status(ref, ready)
    waiter = Waiter(cluster, clock=FakeClock(), executor=executor)
    assert kinds(waiter.wait({ref: body}, timeout=30)) == {ref: KStatus.CURRENT}
    assert len(verbs(cluster.requests, [FakeVerb.GET])) == 1


def test_time_running_out_leaves_the_object_in_progress_without_polling(
    cluster: FakeCluster, executor: ThreadPoolExecutor
) -> None:
    ref = ref_of(DEPLOYMENT, "web", "app")
    body = cluster.apply(ref, deployment("web"), field_manager="syncd")
    waiter = Waiter(cluster, clock=FakeClock(), executor=executor)
    assert kinds(waiter.wait({ref: body}, timeout=0)) == {ref: KStatus.IN_PROGRESS}
    assert verbs(cluster.requests, [FakeVerb.GET]) == []


def test_a_deleted_object_is_not_found_and_a_failing_get_is_unknown(
    cluster: FakeCluster, executor: ThreadPoolExecutor
) -> None:
    gone = ref_of(DEPLOYMENT, "gone", "app")
    broken = ref_of(DEPLOYMENT, "broken", "app")
    gone_body = cluster.apply(gone, deployment("gone"), field_manager="syncd")
    broken_body = cluster.apply(broken, deployment("broken"), field_manager="syncd")
    cluster.delete(gone)
    cluster.fail_always(FakeVerb.GET, broken, ClusterError("connection reset"))
    waiter = Waiter(cluster, clock=SteppingClock(), executor=executor)
    statuses = waiter.wait({gone: gone_body, broken: broken_body}, timeout=1.5)
    assert kinds(statuses) == {gone: KStatus.NOT_FOUND, broken: KStatus.UNKNOWN}
    assert "connection reset" in statuses[broken].message
    assert len(verbs(cluster.requests, [FakeVerb.GET])) == 2
