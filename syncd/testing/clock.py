"""`FakeClock`: a `syncd.core.ports.Clock` that moves only when a test says so."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Final

EPOCH: Final = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class FakeClock:
    """Wall time and monotonic seconds that stand still until `advance()`.

    Both start where the test puts them (`now` must be timezone-aware) and
    move together: `advance(s)` adds `s` seconds to each. Thread-safe.
    """

    def __init__(self, *, now: dt.datetime = EPOCH, monotonic: float = 0.0) -> None:
        """Start at `now` (UTC-aware) and `monotonic` seconds."""
        if now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware datetime")
        self._lock = threading.Lock()
        self._now = now.astimezone(dt.UTC)
        self._monotonic = monotonic

    def now(self) -> dt.datetime:
        """The current fake UTC time."""
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """The current fake monotonic seconds."""
        with self._lock:
            return self._monotonic

    def advance(self, seconds: float) -> None:
        """Move both clocks forward by `seconds` (never backwards)."""
        if seconds < 0:
            raise ValueError("a clock never goes backwards")
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            self._monotonic += seconds
