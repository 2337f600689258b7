"""The real clock (the composition root injects it; tests inject their own)."""

from __future__ import annotations

import datetime as dt
import time


class SystemClock:
    """Wall time in UTC and the monotonic clock."""

    def now(self) -> dt.datetime:
        """The current UTC time."""
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        """Seconds on the monotonic clock."""
        return time.monotonic()
