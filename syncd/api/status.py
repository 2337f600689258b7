"""The status of RootSync and RepoSync: what happened to the last commit, per stage.

Owns the `source`, `rendering` and `sync` blocks (commit, time, errors with
their codes and objects, error summary, object counts), kstatus conditions,
and the one-line `summary` that `kubectl get` prints. The string values here
(`SyncState`, `ConditionType`, `ConditionStatus`) are API.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from syncd.api.wire import Timestamp, WireModel, empty_list
from syncd.core.errors import ResourceRef, SyncdError
from syncd.core.refs import ObjectRef

ERROR_CODE_PATTERN = r"^SD[12][0-9]{3}$"

Count = Annotated[int, Field(ge=0)]


class SyncState(StrEnum):
    """The one-word state in the Status column of `kubectl get`."""

    SYNCED = "Synced"
    SYNCING = "Syncing"
    ERROR = "Error"
    STALLED = "Stalled"
    SUSPENDED = "Suspended"


class ConditionType(StrEnum):
    """Condition types syncd writes (kstatus abnormal-true plus Ready)."""

    RECONCILING = "Reconciling"
    STALLED = "Stalled"
    SYNCING = "Syncing"
    READY = "Ready"


class ConditionReason(StrEnum):
    """Reasons syncd writes on its conditions (API: tools match on them)."""

    SYNCED = "Synced"
    """Every declared object is applied and ready."""
    SYNCING = "Syncing"
    """A run is applying the commit, or applied objects are not ready yet."""
    RETRYING = "Retrying"
    """Every error may go away on a retry (network, API server, readiness); syncd retries."""
    SYNC_ERRORS = "SyncErrors"
    """An error a retry cannot fix: the source, the spec or the cluster must change."""
    SUSPENDED = "Suspended"
    """`spec.suspend` is true."""
    INVALID_SPEC = "InvalidSpec"
    """The sync object's spec is invalid."""
    DELETING_OBJECTS = "DeletingObjects"
    """The sync is being deleted and its objects could not all be deleted yet."""


class ConditionStatus(StrEnum):
    """A condition's status."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class ErrorResource(WireModel):
    """An object an error is about, with the file that declared it."""

    source_path: str | None = None
    """Path of the file in the source that declared the object."""
    group: str = ""
    """API group; empty for the core group."""
    kind: str
    """Kind of the object."""
    namespace: str = ""
    """Namespace; empty for cluster-scoped objects."""
    name: str
    """Name of the object."""

    @classmethod
    def from_resource_ref(cls, resource: ResourceRef) -> ErrorResource:
        """The wire form of an error's resource."""
        ref = resource.ref
        return cls(
            source_path=resource.source_path or None,
            group=ref.group,
            kind=ref.kind,
            namespace=ref.namespace,
            name=ref.name,
        )

    def to_object_ref(self) -> ObjectRef:
        """The identity of the object (without a version)."""
        return ObjectRef(group=self.group, kind=self.kind, namespace=self.namespace, name=self.name)


class StatusError(WireModel):
    """One reported error."""

    code: Annotated[str, Field(pattern=ERROR_CODE_PATTERN)]
    """Stable error code, SD followed by four digits; `syncd errors CODE` explains it."""
    message: str
    """What went wrong (never contains credentials)."""
    resources: list[ErrorResource] = empty_list()
    """Objects the error is about."""

    @classmethod
    def from_error(cls, error: SyncdError) -> StatusError:
        """The wire form of a syncd error."""
        return cls(
            code=error.code.value,
            message=error.message,
            resources=[ErrorResource.from_resource_ref(r) for r in error.resources],
        )


class ErrorSummary(WireModel):
    """How many errors there were, since the list may be cut short."""

    total_count: Count = 0
    """Number of errors, including those not listed."""
    truncated: bool = False
    """Whether the errors list was cut short to bound the object's size."""


class StageStatus(WireModel):
    """What one stage did with a commit."""

    commit: str | None = None
    """The commit (or digest) the stage worked on."""
    last_update: Timestamp | None = None
    """When this block was last written (RFC 3339)."""
    errors: list[StatusError] = empty_list()
    """The stage's errors (possibly truncated, see errorSummary)."""
    error_summary: ErrorSummary | None = None
    """Total error count and whether the list was truncated."""


class SourceStatus(StageStatus):
    """The fetch stage."""


class RenderingStatus(StageStatus):
    """The render stage."""

    message: str | None = None
    """What rendering did, e.g. `Rendering not required`."""


class SyncStatus(StageStatus):
    """The apply and prune stages."""

    applied: Count = 0
    """Objects applied because they changed."""
    unchanged: Count = 0
    """Objects skipped because they were unchanged."""
    pruned: Count = 0
    """Objects deleted because they left the source."""
    failed: Count = 0
    """Objects that could not be applied or pruned."""
    total: Count = 0
    """Objects declared by the commit."""


class Condition(WireModel):
    """A kstatus-style condition."""

    type: Annotated[str, Field(min_length=1)]
    """Condition type: Reconciling, Stalled, Syncing or Ready."""
    status: ConditionStatus
    """True, False or Unknown."""
    reason: str | None = None
    """One CamelCase word saying why."""
    message: str | None = None
    """Human-readable details."""
    last_transition_time: Timestamp | None = None
    """When status last changed (RFC 3339)."""
    observed_generation: int | None = None
    """The metadata.generation this condition describes."""


class Summary(WireModel):
    """The one-line state `kubectl get` prints."""

    state: SyncState | None = None
    """Synced, Syncing, Error, Stalled or Suspended."""
    error_count: Count = 0
    """Errors across all stages."""
    short_commit: str | None = None
    """The first characters of the last synced commit."""


class SyncObjectStatus(WireModel):
    """The observed state of a RootSync or RepoSync."""

    observed_generation: int | None = None
    """The metadata.generation the controller last acted on."""
    last_synced_commit: str | None = None
    """The last commit that was applied completely."""
    source: SourceStatus | None = None
    """The fetch stage."""
    rendering: RenderingStatus | None = None
    """The render stage."""
    sync: SyncStatus | None = None
    """The apply and prune stages."""
    conditions: list[Condition] = Field(
        default_factory=list,
        json_schema_extra={
            "default": [],
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        },
    )
    """kstatus conditions: Reconciling, Stalled, Syncing, Ready."""
    summary: Summary | None = None
    """The state, error count and commit printed by `kubectl get`."""

    def condition(self, cond_type: ConditionType | str) -> Condition | None:
        """The condition of `cond_type`, if present."""
        return next((c for c in self.conditions if c.type == cond_type), None)
