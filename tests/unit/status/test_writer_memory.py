"""The status writer remembers its last write without managedFields, and never sends them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.core.ownership import without_managed_fields
from syncd.core.ports import JsonObject
from syncd.core.refs import ObjectRef
from syncd.status.writer import StatusWriter
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from tests.unit.kube import BUILTIN_TYPES, root_sync
from tests.unit.status.conftest import REF, synced_report

MANAGED = [{"manager": "syncd", "operation": "Update", "fieldsV1": {"f:status": {}}}]


class RecordingCluster(FakeCluster):
    """A FakeCluster that answers status writes with managedFields, and keeps every body sent."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(BUILTIN_TYPES, clock=clock)
        self.bodies: list[Mapping[str, Any]] = []

    def replace_status(self, ref: ObjectRef, obj: Mapping[str, Any]) -> JsonObject:
        self.bodies.append(obj)
        answer = super().replace_status(ref, obj)
        answer["metadata"]["managedFields"] = MANAGED
        return answer


def test_a_write_built_on_the_last_write_sends_no_managed_fields() -> None:
    clock = FakeClock()
    cluster = RecordingCluster(clock)
    cluster.apply(REF, root_sync(), field_manager="kubectl")
    writer = StatusWriter(cluster, clock=clock)
    stale = cluster.peek(REF)
    assert stale is not None
    writer.write(REF, synced_report("a" * 40), live=stale)
    # The watch still holds the copy the first write replaced: the writer builds on its own.
    _, written = writer.write(REF, synced_report("b" * 40), live=stale)
    assert written
    assert len(cluster.bodies) == 2
    assert "managedFields" not in cluster.bodies[1]["metadata"]
    assert cluster.bodies[1]["metadata"]["resourceVersion"]


def test_without_managed_fields_shares_everything_else() -> None:
    obj: dict[str, Any] = {
        "spec": {"a": 1},
        "metadata": {"name": "x", "resourceVersion": "7", "managedFields": MANAGED},
    }
    kept = without_managed_fields(obj)
    assert kept["metadata"] == {"name": "x", "resourceVersion": "7"}
    assert kept["spec"] is obj["spec"]
    assert obj["metadata"]["managedFields"] is MANAGED
    plain: dict[str, Any] = {"metadata": {"name": "x"}}
    assert without_managed_fields(plain) is plain
    assert without_managed_fields({"kind": "X"}) == {"kind": "X"}
