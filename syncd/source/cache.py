"""The on-disk cache of one source location: layout, lock and worktrees.

One directory per location (keyed by a hash of the location without
credentials) under the cache root::

    <cache_dir>/<key>/lock          flock'ed while the cache is read or written
    <cache_dir>/<key>/repo.git/     the source's own store (opaque here)
    <cache_dir>/<key>/worktrees/ID  materialized content, installed atomically

Worktrees are written to a staging directory and renamed into place, so one
that exists is complete; only the most recently used few are kept
(`worktrees/.recent` lists them, most recent first). Nothing
here knows about Git.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from syncd.source.redact import redact_url

_KEY_LENGTH: Final = 24
_STAGING_PREFIX: Final = ".staging-"
_RECENT_FILE: Final = ".recent"


def cache_key(location: str) -> str:
    """A stable directory name for `location` (hashed without its credentials)."""
    return hashlib.sha256(redact_url(location).encode()).hexdigest()[:_KEY_LENGTH]


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
class SourceCache:
    """The cache directory of one source location."""

    root: Path

    @classmethod
    def for_location(cls, cache_dir: Path, location: str) -> SourceCache:
        """The cache of `location` under `cache_dir` (nothing is created yet)."""
        return cls(root=cache_dir / cache_key(location))

    @property
    def repo_path(self) -> Path:
        """Where the source keeps its own store (a bare Git repository for Git)."""
        return self.root / "repo.git"

    @property
    def worktrees_path(self) -> Path:
        """The directory holding one materialized tree per name."""
        return self.root / "worktrees"

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

    def prune_worktrees(self, *, keep: int) -> tuple[str, ...]:
        """Remove all but the `keep` most recently used worktrees.

        Call with the lock held. Returns the names removed.
        """
        if not self.worktrees_path.is_dir():
            return ()
        kept = self._recent()[:keep]
        removed: list[str] = []
        for entry in sorted(self.worktrees_path.iterdir()):
            if entry.name.startswith(".") or entry.name in kept:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
        self._write_recent(kept)
        return tuple(removed)

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
