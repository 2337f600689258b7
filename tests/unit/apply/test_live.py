"""The live reader: one selected LIST per kind, then a lookup of declared objects it missed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.apply.live import GET_LOOKUP_MAX, LiveReader
from syncd.core.errors import ClusterError, ErrorCode, NotFoundError
from syncd.core.metadata import APPLYSET_PART_OF_LABEL
from syncd.core.refs import ObjectRef
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster, FakeVerb
from tests.unit.kube import BUILTIN_TYPES, CONFIGMAP, NAMESPACE, cm_ref, configmap, namespace, verbs

SELECTOR = f"{APPLYSET_PART_OF_LABEL}=mine"
CM = ("", "ConfigMap")
NS = ("", "Namespace")


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(BUILTIN_TYPES, clock=FakeClock())


@pytest.fixture
def reader(cluster: FakeCluster) -> Iterator[LiveReader]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield LiveReader(cluster, executor=pool, selector=SELECTOR)


def put(cluster: FakeCluster, name: str, ns: str = "app", *, ours: bool) -> ObjectRef:
    body = configmap(name, ns)
    if ours:
        body["metadata"]["labels"] = {APPLYSET_PART_OF_LABEL: "mine"}
    ref = cm_ref(name, ns)
    cluster.apply(ref, body, field_manager="someone")
    return ref


def test_one_selected_list_per_kind_and_no_lookup_when_nothing_is_missing(
    cluster: FakeCluster, reader: LiveReader
) -> None:
    mine = put(cluster, "mine", ours=True)
    put(cluster, "other-syncs", ours=False)
    start = len(cluster.requests)
    state = reader.read([CM], declared=[mine])
    assert set(state.objects) == {mine}
    assert cluster.requests[start:] == [(FakeVerb.LIST, "ConfigMap")]
    assert state.complete


def test_a_few_missing_declared_objects_are_looked_up_with_gets(
    cluster: FakeCluster, reader: LiveReader
) -> None:
    by_hand = put(cluster, "by-hand", ours=False)
    absent = cm_ref("absent")
    state = reader.read([CM], declared=[by_hand, absent])
    assert set(state.objects) == {by_hand}
    gets = [label for _, label in verbs(cluster.requests, [FakeVerb.GET])]
    assert sorted(gets) == ["ConfigMap app/absent", "ConfigMap app/by-hand"]
    assert state.known(absent)


def test_many_missing_objects_are_looked_up_with_one_list_per_namespace(
    cluster: FakeCluster, reader: LiveReader
) -> None:
    declared = [cm_ref(f"c{i}", "a" if i % 2 else "b") for i in range(3 * GET_LOOKUP_MAX)]
    found = put(cluster, "c1", "a", ours=False)
    start = len(cluster.requests)
    state = reader.read([CM], declared=declared)
    assert set(state.objects) == {found}
    assert verbs(cluster.requests[start:], [FakeVerb.GET]) == []
    assert len(verbs(cluster.requests[start:], [FakeVerb.LIST])) == 3  # selected + a + b


def test_a_failed_list_makes_the_kind_unknown_with_sd2002_and_the_others_go_on(
    cluster: FakeCluster, reader: LiveReader
) -> None:
    cluster.apply(ObjectRef.from_object(namespace("app")), namespace("app"), field_manager="x")
    cluster.fail_always(FakeVerb.LIST, CONFIGMAP, ClusterError("timed out"))
    declared = [cm_ref("a"), ObjectRef(group="", kind="Namespace", name="app")]
    state = reader.read([CM, NS], declared=declared)
    assert state.failed_kinds == {CM}
    assert not state.known(cm_ref("a"))
    assert state.known(declared[1])
    [error] = state.errors
    assert error.code is ErrorCode.LIVE_STATE_UNKNOWN
    assert error.transient
    assert "ConfigMap" in error.message
    assert "timed out" in error.message
    gets = [label for _, label in verbs(cluster.requests, [FakeVerb.GET])]
    assert gets == ["Namespace app"]  # the Namespace was looked up, nothing of the failed kind


def test_a_failed_lookup_leaves_just_those_objects_unresolved(
    cluster: FakeCluster, reader: LiveReader
) -> None:
    mine = put(cluster, "mine", ours=True)
    missing = cm_ref("missing")
    cluster.fail_always(FakeVerb.GET, missing, ClusterError("connection reset"))
    state = reader.read([CM], declared=[mine, missing])
    assert state.unresolved == {missing}
    assert state.known(mine)
    assert not state.known(missing)
    assert [e.code for e in state.errors] == [ErrorCode.LIVE_STATE_UNKNOWN]


def test_a_type_gone_since_discovery_refreshes_it_and_counts_as_unknown(
    cluster: FakeCluster, reader: LiveReader
) -> None:
    cluster.fail_always(FakeVerb.LIST, NAMESPACE, NotFoundError("404 page not found", status=404))
    state = reader.read([NS])
    assert state.unknown_kinds == {NS}
    assert state.errors == ()
    assert len(verbs(cluster.requests, [FakeVerb.LIST])) == 2  # once, then after the refresh
