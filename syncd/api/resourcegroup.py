"""The ResourceGroup: a sync's inventory of managed objects and the ApplySet parent.

A ResourceGroup has the same name and namespace as its sync. `spec.resources`
lists every object the sync manages (group, kind, namespace, name);
`spec.claims` lists objects the sync declares while another sync still
manages them; `status.objects` lists every managed object under its kstatus
(`current`, `inProgress`, ...), one `Kind[.group]/[namespace/]name` string each.
All lists are atomic lists that syncd alone writes, never repeating an entry. Its
CRD carries the `applyset.kubernetes.io/is-parent-type` label so kubectl
accepts it as an ApplySet parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from syncd.api.wire import KubeObject, WireModel
from syncd.core.refs import InvalidObjectRefError, ObjectRef

NonEmpty = Annotated[str, Field(min_length=1)]


def _identity_list() -> Any:
    # Atomic, not a map keyed by identity: syncd is the list's only writer and
    # never repeats an entry, and per-entry ownership would make the server
    # track thousands of managedFields entries on every inventory write (a
    # 2,000-object status PUT went from ~1.8 s to a fraction of that).
    return Field(
        default_factory=list,
        json_schema_extra={"default": [], "x-kubernetes-list-type": "atomic"},
    )


class ResourceStatus(StrEnum):
    """kstatus of a managed object, plus NotFound and Unknown from polling."""

    CURRENT = "Current"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    TERMINATING = "Terminating"
    NOT_FOUND = "NotFound"
    UNKNOWN = "Unknown"


class InventoryEntry(WireModel):
    """One managed object's identity."""

    group: str = ""
    """API group; empty for the core group."""
    kind: NonEmpty
    """Kind of the object."""
    namespace: str = ""
    """Namespace; empty for cluster-scoped objects."""
    name: NonEmpty
    """Name of the object."""

    @classmethod
    def from_ref(cls, ref: ObjectRef) -> InventoryEntry:
        """The inventory entry of an object."""
        return cls(group=ref.group, kind=ref.kind, namespace=ref.namespace, name=ref.name)

    def to_ref(self) -> ObjectRef:
        """The identity of the object (without a version)."""
        return ObjectRef(group=self.group, kind=self.kind, namespace=self.namespace, name=self.name)


STATUS_FIELDS: Mapping[ResourceStatus, str] = {
    ResourceStatus.CURRENT: "current",
    ResourceStatus.IN_PROGRESS: "in_progress",
    ResourceStatus.FAILED: "failed",
    ResourceStatus.TERMINATING: "terminating",
    ResourceStatus.NOT_FOUND: "not_found",
    ResourceStatus.UNKNOWN: "unknown",
}
"""The field of `ObjectStatuses` that lists the objects in each state (`wire_name` gives
its JSON key)."""


class ObjectStatuses(WireModel):
    """The managed objects grouped by kstatus, each as `Kind[.group]/[namespace/]name`.

    One string per object, not one map per object: the API server spends a
    third as much on a write of this form (it validates, converts and stores
    every entry of the whole object on each spec or status write).
    """

    current: list[str] = _identity_list()
    """Objects that are reconciled and ready."""
    in_progress: list[str] = _identity_list()
    """Objects still being reconciled (rolling out, not yet ready)."""
    failed: list[str] = _identity_list()
    """Objects whose reconciliation failed."""
    terminating: list[str] = _identity_list()
    """Objects being deleted."""
    not_found: list[str] = _identity_list()
    """Objects that should exist but do not."""
    unknown: list[str] = _identity_list()
    """Objects whose state could not be read."""

    def by_ref(self) -> dict[ObjectRef, ResourceStatus]:
        """Each listed object's status; an entry that names no object is skipped."""
        found: dict[ObjectRef, ResourceStatus] = {}
        for state, field_name in STATUS_FIELDS.items():
            for text in getattr(self, field_name):
                try:
                    found[ObjectRef.parse_short(text)] = state
                except InvalidObjectRefError:
                    continue
        return found


def read_object_statuses(objects: Any) -> dict[ObjectRef, ResourceStatus] | None:
    """The statuses a wire `status.objects` block lists; None when it is not in that form."""
    try:
        return ObjectStatuses.model_validate(objects).by_ref()
    except ValidationError:
        return None


class ResourceGroupSpec(WireModel):
    """The managed objects, and the objects the sync wants but another sync holds."""

    resources: list[InventoryEntry] = _identity_list()
    """Every object the sync manages."""
    claims: list[InventoryEntry] = _identity_list()
    """Objects the sync declares but another sync manages (SD1060). When that sync lets go
    of one, it hands it over (removes its metadata) instead of deleting it."""


class ResourceGroupStatus(WireModel):
    """The observed state of the managed objects."""

    observed_generation: int | None = None
    """The metadata.generation this status describes."""
    resource_count: Annotated[int, Field(ge=0)] | None = None
    """Number of managed objects (the Resources column)."""
    objects: ObjectStatuses = Field(
        default_factory=ObjectStatuses, json_schema_extra={"default": {}}
    )
    """Every managed object, under its kstatus."""


class ResourceGroup(KubeObject):
    """The inventory of one RootSync or RepoSync, and its ApplySet parent."""

    kind: Literal["ResourceGroup"] = "ResourceGroup"
    spec: ResourceGroupSpec = Field(
        default_factory=ResourceGroupSpec, json_schema_extra={"default": {}}
    )
    """The managed objects."""
    status: ResourceGroupStatus | None = None
    """Their observed state, written by syncd."""

    def refs(self) -> frozenset[ObjectRef]:
        """The identities of the managed objects."""
        return frozenset(entry.to_ref() for entry in self.spec.resources)


def parse_resource_group(obj: Mapping[str, Any]) -> ResourceGroup:
    """A validated ResourceGroup; raises SyncSpecError (SD1061) naming each bad field."""
    return ResourceGroup.from_object(obj)
