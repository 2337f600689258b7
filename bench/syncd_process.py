"""`syncd run` as a real child process of the harness, as a cluster would run it.

It runs as the control plane's admin with a JSON log in the temp dir and its
own source cache, and the environment of the harness (so `MALLOC_ARENA_MAX`
and the like reach it). `wait_watching` waits until the controller has
listed the sync objects it watches, from the API server's own counter, so no
sync is created before syncd can see it; `stop` sends SIGTERM and returns
the exit status (0 when it stopped cleanly).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bench import metrics
from syncd.devenv import demo
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ManagedProcess, wait_until


def start_syncd(
    plane: ControlPlane, workdir: Path, *, extra_env: Mapping[str, str] | None = None
) -> ManagedProcess:
    """Start `syncd run` against `plane` (the demo's way), logging JSON to workdir/syncd.log."""
    return demo.start_syncd(plane, workdir, log_format="json", extra_env=extra_env)


def lists_of(snapshot: metrics.Snapshot, resource: str) -> int:
    """LIST requests of `resource` so far (any answer)."""
    return sum(
        n for key, n in snapshot.counts.items() if key.verb == "LIST" and key.resource == resource
    )


def wait_watching(
    admin: KubeHttp, process: ManagedProcess, resource: str, *, before: int, timeout: float = 60.0
) -> None:
    """Wait until the API server has answered a LIST of `resource` beyond `before` LISTs."""

    def listed() -> bool:
        process.check_alive()
        return lists_of(metrics.snapshot(admin), resource) > before

    wait_until(listed, timeout=timeout, what=f"syncd's first LIST of {resource}", interval=0.2)


def stop_syncd(process: ManagedProcess, *, timeout: float = 30.0) -> int | None:
    """SIGTERM, wait up to `timeout` (then SIGKILL); the exit status."""
    process.stop(timeout=timeout)
    return None if process.popen is None else process.popen.returncode


def alive(process: ManagedProcess) -> str:
    """'' while the process runs, else its exit status and the log's tail."""
    if process.alive():
        return ""
    code = process.popen.returncode if process.popen is not None else None
    return f"syncd exited with {code}: {process.log_tail(5)}"
