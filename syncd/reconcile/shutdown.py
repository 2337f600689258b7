"""Stopping many things at once against one deadline.

A clean shutdown tells every part (each sync's worker, the request threads)
to stop first, and only then waits for them, all against one shared
deadline: N stuck parts cost the deadline once, not N times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    """A point on a monotonic clock that several waits share."""

    at: float
    monotonic: Callable[[], float]

    @classmethod
    def after(cls, seconds: float, *, monotonic: Callable[[], float]) -> Deadline:
        """The deadline `seconds` from now on `monotonic`."""
        return cls(at=monotonic() + seconds, monotonic=monotonic)

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(self.at - self.monotonic(), 0.0)


class Stoppable(Protocol):
    """Something that stops in two steps: told first, waited for later."""

    def request_stop(self) -> None:
        """Begin stopping; never blocks."""
        ...

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds; True once it has stopped."""
        ...


S = TypeVar("S", bound=Stoppable)


def stop_all(parts: Sequence[S], *, deadline: Deadline) -> list[S]:
    """Tell every part to stop, then wait for them against `deadline`.

    Returns the parts still running when the deadline passed. Each part is
    joined with the time left; once it is spent the rest are only asked
    whether they have stopped (a zero timeout).
    """
    for part in parts:
        part.request_stop()
    return [part for part in parts if not part.join(deadline.remaining())]
