"""Reads and writes one sync's ResourceGroup.

The ResourceGroup has the sync's name and namespace, lists every managed
object (group, kind, namespace, name) and is the ApplySet parent: it carries
the `applyset.kubernetes.io/id` label and the tooling, contains-group-kinds
and additional-namespaces annotations; members carry the part-of label (the
planner adds it). It also names its sync (`syncd.dev/manager`) and lists the
sync's *claims*: declared objects another sync still manages. Before a sync
deletes anything it reads every other sync's claims (`claims_elsewhere`, one
LIST) and hands claimed objects over instead. Writes are server-side applies
by field manager `syncd`, skipped when the record would not change, so a
steady sync writes nothing.

A RepoSync's inventory and claims never reach outside its namespace: entries
there (a ResourceGroup edited by hand) are ignored when read and dropped at
the next write (`syncd.tenancy.policy`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from syncd import __version__
from syncd.api.resourcegroup import (
    STATUS_FIELDS,
    InventoryEntry,
    ResourceGroup,
    ResourceStatus,
    parse_resource_group,
    read_object_statuses,
)
from syncd.api.wire import API_VERSION, wire_name
from syncd.core.errors import ClusterError
from syncd.core.inventory import InventorySet, applyset_id
from syncd.core.metadata import (
    APPLYSET_GROUP_KINDS_ANNOTATION,
    APPLYSET_ID_LABEL,
    APPLYSET_NAMESPACES_ANNOTATION,
    APPLYSET_TOOLING_ANNOTATION,
    FIELD_MANAGER,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    MANAGER_ANNOTATION,
)
from syncd.core.ownership import without_managed_fields
from syncd.core.ports import Clock, Cluster, JsonObject
from syncd.core.refs import ObjectRef
from syncd.core.sync import INVENTORY_KIND, SYNCD_GROUP, SYNCD_VERSION, SyncId
from syncd.logging import get_logger
from syncd.tenancy.policy import within_scope

log = get_logger("inventory.store")

TOOLING = f"syncd/{__version__}"
REREAD_SECONDS = 300.0
"""How long the inventory this store last read or wrote is trusted without a GET."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """What the ResourceGroup said when it was read."""

    refs: InventorySet
    exists: bool


def _refs_of(live: Mapping[str, Any]) -> frozenset[ObjectRef]:
    """The identities a live ResourceGroup lists.

    Read straight from the JSON (it can hold thousands of entries); a
    malformed one goes through the model, whose error names the bad field.
    """
    try:
        return frozenset(_entry_ref(entry) for entry in live["spec"]["resources"])
    except (KeyError, TypeError, AttributeError):
        return parse_resource_group(live).refs()


def _claims_of(live: Mapping[str, Any]) -> frozenset[ObjectRef]:
    """The claims a live ResourceGroup lists (none when it has no valid list)."""
    spec = live.get("spec")
    entries = spec.get("claims") if isinstance(spec, Mapping) else None
    if not isinstance(entries, list):
        return frozenset()
    return frozenset(
        _entry_ref(entry)
        for entry in entries
        if isinstance(entry, Mapping) and entry.get("kind") and entry.get("name")
    )


def _statuses_of(live: Mapping[str, Any]) -> dict[ObjectRef, ResourceStatus] | None:
    """The per-object statuses a live ResourceGroup holds, as `record_statuses` writes them.

    None when the status is missing, describes an older generation or is not in
    that form (an older syncd's, say): the next record writes it again.
    """
    status = live.get("status")
    if not isinstance(status, Mapping) or not isinstance(status.get("objects"), Mapping):
        return None
    generation = (live.get("metadata") or {}).get("generation")
    if status.get("observedGeneration") != generation:
        return None
    return read_object_statuses(status["objects"])


def _entry_ref(entry: Mapping[str, Any]) -> ObjectRef:
    """The identity one inventory or status entry names (KeyError without kind or name)."""
    return ObjectRef(
        group=str(entry.get("group", "")),
        kind=str(entry["kind"]),
        namespace=str(entry.get("namespace", "")),
        name=str(entry["name"]),
    )


def _names_sync(live: Mapping[str, Any], manager: str) -> bool:
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    return annotations.get(MANAGER_ANNOTATION) == manager


class InventoryStore:
    """The ResourceGroup of one sync."""

    def __init__(self, cluster: Cluster, *, sync: SyncId, clock: Clock | None = None) -> None:
        """Bind the store to a sync; nothing is read yet.

        With a `clock`, the inventory this store last read or wrote is reused for up to
        `REREAD_SECONDS` instead of being read again (this store is its only writer).
        """
        self._cluster = cluster
        self._clock = clock
        self._confirmed_at: float | None = None
        """When `_last_written` was last read or written (None: it must be read)."""
        self._sync = sync
        self._ref = ObjectRef(
            group=SYNCD_GROUP,
            version=SYNCD_VERSION,
            kind=INVENTORY_KIND,
            namespace=sync.namespace,
            name=sync.name,
        )
        self._last_written: tuple[frozenset[ObjectRef], frozenset[ObjectRef], str] | None = None
        self._last_statuses: Mapping[ObjectRef, ResourceStatus] | None = None
        self._live: JsonObject | None = None

    @property
    def ref(self) -> ObjectRef:
        """The ResourceGroup's identity."""
        return self._ref

    @property
    def applyset_id(self) -> str:
        """The ApplySet id members carry in `applyset.kubernetes.io/part-of`."""
        return applyset_id(
            self._sync.name, namespace=self._sync.namespace, kind=INVENTORY_KIND, group=SYNCD_GROUP
        )

    def load(self) -> Inventory:
        """The inventory: what this store last wrote or read, or the ResourceGroup (one GET).

        An absent ResourceGroup is an empty inventory.
        """
        if self._fresh() and self._last_written is not None:
            return Inventory(refs=InventorySet(self._last_written[0]), exists=True)
        live = self._cluster.get(self._ref)
        if live is None:
            self._forget()
            return Inventory(refs=InventorySet(), exists=False)
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        tooling = str(annotations.get(APPLYSET_TOOLING_ANNOTATION, ""))
        if tooling and tooling.rpartition("/")[0] != "syncd":
            raise ClusterError(
                f"ResourceGroup {self._sync.namespace}/{self._sync.name} is an ApplySet managed "
                f"by {tooling!r}, not syncd; delete it or rename the sync"
            )
        listed = _refs_of(live)
        inside, outside = within_scope(listed, sync=self._sync)
        if outside:
            # A tenant's ResourceGroup edited by hand: never list or prune those.
            log.warning(
                "inventory.outside_scope_ignored",
                sync=str(self._sync),
                objects=[ref.short for ref in sorted(outside)[:20]],
                count=len(outside),
            )
        refs = InventorySet.of(inside)
        claims, _ = within_scope(_claims_of(live), sync=self._sync)
        if self._last_statuses is None:
            self._last_statuses = _statuses_of(live)
        written = tooling if _names_sync(live, self._sync.manager) else ""
        self._last_written = (refs.refs, claims, written)
        self._live = without_managed_fields(live)
        self._confirm()
        return Inventory(refs=refs, exists=True)

    def record(self, refs: InventorySet, *, claims: frozenset[ObjectRef] = frozenset()) -> bool:
        """Apply the ResourceGroup listing exactly `refs` and `claims`; False when already so."""
        if self._last_written == (refs.refs, claims, TOOLING):
            return False
        try:
            self._live = without_managed_fields(
                self._cluster.apply(
                    self._ref, self._body(refs, claims), field_manager=FIELD_MANAGER, force=True
                )
            )
        except ClusterError:
            self._forget()  # whether it was written is unknown: read it next time
            raise
        self._last_written = (refs.refs, claims, TOOLING)
        self._last_statuses = None  # a new generation: its status is written again
        self._confirm()
        return True

    def _fresh(self) -> bool:
        """Whether what this store last read or wrote is recent enough to trust."""
        if self._clock is None or self._confirmed_at is None:
            return False
        return self._clock.monotonic() - self._confirmed_at < REREAD_SECONDS

    def _confirm(self) -> None:
        if self._clock is not None:
            self._confirmed_at = self._clock.monotonic()

    def _forget(self) -> None:
        self._confirmed_at = None
        self._last_written = None
        self._live = None

    def claims_elsewhere(self) -> dict[ObjectRef, str]:
        """Objects other syncs claim (declare while this one manages them) -> the claiming sync.

        One LIST of every other syncd ResourceGroup (the server leaves this sync's
        own, the largest, out). Raises ClusterError when it fails: the caller must
        not delete anything it cannot check.
        """
        rtype = self._cluster.resource_type(SYNCD_GROUP, INVENTORY_KIND)
        selector = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE},{APPLYSET_ID_LABEL}!={self.applyset_id}"
        listed = self._cluster.list(rtype, label_selector=selector)
        found: dict[ObjectRef, str] = {}
        for item in listed.items:
            claimant = str(
                ((item.get("metadata") or {}).get("annotations") or {}).get(MANAGER_ANNOTATION, "")
            )
            claimer = SyncId.parse(claimant)
            home = str((item.get("metadata") or {}).get("namespace") or "")
            # A ResourceGroup speaks only for a sync in its own namespace: one in a
            # tenant's namespace cannot claim objects for a RootSync.
            if claimer is None or claimer == self._sync or claimer.namespace != home:
                continue
            claims, _ = within_scope(_claims_of(item), sync=claimer)
            for ref in sorted(claims):
                found.setdefault(ref, claimant)
        return found

    def record_statuses(self, statuses: Mapping[ObjectRef, ResourceStatus]) -> bool:
        """Write per-object kstatus to the ResourceGroup's status; False when unchanged.

        Call it after `record`: the status names the generation that write produced.
        """
        if self._last_statuses == statuses:
            return False
        live = self._live or self._cluster.get(self._ref)
        if live is None:
            return False
        generation = live.get("metadata", {}).get("generation")
        grouped: dict[str, list[str]] = {wire_name(f): [] for f in STATUS_FIELDS.values()}
        for ref, st in sorted(statuses.items()):
            grouped[wire_name(STATUS_FIELDS[st])].append(ref.short)
        body: dict[str, Any] = dict(live)
        body["status"] = {
            "observedGeneration": generation,
            "resourceCount": len(statuses),
            "objects": grouped,
        }
        try:
            # A PUT of the copy this store last wrote or read, guarded by its
            # resourceVersion: the API server spends less on it than on a merge patch
            # of the status alone (it need not merge into thousands of entries).
            self._live = without_managed_fields(self._cluster.replace_status(self._ref, body))
        except ClusterError:
            self._forget()  # someone else wrote it, or the write is in doubt: read it again
            raise
        self._last_statuses = dict(statuses)
        return True

    def _body(self, refs: InventorySet, claims: frozenset[ObjectRef]) -> dict[str, Any]:
        group = ResourceGroup.model_validate(
            {
                "apiVersion": API_VERSION,
                "kind": INVENTORY_KIND,
                "metadata": {
                    "name": self._sync.name,
                    "namespace": self._sync.namespace,
                    "labels": {
                        APPLYSET_ID_LABEL: self.applyset_id,
                        MANAGED_BY_LABEL: MANAGED_BY_VALUE,
                    },
                    "annotations": {
                        MANAGER_ANNOTATION: self._sync.manager,
                        APPLYSET_TOOLING_ANNOTATION: TOOLING,
                        APPLYSET_GROUP_KINDS_ANNOTATION: refs.group_kinds(),
                        APPLYSET_NAMESPACES_ANNOTATION: refs.additional_namespaces(
                            parent_namespace=self._sync.namespace
                        ),
                    },
                },
                "spec": {
                    "resources": [InventoryEntry.from_ref(ref) for ref in refs],
                    "claims": [InventoryEntry.from_ref(ref) for ref in sorted(claims)],
                },
            }
        )
        body = group.to_object()
        body.pop("status", None)
        return body
