"""The plan: what one sync run will do to each object, and why.

Built by `syncd.plan.build_plan`, read by the applier, the pruner, the
inventory writer, the status reporter and `syncd diff`. Action values appear
in logs, Events and status, so they are API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from syncd.core.errors import SyncdError
from syncd.core.manifest import Manifest
from syncd.core.ownership import FieldRelease
from syncd.core.refs import ObjectRef


class Action(StrEnum):
    """What happens to one object."""

    APPLY = "apply"  # server-side apply the declared body
    UNCHANGED = "unchanged"  # declared and live agree: no request at all
    PRUNE = "prune"  # delete: removed from the source
    CONFLICT = "conflict"  # another sync manages it (SD1060): never touched
    RELEASE = "release"  # `syncd.dev/managed: disabled`: remove syncd's metadata, keep it
    SKIP_MUTATION = "skip-mutation"  # `mutation: ignore` and it exists: never updated
    DETACH = "detach"  # removed from the source with `deletion: detach`: keep, un-manage
    HOLD = "hold"  # declared, but left alone this run: live state unknown, or terminating


# Actions whose objects stay managed (in the inventory) after this run.
MANAGED_ACTIONS = frozenset({Action.APPLY, Action.UNCHANGED, Action.SKIP_MUTATION})


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneGuard:
    """Limits on deletions per commit (spec.override.prune); None means no limit.

    Independently of these limits a commit that would delete every object
    the sync still manages is refused, unless `max_delete_percent` is 100.
    """

    max_deletes: int | None = None
    max_delete_percent: int | None = None

    def __post_init__(self) -> None:
        """Reject negative limits and percentages above 100."""
        if self.max_deletes is not None and self.max_deletes < 0:
            raise ValueError("max_deletes must not be negative")
        if self.max_delete_percent is not None and not 0 <= self.max_delete_percent <= 100:
            raise ValueError("max_delete_percent must be between 0 and 100")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedObject:
    """One object's action.

    `manifest` is the body to apply (decorated with syncd's metadata) for
    APPLY and UNCHANGED, the declared manifest for CONFLICT, RELEASE and
    SKIP_MUTATION, and None for PRUNE and DETACH. `live` is the cluster's
    copy when there is one.
    """

    ref: ObjectRef
    action: Action
    manifest: Manifest | None
    live: Mapping[str, Any] | None
    reason: str
    drift: bool = False
    """Whether someone outside syncd changed, deleted or re-created this managed object."""
    release: FieldRelease | None = None
    """managedFields edits around the apply: ignore-fields, legacy managers (APPLY only)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Every action of one run, the errors found while planning, and the inventory to keep.

    `kept` lists inventory objects that are no longer (validly) declared but
    must stay in the inventory untouched: pruning was refused or not
    allowed, or the object's declaration was rejected by validation.
    """

    objects: tuple[PlannedObject, ...]
    errors: tuple[SyncdError, ...] = ()
    prune_refused: bool = False
    kept: frozenset[ObjectRef] = field(default_factory=frozenset)

    def with_action(self, action: Action) -> tuple[PlannedObject, ...]:
        """The objects planned for `action`, in plan order."""
        return tuple(obj for obj in self.objects if obj.action is action)

    @property
    def to_apply(self) -> tuple[PlannedObject, ...]:
        """Objects to server-side apply."""
        return self.with_action(Action.APPLY)

    @property
    def to_prune(self) -> tuple[PlannedObject, ...]:
        """Objects to delete."""
        return self.with_action(Action.PRUNE)

    @property
    def unchanged(self) -> tuple[PlannedObject, ...]:
        """Objects that need no request."""
        return self.with_action(Action.UNCHANGED)

    @property
    def counts(self) -> Mapping[Action, int]:
        """How many objects each action has (every action present, zero included)."""
        counter = Counter(obj.action for obj in self.objects)
        return {action: counter.get(action, 0) for action in Action}

    @property
    def conflicts(self) -> frozenset[ObjectRef]:
        """Declared objects another sync manages: this sync's claims on them."""
        return frozenset(obj.ref for obj in self.with_action(Action.CONFLICT))

    @property
    def managed(self) -> frozenset[ObjectRef]:
        """Objects this sync manages after the run (the inventory's new entries)."""
        return frozenset(obj.ref for obj in self.objects if obj.action in MANAGED_ACTIONS)
