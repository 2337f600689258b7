"""From stage results to what the run reports: status, per-object status, drift.

Pure functions over the values the pipeline's stages returned; the pipeline
hands their results to the status writer, the inventory and Events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncd.api.resourcegroup import ResourceStatus
from syncd.apply.applier import ApplyResult
from syncd.apply.pruner import PruneResult
from syncd.core.drift import last_writer
from syncd.core.errors import SyncdError
from syncd.core.inventory import InventorySet
from syncd.core.kstatus import KStatus
from syncd.core.ordering import OrderResult
from syncd.core.plan import Plan
from syncd.core.ports import JsonObject
from syncd.core.refs import ObjectRef
from syncd.core.results import ValidationResult
from syncd.status.report import RunReport, StageReport, SyncCounts

RENDERING_NOT_REQUIRED = "Rendering not required: plain manifests"


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """The validated content of one commit, kept while the commit does not move."""

    commit: str
    validation: ValidationResult
    parse_errors: tuple[SyncdError, ...]
    order: OrderResult

    @property
    def source_errors(self) -> tuple[SyncdError, ...]:
        """Errors of the source's content: parsing, validation, depends-on."""
        return self.parse_errors + self.validation.errors + self.order.errors

    @property
    def complete(self) -> bool:
        """Whether every file parsed (otherwise nothing may be pruned)."""
        return not self.parse_errors


def progress_report(*, generation: int, commit: str, parsed: Parsed) -> RunReport:
    """The report written before applying: Syncing `commit`."""
    return RunReport(
        generation=generation,
        commit=commit,
        source=StageReport(commit=commit, errors=parsed.source_errors),
        rendering=StageReport(commit=commit),
        rendering_message=RENDERING_NOT_REQUIRED,
        in_progress=True,
    )


def run_report(
    *,
    generation: int,
    commit: str,
    parsed: Parsed,
    plan: Plan,
    applied: ApplyResult,
    pruned: PruneResult,
    extra_errors: tuple[SyncdError, ...],
) -> RunReport:
    """The report of a run that got as far as applying and pruning."""
    source_errors = parsed.source_errors
    sync_errors = plan.errors + applied.errors + pruned.errors + extra_errors
    failed = len(applied.failed) + len(pruned.failed)
    return RunReport(
        generation=generation,
        commit=commit,
        source=StageReport(commit=commit, errors=source_errors),
        rendering=StageReport(commit=commit),
        rendering_message=RENDERING_NOT_REQUIRED,
        sync=StageReport(commit=commit, errors=sync_errors),
        counts=SyncCounts(
            applied=len(applied.applied),
            unchanged=len(plan.unchanged),
            pruned=len(pruned.pruned),
            failed=failed,
            total=len(parsed.validation.manifests),
        ),
        synced=not source_errors and not sync_errors and applied.all_ready,
        in_progress=not applied.all_ready,
    )


def object_statuses(
    plan: Plan, applied: ApplyResult, live: Mapping[ObjectRef, JsonObject]
) -> dict[ObjectRef, ResourceStatus]:
    """Kstatus of every object the sync manages after the run, for the ResourceGroup."""
    result: dict[ObjectRef, ResourceStatus] = {}
    for ref in plan.managed:
        status = applied.statuses.get(ref)
        if status is None:
            status = KStatus.CURRENT if ref in live else KStatus.UNKNOWN
        if ref in applied.failed:
            status = KStatus.FAILED
        result[ref] = ResourceStatus(status.value)
    return result


def drift_messages(plan: Plan, applied: ApplyResult, inventory: InventorySet) -> tuple[str, ...]:
    """Who changed or deleted which managed object, for the objects this run restored."""
    messages = []
    for obj in plan.to_apply:
        if obj.ref not in applied.applied:
            continue
        if obj.live is None and obj.ref in inventory:
            messages.append(f"{obj.ref} was deleted outside syncd; recreated")
        elif obj.live is not None and obj.reason.startswith("drifted"):
            writer = last_writer(obj.live) or "an unknown writer"
            messages.append(f"{obj.ref} {obj.reason} (last changed by {writer}); restored")
    return tuple(messages)
