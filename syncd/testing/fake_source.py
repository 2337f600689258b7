"""`FakeSource`: a `syncd.core.ports.Source` whose commits are directories a test writes.

Each `commit()` starts from the previous commit's files, applies the given
changes (None deletes a file) and writes the result to a fresh snapshot
directory under `root`, named after a deterministic fake sha (the same
sequence of commits always yields the same shas). `resolve()` answers the
latest commit; `fetch()` hands out the snapshot and counts the calls, so
tests can check that an unchanged revision fetches nothing. Like a real
source, a snapshot is held until it is released: `held` says which commits
someone still holds, so tests can check that every snapshot is released.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path

from syncd.core.errors import SourceFetchError
from syncd.core.ports import SourceSnapshot


class FakeSource:
    """Commits kept as snapshot directories under `root`, newest last."""

    def __init__(self, root: Path) -> None:
        """Keep snapshots under `root` (created when missing); no commit yet."""
        self._root = root
        self._root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._files: dict[str, str] = {}
        self._snapshots: dict[str, Path] = {}
        self._latest = ""
        self._held: dict[str, int] = {}
        self._resolve_failures: list[SourceFetchError] = []
        self.fetch_count = 0
        self.resolve_count = 0

    @property
    def held(self) -> dict[str, int]:
        """Commit -> how many of its snapshots are not released yet (held commits only)."""
        with self._lock:
            return dict(self._held)

    @property
    def latest(self) -> str:
        """The newest commit's sha ("" before the first commit)."""
        with self._lock:
            return self._latest

    def commit(self, files: Mapping[str, str | None]) -> str:
        """Record a commit: previous files plus `files` (relative POSIX paths; None deletes)."""
        with self._lock:
            for path, text in files.items():
                if text is None:
                    self._files.pop(path, None)
                else:
                    self._files[path] = text
            payload = json.dumps(
                {"parent": self._latest, "files": self._files}, sort_keys=True
            ).encode()
            sha = hashlib.sha1(payload, usedforsecurity=False).hexdigest()
            directory = self._root / f"{len(self._snapshots):04d}-{sha[:12]}"
            directory.mkdir()
            for path, text in self._files.items():
                target = directory / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            self._snapshots[sha] = directory
            self._latest = sha
            return sha

    def fail_next_resolve(self, error: SourceFetchError) -> None:
        """Make the next `resolve()` raise `error` (queued: one failure per call)."""
        with self._lock:
            self._resolve_failures.append(error)

    def resolve(self) -> str:
        """The latest commit; SourceFetchError when injected or before any commit."""
        with self._lock:
            self.resolve_count += 1
            if self._resolve_failures:
                raise self._resolve_failures.pop(0)
            if not self._latest:
                raise SourceFetchError("the fake source has no commit yet")
            return self._latest

    def fetch(self, commit: str) -> SourceSnapshot:
        """The snapshot of `commit`, held until released; SourceFetchError for an unknown commit."""
        with self._lock:
            self.fetch_count += 1
            directory = self._snapshots.get(commit)
            if directory is None:
                raise SourceFetchError(f"the fake source has no commit {commit}")
            self._held[commit] = self._held.get(commit, 0) + 1
        released = threading.Event()

        def release() -> None:
            with self._lock:
                if released.is_set():
                    return
                released.set()
                remaining = self._held[commit] - 1
                if remaining:
                    self._held[commit] = remaining
                else:
                    del self._held[commit]

        return SourceSnapshot(commit=commit, directory=directory, release=release)
