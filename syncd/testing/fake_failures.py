"""Failure injection for FakeCluster: which verb fails, on what, how often.

A failure names a verb (`FakeVerb`), optionally a target (an ObjectRef for
one object, a ResourceType for every object and LIST/WATCH of that type),
the exception to raise, and how many times (or until cleared).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from syncd.core.ports import ResourceType
from syncd.core.refs import ObjectRef

Target = ObjectRef | ResourceType | None


class FakeVerb(StrEnum):
    """The verbs FakeCluster records in `requests` and matches in failure injection."""

    APPLY = "apply"
    DRY_RUN_APPLY = "dry_run_apply"
    GET = "get"
    LIST = "list"
    DELETE = "delete"
    MERGE_PATCH = "merge_patch"
    REPLACE_STATUS = "replace_status"
    CREATE = "create"
    WATCH = "watch"


@dataclass(kw_only=True)
class _Failure:
    verb: str
    target: Target
    error: Exception
    remaining: int | None


class Failures:
    """Injected failures, checked in the order they were added (not thread-safe alone)."""

    def __init__(self) -> None:
        self._pending: list[_Failure] = []

    def add(self, verb: str, target: Target, error: Exception, *, times: int | None) -> None:
        """Fail `times` calls (None: every call until `clear()`)."""
        self._pending.append(_Failure(verb=verb, target=target, error=error, remaining=times))

    def clear(self) -> None:
        """Forget every failure."""
        self._pending.clear()

    def raise_if_due(self, verb: FakeVerb, subject: ObjectRef | ResourceType) -> None:
        """Raise the first failure matching this call, counting it down."""
        for failure in self._pending:
            if failure.verb == verb and _covers(failure.target, subject):
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._pending.remove(failure)
                raise failure.error


def _covers(target: Target, subject: ObjectRef | ResourceType) -> bool:
    if target is None:
        return True
    if isinstance(target, ObjectRef):
        return isinstance(subject, ObjectRef) and subject == target
    return (subject.group, subject.kind) == (target.group, target.kind)
