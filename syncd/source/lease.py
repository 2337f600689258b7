"""Reader leases on cached trees: shared flocks that eviction must not break.

A reader holds a `Lease` (a shared `flock` on one lease file) for as long as
it reads a tree; an evictor removes the tree only inside `exclusive`, which
takes the exclusive lock without blocking and says whether it got it. Locks
belong to open file descriptions, so they work the same between threads of
one process and between processes sharing a cache volume, and the kernel
drops a crashed process's locks. Nothing here knows what a tree is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Final

_OPEN_FLAGS: Final = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
_MODE: Final = 0o644


def _unlock_and_close(fd: int) -> None:
    # LOCK_UN first: a descriptor inherited by a forked child shares the lock,
    # and closing only this copy would leave the lock held.
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class Lease:
    """A shared lock on one lease file, held until `release()`.

    `release()` may be called any number of times, from any thread; a lease
    that is garbage-collected unreleased is released then.
    """

    __slots__ = ("__weakref__", "_finalizer", "path")

    def __init__(self, path: Path) -> None:
        """Take the shared lock on `path` (created when missing), waiting for an evictor."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, _OPEN_FLAGS, _MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        self.path = path
        self._finalizer = weakref.finalize(self, _unlock_and_close, fd)

    @property
    def held(self) -> bool:
        """Whether the lease has not been released yet."""
        return self._finalizer.alive

    def release(self) -> None:
        """Drop the lock (only the first call does anything)."""
        self._finalizer()


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[bool]:
    """Try to lock `path` exclusively without blocking; yield whether it worked.

    True means no `Lease` on `path` is held now, and none can be taken until
    the block ends. A missing lease file is created (and is then unheld).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, _OPEN_FLAGS, _MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        _unlock_and_close(fd)
