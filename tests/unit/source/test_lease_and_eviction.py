"""The cache's own rules: a lease blocks eviction without blocking the evictor.

`Lease` and `exclusive` on plain files, and `SourceCache.prune_worktrees` on
hand-made worktrees (no Git): what is held stays, what is not goes to the
trash at once and is deleted later, and crash leftovers are cleaned up.
"""

from __future__ import annotations

import gc
from pathlib import Path

from syncd.source.cache import SourceCache
from syncd.source.cache_key import ANONYMOUS
from syncd.source.lease import Lease, exclusive

KEPT = 3


def populate(dest: Path) -> None:
    (dest / "x.yaml").write_text("x")


# -- the lease itself ----------------------------------------------------------


def test_a_held_lease_refuses_the_exclusive_lock_until_released(tmp_path: Path) -> None:
    path = tmp_path / "leases" / "abc"
    first, second = Lease(path), Lease(path)

    with exclusive(path) as free:
        assert not free
    first.release()
    with exclusive(path) as free:
        assert not free
    second.release()
    with exclusive(path) as free:
        assert free
    assert not first.held
    assert not second.held


def test_releasing_a_lease_twice_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "lease"
    lease, other = Lease(path), Lease(path)

    lease.release()
    lease.release()

    with exclusive(path) as free:
        assert not free  # the second release did not drop the other holder's lock
    other.release()


def test_a_lease_nobody_released_is_released_when_collected(tmp_path: Path) -> None:
    path = tmp_path / "lease"
    lease = Lease(path)
    with exclusive(path) as free:
        assert not free

    del lease
    gc.collect()

    with exclusive(path) as free:
        assert free


def test_an_exclusive_lock_blocks_no_one_and_is_dropped_after_the_block(tmp_path: Path) -> None:
    path = tmp_path / "lease"
    with exclusive(path) as free:
        assert free
    lease = Lease(path)  # would wait forever if the exclusive lock had stayed
    assert lease.held
    lease.release()


# -- the cache's eviction -------------------------------------------------------


def test_pruning_skips_a_leased_worktree_without_waiting_and_trashes_the_rest(
    tmp_path: Path,
) -> None:
    cache = SourceCache.for_location(tmp_path, "file:///r.git", access=ANONYMOUS)

    with cache.locked():
        for name in ("a", "b", "c"):
            cache.install_worktree(name, populate)
        lease = cache.lease("a")
        pruned = cache.prune_worktrees(keep=1)

    assert pruned.held == ("a",)
    assert pruned.removed == ("b",)
    assert not cache.worktree("b").exists()
    assert (cache.worktree("a") / "x.yaml").read_text() == "x"
    assert (cache.worktrees_path / ".trash-b-0" / "x.yaml").exists()
    cache.empty_trash()
    assert sorted(path.name for path in cache.worktrees_path.iterdir()) == [".recent", "a", "c"]
    lease.release()


def test_a_tree_evicted_again_before_the_trash_was_emptied_goes_beside_the_first(
    tmp_path: Path,
) -> None:
    cache = SourceCache.for_location(tmp_path, "file:///r.git", access=ANONYMOUS)

    with cache.locked():
        cache.install_worktree("old", populate)
        cache.install_worktree("new", populate)
        assert cache.prune_worktrees(keep=1).removed == ("old",)
        cache.install_worktree("old", populate)
        cache.reuse_worktree("new")
        assert cache.prune_worktrees(keep=1).removed == ("old",)

    trash = sorted(p.name for p in cache.worktrees_path.iterdir() if p.name.startswith(".trash"))
    assert trash == [".trash-old-0", ".trash-old-1"]
    cache.empty_trash()
    assert sorted(path.name for path in cache.worktrees_path.iterdir()) == [".recent", "new"]


def test_pruning_removes_a_staging_directory_a_crashed_install_left(tmp_path: Path) -> None:
    cache = SourceCache.for_location(tmp_path, "file:///r.git", access=ANONYMOUS)
    leftover = cache.worktrees_path / ".staging-abc"
    (leftover / "deploy").mkdir(parents=True)
    (leftover / "deploy" / "half.yaml").write_text("half")

    with cache.locked():
        cache.prune_worktrees(keep=KEPT)

    assert not leftover.exists()
