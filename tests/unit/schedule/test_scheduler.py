"""The poll scheduler calls each sync's trigger at its period and can be rescheduled."""

from __future__ import annotations

import datetime as dt
import threading

from syncd.core.sync import SyncId, SyncKind
from syncd.devenv.proc import wait_until
from syncd.schedule.scheduler import PollScheduler


def _sync(name: str) -> SyncId:
    return SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name=name)


def test_each_sync_is_triggered_repeatedly_at_its_period_until_unscheduled() -> None:
    scheduler = PollScheduler()
    counts = {"a": 0, "b": 0}
    lock = threading.Lock()

    def bump(name: str) -> None:
        with lock:
            counts[name] += 1

    scheduler.start()
    try:
        scheduler.schedule(_sync("a"), period=dt.timedelta(seconds=0.2), trigger=lambda: bump("a"))
        scheduler.schedule(_sync("b"), period=dt.timedelta(seconds=0.2), trigger=lambda: bump("b"))
        wait_until(lambda: counts["a"] >= 3 and counts["b"] >= 3, timeout=15, what="polls")
        scheduler.unschedule(_sync("a"))
        assert scheduler.period_of(_sync("a")) is None
        with lock:
            frozen = counts["a"]
        wait_until(lambda: counts["b"] >= frozen + 5, timeout=15, what="b keeps polling")
        assert counts["a"] <= frozen + 1  # at most one run already in flight
    finally:
        scheduler.shutdown()


def test_rescheduling_with_a_new_period_replaces_the_job() -> None:
    scheduler = PollScheduler()
    scheduler.start()
    try:
        scheduler.schedule(_sync("a"), period=dt.timedelta(hours=1), trigger=lambda: None)
        assert scheduler.period_of(_sync("a")) == 3600
        scheduler.schedule(_sync("a"), period=dt.timedelta(seconds=5), trigger=lambda: None)
        assert scheduler.period_of(_sync("a")) == 5
    finally:
        scheduler.shutdown()
