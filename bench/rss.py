"""Resident memory of a process and its descendants, sampled in the background (Linux /proc).

`tree_rss(pid)` sums VmRSS over the process and every descendant (renderer
children, if any). `RssSampler` samples that sum every `interval` seconds in
a daemon thread and keeps the largest; its peak is also never below the
kernel's own high-water mark of the root process (VmHWM), so a spike between
two samples in syncd itself is not missed. Elsewhere every figure is None.
"""

from __future__ import annotations

import threading
from pathlib import Path

PROC = Path("/proc")


def _status_kib(pid: int, field: str, proc: Path = PROC) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), or None."""
    try:
        text = (proc / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def children(pid: int, proc: Path = PROC) -> list[int]:
    """The direct children of `pid` (every thread's `children` list)."""
    found: list[int] = []
    try:
        tasks = list((proc / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(pid: int, proc: Path = PROC) -> list[int]:
    """`pid` and every process below it."""
    seen: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(children(current, proc))
    return seen


def tree_rss(pid: int, proc: Path = PROC) -> int | None:
    """Bytes resident in `pid` and its descendants now; None if `pid` is gone."""
    root = _status_kib(pid, "VmRSS", proc)
    if root is None:
        return None
    total = root
    for child in descendants(pid, proc)[1:]:
        total += _status_kib(child, "VmRSS", proc) or 0
    return total * 1024


def high_water(pid: int, proc: Path = PROC) -> int | None:
    """The kernel's peak resident bytes of `pid` itself (VmHWM)."""
    kib = _status_kib(pid, "VmHWM", proc)
    return None if kib is None else kib * 1024


class RssSampler:
    """Samples `tree_rss(pid)` every `interval` seconds until stopped; keeps the peak."""

    def __init__(self, pid: int, *, interval: float = 0.2) -> None:
        """Nothing is sampled until `start`."""
        self._pid = pid
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._peak: int | None = None
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> RssSampler:
        """Start sampling."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (the last sample is kept)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def now(self) -> int | None:
        """The tree's resident bytes at this moment (also taken as a sample)."""
        value = tree_rss(self._pid)
        self._keep(value)
        return value

    @property
    def peak(self) -> int | None:
        """The largest sample, and never below the root's own high-water mark."""
        hwm = high_water(self._pid)
        with self._lock:
            candidates = [v for v in (self._peak, hwm) if v is not None]
        return max(candidates) if candidates else None

    def _keep(self, value: int | None) -> None:
        if value is None:
            return
        with self._lock:
            self._peak = value if self._peak is None else max(self._peak, value)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._keep(tree_rss(self._pid))
            self._stop.wait(self._interval)
