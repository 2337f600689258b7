"""Status blocks and the ResourceGroup inventory: conversions from core values and defaults."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from syncd.api.models import parse_root_sync
from syncd.api.resourcegroup import (
    InventoryEntry,
    ResourceGroup,
    ResourceStatus,
    parse_resource_group,
)
from syncd.api.status import (
    ConditionType,
    ErrorResource,
    StatusError,
    SyncObjectStatus,
    SyncState,
)
from syncd.api.wire import format_timestamp
from syncd.core.errors import ResourceRef, SourceContentError, SyncSpecError
from syncd.core.refs import ObjectRef
from tests.unit.api.samples import (
    CANONICAL_RESOURCE_GROUP,
    CANONICAL_ROOT_SYNC,
)

# -- status helpers ---------------------------------------------------------------


def test_status_error_from_a_syncd_error_keeps_code_message_and_objects() -> None:
    ref = ObjectRef(group="apps", kind="Deployment", namespace="web", name="api", version="v1")
    error = SourceContentError("bad", resources=[ResourceRef(ref=ref, source_path="web/api.yaml")])
    entry = StatusError.from_error(error)
    assert entry.model_dump(mode="json", exclude_none=True) == {
        "code": "SD1006",
        "message": "bad",
        "resources": [
            {
                "sourcePath": "web/api.yaml",
                "group": "apps",
                "kind": "Deployment",
                "namespace": "web",
                "name": "api",
            }
        ],
    }
    assert entry.resources[0].to_object_ref() == ref


def test_error_resource_without_a_source_path_leaves_it_out() -> None:
    ref = ObjectRef(group="", kind="Namespace", name="apps", version="v1")
    entry = ErrorResource.from_resource_ref(ResourceRef(ref=ref))
    assert entry.model_dump(mode="json", exclude_none=True) == {
        "group": "",
        "kind": "Namespace",
        "namespace": "",
        "name": "apps",
    }


def test_condition_lookup_and_summary_state() -> None:
    status = parse_root_sync(CANONICAL_ROOT_SYNC).status
    assert isinstance(status, SyncObjectStatus)
    ready = status.condition(ConditionType.READY)
    assert ready is not None
    assert ready.status == "False"
    assert status.condition(ConditionType.STALLED) is None
    assert status.summary is not None
    assert status.summary.state is SyncState.ERROR


def test_format_timestamp_writes_utc_seconds_with_z() -> None:
    moment = dt.datetime(2024, 5, 1, 14, 0, 0, 123, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert format_timestamp(moment) == "2024-05-01T12:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(dt.datetime(2024, 5, 1))  # noqa: DTZ001 - the naive input under test


# -- ResourceGroup ------------------------------------------------------------------


def test_resource_group_entries_convert_to_and_from_object_refs() -> None:
    group = parse_resource_group(CANONICAL_RESOURCE_GROUP)
    assert group.refs() == {
        ObjectRef(group="", kind="Namespace", name="apps"),
        ObjectRef(group="apps", kind="Deployment", namespace="apps", name="web"),
    }
    ref = ObjectRef(group="apps", kind="Deployment", namespace="apps", name="web", version="v1")
    assert InventoryEntry.from_ref(ref).to_ref() == ref


def test_resource_group_status_lists_each_object_under_its_kstatus() -> None:
    status = parse_resource_group(CANONICAL_RESOURCE_GROUP).status
    assert status is not None
    assert status.objects.by_ref() == {
        ObjectRef(group="", kind="Namespace", name="apps"): ResourceStatus.CURRENT,
        ObjectRef(group="apps", kind="Deployment", namespace="apps", name="web"): (
            ResourceStatus.IN_PROGRESS
        ),
    }


def test_a_status_entry_that_names_no_object_is_skipped() -> None:
    obj = copy.deepcopy(CANONICAL_RESOURCE_GROUP)
    obj["status"]["objects"] = {"current": ["Namespace/apps", "nonsense", "a/b/c/d", "/x"]}
    status = parse_resource_group(obj).status
    assert status is not None
    assert status.objects.by_ref() == {
        ObjectRef(group="", kind="Namespace", name="apps"): ResourceStatus.CURRENT
    }
    assert status.objects.in_progress == []


def test_resource_group_without_spec_has_an_empty_inventory() -> None:
    group = ResourceGroup.from_object(
        {"apiVersion": "syncd.dev/v1beta1", "kind": "ResourceGroup", "metadata": {"name": "r"}}
    )
    assert group.spec.resources == []
    assert group.to_object()["spec"] == {"resources": [], "claims": []}


def test_invalid_resource_group_names_the_entry() -> None:
    obj = copy.deepcopy(CANONICAL_RESOURCE_GROUP)
    obj["spec"]["resources"][1]["kind"] = ""
    with pytest.raises(SyncSpecError) as caught:
        parse_resource_group(obj)
    assert caught.value.message == "spec.resources[1].kind: string should have at least 1 character"
