"""FakeSource keeps commits as snapshot directories; FakeClock moves only when told."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from syncd.core.errors import SourceFetchError
from syncd.core.ports import Clock, Source
from syncd.testing.clock import FakeClock
from syncd.testing.fake_source import FakeSource


def test_a_commit_keeps_earlier_files_and_none_deletes(tmp_path: Path) -> None:
    source: Source = FakeSource(tmp_path)
    assert isinstance(source, FakeSource)
    first = source.commit({"a.yaml": "a: 1\n", "dir/b.yaml": "b: 1\n"})
    second = source.commit({"a.yaml": None, "c.yaml": "c: 1\n"})
    assert source.resolve() == second
    old = source.fetch(first).directory
    new = source.fetch(second).directory
    assert sorted(p.relative_to(old).as_posix() for p in old.rglob("*.yaml")) == [
        "a.yaml",
        "dir/b.yaml",
    ]
    assert sorted(p.relative_to(new).as_posix() for p in new.rglob("*.yaml")) == [
        "c.yaml",
        "dir/b.yaml",
    ]
    assert source.fetch_count == 2


def test_snapshots_are_held_until_released_and_a_second_release_is_harmless(
    tmp_path: Path,
) -> None:
    source = FakeSource(tmp_path)
    first = source.commit({"a.yaml": "a: 1\n"})
    second = source.commit({"a.yaml": "a: 2\n"})

    one, two = source.fetch(first), source.fetch(first)
    with source.fetch(second):
        assert source.held == {first: 2, second: 1}
    one.release()
    one.release()

    assert source.held == {first: 1}
    two.release()
    assert source.held == {}


def test_a_with_block_left_by_an_exception_releases_the_snapshot(tmp_path: Path) -> None:
    source = FakeSource(tmp_path)
    sha = source.commit({"a.yaml": "a: 1\n"})

    with pytest.raises(RuntimeError, match="boom"), source.fetch(sha):
        raise RuntimeError("boom")

    assert source.held == {}


def test_shas_are_deterministic_and_distinct(tmp_path: Path) -> None:
    one, two = FakeSource(tmp_path / "one"), FakeSource(tmp_path / "two")
    shas = [one.commit({"a.yaml": "x"}), one.commit({"a.yaml": "x"})]
    assert shas == [two.commit({"a.yaml": "x"}), two.commit({"a.yaml": "x"})]
    assert shas[0] != shas[1]
    assert all(len(sha) == 40 for sha in shas)


def test_injected_resolve_failures_happen_once_each(tmp_path: Path) -> None:
    source = FakeSource(tmp_path)
    with pytest.raises(SourceFetchError, match="no commit"):
        source.resolve()
    sha = source.commit({"a.yaml": "x"})
    source.fail_next_resolve(SourceFetchError("unreachable"))
    with pytest.raises(SourceFetchError, match="unreachable"):
        source.resolve()
    assert source.resolve() == sha
    with pytest.raises(SourceFetchError):
        source.fetch("0" * 40)


def test_the_fake_clock_moves_only_when_advanced() -> None:
    start = dt.datetime(2025, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    clock: Clock = FakeClock(now=start, monotonic=10.0)
    assert isinstance(clock, FakeClock)
    assert (clock.now(), clock.monotonic()) == (start, 10.0)
    clock.advance(1.5)
    assert (clock.now(), clock.monotonic()) == (start + dt.timedelta(seconds=1.5), 11.5)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        FakeClock(now=dt.datetime(2025, 1, 1))  # noqa: DTZ001
