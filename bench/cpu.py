"""CPU accounting around a timed phase, to tell a slow contender from a busy machine.

Linux only (reads /proc); elsewhere every figure is None. A phase records:
the harness process's own CPU plus that of children it reaped (kubectl), the
API server's and etcd's CPU, and the whole machine's busy CPU, so that
`other` (busy minus the three) shows work by unrelated processes.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_cpu(pid: int) -> float | None:
    """User+system seconds of one process, or None if unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _machine_busy() -> float | None:
    """Non-idle CPU seconds of the whole machine since boot, or None."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(v) for v in first[1:9]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / _TICK


def _client_cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@dataclass(frozen=True, slots=True)
class CpuMark:
    """Cumulative CPU counters at one moment."""

    client: float
    servers: Mapping[str, float | None]
    machine: float | None


def mark(server_pids: Mapping[str, int]) -> CpuMark:
    """Read every counter now."""
    return CpuMark(
        client=_client_cpu(),
        servers={name: _process_cpu(pid) for name, pid in server_pids.items()},
        machine=_machine_busy(),
    )


def usage(before: CpuMark, after: CpuMark) -> dict[str, float | None]:
    """CPU seconds spent between two marks: client, each server, other processes."""
    out: dict[str, float | None] = {"client": round(after.client - before.client, 2)}
    known = after.client - before.client
    for name, end in after.servers.items():
        start = before.servers.get(name)
        spent = None if start is None or end is None else end - start
        out[name] = None if spent is None else round(spent, 2)
        known += spent or 0.0
    if before.machine is None or after.machine is None:
        out["other"] = None
    else:
        out["other"] = round(max(0.0, after.machine - before.machine - known), 2)
    return out
