"""The on-disk cache of one source location: layout, locks, worktrees and their leases.

One directory per location and access (the login and TLS trust a source
presents; `cache_key` names it with a salted HMAC, so sources with other
credentials never share a store) under the cache root::

    <cache_dir>/salt                the key's salt (0600, created once)
    <cache_dir>/<key>/lock          flock'ed while the cache is read or written
    <cache_dir>/<key>/repo.git/     the source's own store (opaque here)
    <cache_dir>/<key>/worktrees/ID  materialized content, installed atomically
    <cache_dir>/<key>/leases/ID     shared-flock'ed while someone reads worktree ID

Worktrees are written to a staging directory and renamed into place, so one
that exists is complete. A reader takes a `Lease` on a worktree under the
cache lock and holds it until it is done, from any thread or process.
Pruning keeps the most recently used few (`worktrees/.recent` lists them,
most recent first) and every leased one: it evicts, under the cache lock,
only worktrees whose lease file it can lock exclusively without waiting, by
renaming them out of the way (`worktrees/.trash-ID-N`) before deleting, so a
reader never waits for eviction, never loses a tree it holds and never finds
a half-deleted one. Nothing here knows about Git.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from syncd.source.cache_key import Access, cache_key, cache_salt
from syncd.source.lease import Lease, exclusive

_STAGING_PREFIX: Final = ".staging-"
_TRASH_PREFIX: Final = ".trash-"
_RECENT_FILE: Final = ".recent"


def safe_relative(path: str) -> PurePosixPath:
    """`path` as a relative POSIX path that cannot leave its root.

    Raises ValueError for absolute paths, `..` components and `.git` components.
    """
    pure = PurePosixPath(path)
    parts = [part for part in pure.parts if part not in ("", ".")]
    if pure.is_absolute() or any(part in ("..", ".git") for part in parts):
        raise ValueError(f"unsafe path {path!r}")
    return PurePosixPath(*parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pruned:
    """What one `prune_worktrees` did."""

    removed: tuple[str, ...] = ()
    """Worktrees evicted (moved to the trash; `empty_trash` deletes them)."""
    held: tuple[str, ...] = ()
    """Worktrees past the kept few that were left in place because someone reads them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceCache:
    """The cache directory of one source location."""

    root: Path

    @classmethod
    def for_location(cls, cache_dir: Path, location: str, *, access: Access) -> SourceCache:
        """The cache of `location` read with `access` under `cache_dir`.

        Reads the cache root's salt, creating it (and `cache_dir`) on first
        use; the cache's own directory is created when it is first locked.
        """
        return cls(root=cache_dir / cache_key(cache_salt(cache_dir), location, access))

    @property
    def repo_path(self) -> Path:
        """Where the source keeps its own store (a bare Git repository for Git)."""
        return self.root / "repo.git"

    @property
    def worktrees_path(self) -> Path:
        """The directory holding one materialized tree per name."""
        return self.root / "worktrees"

    @property
    def leases_path(self) -> Path:
        """The directory holding one lease file per worktree that has been read."""
        return self.root / "leases"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive lock of this cache (across threads and processes)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "lock").open("a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def worktree(self, name: str) -> Path:
        """The path of worktree `name` (which may not exist)."""
        return self.worktrees_path / safe_relative(name).as_posix()

    def reuse_worktree(self, name: str) -> Path | None:
        """Worktree `name` if it is installed, marked as just used; else None.

        Call with the lock held.
        """
        path = self.worktree(name)
        if not path.is_dir():
            return None
        self._mark_used(name)
        return path

    def install_worktree(self, name: str, populate: Callable[[Path], None]) -> Path:
        """Build worktree `name` with `populate(staging_dir)` and move it into place.

        Call with the lock held. A failed `populate` leaves nothing behind.
        """
        final = self.worktree(name)
        staging = self.worktrees_path / f"{_STAGING_PREFIX}{final.name}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            populate(staging)
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._mark_used(name)
        return final

    def lease(self, name: str) -> Lease:
        """A reader's lease on installed worktree `name`: pruning skips it until released.

        Call with the lock held, right after `reuse_worktree` or `install_worktree`.
        """
        return Lease(self._lease_file(name))

    def prune_worktrees(self, *, keep: int) -> Pruned:
        """Evict all but the `keep` most recently used worktrees and the leased ones.

        Call with the lock held. Never waits for a reader: a worktree whose
        lease is held stays and is evicted by a later prune. Evicted trees
        move to the trash at once; `empty_trash` (no lock needed) deletes them.
        Staging directories a crashed install left behind are deleted too.
        """
        if not self.worktrees_path.is_dir():
            return Pruned()
        recent = self._recent()
        kept = set(recent[:keep])
        removed: list[str] = []
        held: list[str] = []
        for entry in sorted(self.worktrees_path.iterdir()):
            if entry.name.startswith(_STAGING_PREFIX):  # left by a crash: nobody installs now
                shutil.rmtree(entry, ignore_errors=True)
            if entry.name.startswith(".") or entry.name in kept:
                continue
            if self._evict(entry):
                removed.append(entry.name)
            else:
                held.append(entry.name)
        self._prune_lease_files()
        self._write_recent([name for name in recent if name in kept or name in held])
        return Pruned(removed=tuple(removed), held=tuple(held))

    def empty_trash(self) -> None:
        """Delete the trees earlier prunes evicted (safe without the lock, and concurrently)."""
        if not self.worktrees_path.is_dir():
            return
        for entry in self.worktrees_path.iterdir():
            if entry.name.startswith(_TRASH_PREFIX):
                shutil.rmtree(entry, ignore_errors=True)

    def _lease_file(self, name: str) -> Path:
        return self.leases_path / safe_relative(name).as_posix()

    def _evict(self, entry: Path) -> bool:
        """Move `entry` to the trash unless a reader holds it; say whether it went."""
        lease_file = self._lease_file(entry.name)
        with exclusive(lease_file) as free:
            if not free:
                return False
            if entry.is_dir() and not entry.is_symlink():
                entry.rename(self._free_trash_path(entry.name))
            else:
                entry.unlink(missing_ok=True)
            # New leases are only taken under the cache lock, which we hold:
            # nobody can be waiting on this file.
            lease_file.unlink(missing_ok=True)
        return True

    def _free_trash_path(self, name: str) -> Path:
        """A trash path no tree occupies (only evictors, under the lock, create trash)."""
        number = 0
        while (path := self.worktrees_path / f"{_TRASH_PREFIX}{name}-{number}").exists():
            number += 1
        return path

    def _prune_lease_files(self) -> None:
        """Remove lease files whose worktree is gone and which nobody holds."""
        if not self.leases_path.is_dir():
            return
        for lease_file in self.leases_path.iterdir():
            if self.worktree(lease_file.name).exists():
                continue
            with exclusive(lease_file) as free:
                if free:
                    lease_file.unlink(missing_ok=True)

    # The use order lives in a small file rather than in mtimes, whose
    # granularity varies between filesystems.
    def _recent(self) -> list[str]:
        try:
            text = (self.worktrees_path / _RECENT_FILE).read_text()
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line]

    def _mark_used(self, name: str) -> None:
        self._write_recent([name, *(other for other in self._recent() if other != name)])

    def _write_recent(self, names: list[str]) -> None:
        self.worktrees_path.mkdir(parents=True, exist_ok=True)
        staging = self.worktrees_path / f"{_RECENT_FILE}.new"
        staging.write_text("".join(f"{name}\n" for name in names))
        staging.replace(self.worktrees_path / _RECENT_FILE)
