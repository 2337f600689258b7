"""Poll triggers for every sync, driven by apscheduler's background scheduler.

Each sync gets one interval job whose period is its source's `period`; the job
only enqueues a trigger (the worker coalesces them), so a slow sync never
piles up runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from syncd.core.sync import SyncId


class PollScheduler:
    """Owns one interval job per sync."""

    def __init__(self, *, timezone: dt.tzinfo = dt.UTC) -> None:
        """Create a stopped scheduler."""
        self._scheduler = BackgroundScheduler(timezone=timezone)
        self._periods: dict[SyncId, float] = {}

    def start(self) -> None:
        """Start the scheduler thread."""
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop the scheduler thread without waiting for running jobs."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def schedule(self, sync: SyncId, *, period: dt.timedelta, trigger: Callable[[], None]) -> None:
        """Call `trigger` every `period` for `sync`, replacing an existing job."""
        seconds = max(period.total_seconds(), 0.2)
        if self._periods.get(sync) == seconds:
            return
        self._periods[sync] = seconds
        self._scheduler.add_job(
            trigger,
            "interval",
            seconds=seconds,
            id=str(sync),
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    def unschedule(self, sync: SyncId) -> None:
        """Stop polling `sync`."""
        if self._periods.pop(sync, None) is not None and self._scheduler.get_job(str(sync)):
            self._scheduler.remove_job(str(sync))

    def period_of(self, sync: SyncId) -> float | None:
        """The scheduled period in seconds, or None when not scheduled."""
        return self._periods.get(sync)
