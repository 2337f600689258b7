"""The kstatus conditions of a sync object, so kstatus-based tools read the sync right.

kstatus (shared/notes/kubernetes-facts.md §2) reads `Reconciling=True` as
InProgress, `Stalled=True` as Failed, and otherwise `Ready` (True: Current,
False: InProgress). Each state of a sync maps to one row:

| state                        | Reconciling | Stalled    | Syncing | Ready | kstatus    |
|------------------------------|-------------|------------|---------|-------|------------|
| Synced                       | False       | False      | False   | True  | Current    |
| Syncing (run, not ready yet) | True        | False      | True    | False | InProgress |
| Error, all errors transient  | True [1]    | False      | False   | False | InProgress |
| Error, any other error       | False       | True [2]   | False   | False | Failed     |
| Stalled (invalid spec, ...)  | False       | True [3]   | False   | False | Failed     |
| Suspended                    | False       | False      | False   | False | InProgress |

[1] reason `Retrying`: syncd retries. [2] reason `SyncErrors`: a retry
cannot fix it. [3] reason `RunReport.stalled_reason`, e.g. `InvalidSpec`.

Messages name the first error that decides the row and how many others
there are; they never carry attempt counts or retry times, so the same
failure builds the same conditions on every poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from syncd.api.status import Condition, ConditionReason, ConditionStatus, ConditionType, SyncState
from syncd.core.errors import SyncdError

MAX_MESSAGE_CHARS: Final = 2048
CONDITION_ORDER: Final = (
    ConditionType.RECONCILING,
    ConditionType.STALLED,
    ConditionType.SYNCING,
    ConditionType.READY,
)

_T, _F = ConditionStatus.TRUE, ConditionStatus.FALSE
_Wanted = dict[ConditionType, tuple[ConditionStatus, str, str]]


def truncate(text: str) -> str:
    """`text` cut to MAX_MESSAGE_CHARS, saying so."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[: MAX_MESSAGE_CHARS - 14] + "... (truncated)"


def retryable(errors: Sequence[SyncdError]) -> bool:
    """Whether a retry may fix every error, with nobody changing anything."""
    return all(error.transient for error in errors)


def _describe(errors: Sequence[SyncdError]) -> str:
    if not errors:
        return ""
    more = len(errors) - 1
    return f"{errors[0]}" + (f" (and {more} more)" if more else "")


def _same(status: ConditionStatus, reason: str, message: str = "") -> _Wanted:
    """Every condition False with `reason`, and Ready as given; callers add the True ones."""
    return dict.fromkeys(CONDITION_ORDER, (_F, reason, "")) | {
        ConditionType.READY: (status, reason, message)
    }


def _wanted(
    state: SyncState, errors: Sequence[SyncdError], *, commit: str, stalled_reason: str
) -> _Wanted:
    if state is SyncState.SYNCED:
        return _same(_T, ConditionReason.SYNCED, f"Synced {commit}")
    if state is SyncState.SYNCING:
        syncing = f"Syncing {commit}" if commit else "Syncing"
        return _same(_F, ConditionReason.SYNCING, "Objects are not ready yet") | {
            ConditionType.RECONCILING: (_T, ConditionReason.SYNCING, syncing),
            ConditionType.SYNCING: (_T, ConditionReason.SYNCING, syncing),
        }
    if state is SyncState.SUSPENDED:
        return _same(_F, ConditionReason.SUSPENDED, "spec.suspend is true")
    if state is SyncState.STALLED:
        reason, message = stalled_reason, _describe(errors)
        return _same(_F, reason, message) | {ConditionType.STALLED: (_T, reason, message)}
    if retryable(errors):
        message = _describe(errors)
        return _same(_F, ConditionReason.RETRYING, message) | {
            ConditionType.RECONCILING: (_T, ConditionReason.RETRYING, f"syncd retries: {message}"),
        }
    # The first error a retry cannot fix is what someone has to act on.
    permanent = [e for e in errors if not e.transient]
    message = _describe(permanent + [e for e in errors if e.transient])
    return _same(_F, ConditionReason.SYNC_ERRORS, message) | {
        ConditionType.STALLED: (_T, ConditionReason.SYNC_ERRORS, message),
    }


def sync_conditions(
    state: SyncState,
    *,
    errors: Sequence[SyncdError],
    commit: str,
    stalled_reason: str,
    generation: int,
    previous: Sequence[Condition],
    now: str,
) -> list[Condition]:
    """The four conditions for `state`; a transition time moves only when its status does."""
    wanted = _wanted(state, errors, commit=commit, stalled_reason=stalled_reason)
    by_type = {c.type: c for c in previous}
    result = []
    for cond_type in CONDITION_ORDER:
        status, reason, message = wanted[cond_type]
        old = by_type.get(cond_type)
        kept = old is not None and old.status == status
        result.append(
            Condition(
                type=cond_type,
                status=status,
                reason=str(reason),
                message=truncate(message) or None,
                last_transition_time=old.last_transition_time if old and kept else now,
                observed_generation=generation,
            )
        )
    return result
