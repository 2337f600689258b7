"""Stopping many parts tells them all first, then waits for them against one shared deadline."""

from __future__ import annotations

from dataclasses import dataclass, field

from syncd.reconcile.shutdown import Deadline, stop_all


@dataclass
class FakeClock:
    now: float = 100.0

    def monotonic(self) -> float:
        return self.now


@dataclass
class FakePart:
    """A part that is stuck (uses up every timeout it is given) or stops at once."""

    name: str
    clock: FakeClock
    log: list[str]
    stuck: bool = False
    timeouts: list[float] = field(default_factory=list)

    def request_stop(self) -> None:
        self.log.append(f"stop {self.name}")

    def join(self, timeout: float) -> bool:
        self.log.append(f"join {self.name}")
        self.timeouts.append(timeout)
        if self.stuck:
            self.clock.now += timeout
        return not self.stuck


def test_every_part_is_told_to_stop_before_any_is_waited_for() -> None:
    clock, log = FakeClock(), []
    parts = [FakePart(name, clock, log) for name in ("a", "b", "c")]
    left = stop_all(parts, deadline=Deadline.after(30, monotonic=clock.monotonic))
    assert left == []
    assert log == ["stop a", "stop b", "stop c", "join a", "join b", "join c"]


def test_stuck_parts_share_one_deadline_instead_of_one_each() -> None:
    clock, log = FakeClock(), []
    parts = [FakePart(name, clock, log, stuck=name != "b") for name in ("a", "b", "c", "d")]
    started = clock.now
    left = stop_all(parts, deadline=Deadline.after(30, monotonic=clock.monotonic))
    assert [part.name for part in left] == ["a", "c", "d"]
    # The first stuck part uses the whole budget; the others are only asked.
    assert [part.timeouts for part in parts] == [[30.0], [0.0], [0.0], [0.0]]
    assert clock.now - started == 30.0


def test_a_deadline_counts_down_and_never_goes_negative() -> None:
    clock = FakeClock()
    deadline = Deadline.after(5, monotonic=clock.monotonic)
    assert deadline.remaining() == 5.0
    clock.now += 2
    assert deadline.remaining() == 3.0
    clock.now += 10
    assert deadline.remaining() == 0.0
