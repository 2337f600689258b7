"""From stage results to what the run reports: status, per-object status, drift.

Pure functions over the values the pipeline's stages returned; the pipeline
hands their results to the status writer, the inventory and Events.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from syncd.api.resourcegroup import ResourceStatus
from syncd.api.status import ConditionReason, SyncObjectStatus
from syncd.apply.applier import ApplyResult
from syncd.apply.pruner import PruneResult
from syncd.core.drift import last_writer
from syncd.core.errors import SyncdError, SyncSpecError
from syncd.core.kstatus import KStatus
from syncd.core.ordering import OrderResult
from syncd.core.plan import Plan
from syncd.core.refs import ObjectRef
from syncd.core.render import RENDERING_NOT_REQUIRED
from syncd.core.results import ValidationResult
from syncd.plan.changes import names_who
from syncd.reconcile.readiness import ReadinessReport
from syncd.reconcile.rejections import REJECTED
from syncd.status.report import RunReport, StageReport, SyncCounts


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    """The validated content of one commit, kept while the commit does not move."""

    commit: str
    validation: ValidationResult
    parse_errors: tuple[SyncdError, ...]
    order: OrderResult
    render_errors: tuple[SyncdError, ...] = ()
    """Renderer failures (SD1068): nothing of the commit is applied or pruned."""
    rendering_message: str = RENDERING_NOT_REQUIRED

    @property
    def source_errors(self) -> tuple[SyncdError, ...]:
        """Errors of the source's content: parsing, validation, depends-on."""
        return self.parse_errors + self.validation.errors + self.order.errors

    @property
    def complete(self) -> bool:
        """Whether every file parsed and rendered (otherwise nothing may be pruned)."""
        return not self.parse_errors and not self.render_errors


def progress_report(*, generation: int, commit: str, parsed: Parsed) -> RunReport:
    """The report written before applying: Syncing `commit`."""
    return RunReport(
        generation=generation,
        commit=commit,
        source=StageReport(commit=commit, errors=parsed.source_errors),
        rendering=StageReport(commit=commit),
        rendering_message=parsed.rendering_message,
        in_progress=True,
    )


def render_failed_report(*, generation: int, commit: str, parsed: Parsed) -> RunReport:
    """The report of a commit whose rendering failed: nothing was applied or pruned."""
    return RunReport(
        generation=generation,
        commit=commit,
        source=StageReport(commit=commit, errors=parsed.source_errors),
        rendering=StageReport(commit=commit, errors=parsed.render_errors),
        rendering_message=parsed.rendering_message,
    )


def run_report(
    *,
    generation: int,
    commit: str,
    parsed: Parsed,
    plan: Plan,
    applied: ApplyResult,
    pruned: PruneResult,
    readiness: ReadinessReport,
    extra_errors: tuple[SyncdError, ...],
) -> RunReport:
    """The report of a run that got as far as applying and pruning.

    Synced means no error anywhere and every managed object Current, whether
    this run applied it or not.
    """
    source_errors = parsed.source_errors
    sync_errors = extra_errors + plan.errors + applied.errors + pruned.errors + readiness.errors
    failed = len(applied.failed) + len(pruned.failed)
    return RunReport(
        generation=generation,
        commit=commit,
        source=StageReport(commit=commit, errors=source_errors),
        rendering=StageReport(commit=commit),
        rendering_message=parsed.rendering_message,
        sync=StageReport(commit=commit, errors=sync_errors),
        counts=SyncCounts(
            applied=len(applied.applied),
            unchanged=len(plan.unchanged),
            pruned=len(pruned.pruned),
            failed=failed,
            total=len(parsed.validation.manifests),
        ),
        synced=not source_errors and not sync_errors and readiness.all_current,
        in_progress=not readiness.all_current,
    )


def object_statuses(
    plan: Plan, applied: ApplyResult, readiness: ReadinessReport
) -> dict[ObjectRef, ResourceStatus]:
    """Kstatus of every object the sync manages after the run, for the ResourceGroup."""
    result: dict[ObjectRef, ResourceStatus] = {}
    rejected = {obj.ref for obj in plan.objects if obj.reason == REJECTED}
    for ref in plan.managed | plan.kept:
        found = readiness.statuses.get(ref)
        status = found.status if found is not None else KStatus.UNKNOWN
        if ref in applied.failed or ref in rejected:
            status = KStatus.FAILED
        result[ref] = ResourceStatus(status.value)
    return result


def drift_messages(plan: Plan, applied: ApplyResult) -> tuple[str, ...]:
    """Who changed, deleted or re-created which managed object, for the objects this run restored.

    Only objects the sync already managed count (`PlannedObject.drift`): a
    first apply or a new commit is not drift.
    """
    messages = []
    for obj in plan.to_apply:
        if obj.ref not in applied.applied or not obj.drift:
            continue
        if obj.live is None:
            messages.append(f"{obj.ref} was deleted outside syncd; re-created")
            continue
        if names_who(obj.reason):
            messages.append(f"{obj.ref} {obj.reason}; restored")
            continue
        writer = last_writer(obj.live) or "an unknown writer"
        messages.append(f"{obj.ref} {obj.reason} (last changed by {writer}); restored")
    return tuple(messages)


class SteadyCounts:
    """Keeps the counts of the last run that changed something for a commit (one per sync).

    status.sync counts describe what syncing the commit did. A later run that
    finds nothing new to do (nothing applied or pruned, no new failure) must
    not rewrite them, or status would change, and be written, on every poll.
    After a restart the counts stored on the sync's status are the last ones.
    """

    def __init__(self) -> None:
        """Nothing seen yet."""
        self._last: tuple[str, SyncCounts] | None = None

    def settle(self, report: RunReport, *, stored: SyncObjectStatus | None) -> RunReport:
        """`report` with the kept counts when this run changed nothing."""
        last = self._last
        sync = stored.sync if stored is not None else None
        if last is None and sync is not None and sync.commit == report.commit:
            last = (
                report.commit,
                SyncCounts(
                    applied=sync.applied,
                    unchanged=sync.unchanged,
                    pruned=sync.pruned,
                    failed=sync.failed,
                    total=sync.total,
                ),
            )
        counts = report.counts
        if last is not None and last[0] == report.commit:
            no_new_failure = counts.failed in (0, last[1].failed)
            if counts.applied == 0 and counts.pruned == 0 and no_new_failure:
                self._last = last
                return dataclasses.replace(report, counts=last[1])
        self._last = (report.commit, counts)
        return report


def stalled_report(generation: int, exc: SyncSpecError) -> RunReport:
    """The report of a run stopped by an invalid spec (SD1061): Stalled until someone edits it."""
    return RunReport(
        generation=generation,
        source=StageReport(errors=(exc,)),
        stalled_reason=ConditionReason.INVALID_SPEC,
    )
