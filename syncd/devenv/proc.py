"""Child processes and readiness polling for the local servers.

Owns free-port allocation, deadline polling (never a bare sleep) and
`ManagedProcess`, a child started in its own process group with its output
in a log file, stopped by SIGTERM or SIGKILL on the whole group.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

T = TypeVar("T")


class ServerError(RuntimeError):
    """A local server failed to start or stop; the message says which and why."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `probe` until it returns a value other than None or False.

    Raises ServerError naming `what` once `timeout` seconds have passed. The
    interval between probes is a poll period, not a wait for a condition.
    """
    deadline = clock() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = probe()
        except (OSError, ValueError) as exc:  # not ready yet: refused, reset, partial
            result, last_error = None, exc
        if result is not None and result is not False:
            return result
        if clock() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise ServerError(f"{what} not ready within {timeout:.0f}s{detail}")
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


@dataclass(kw_only=True)
class ManagedProcess:
    """A server child process with its own process group and log file."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        """Start the process; its stdout and stderr go to `log_path`."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                list(self.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(self.env) if self.env is not None else None,
                cwd=self.cwd,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        """The child's pid (it leads its own process group)."""
        if self.popen is None:
            raise ServerError(f"{self.name} was never started")
        return self.popen.pid

    def alive(self) -> bool:
        """Whether the child is still running."""
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> None:
        """Raise ServerError with the log's tail if the child has exited."""
        if self.popen is not None and self.popen.poll() is not None:
            raise ServerError(
                f"{self.name} exited with code {self.popen.returncode}; "
                f"last log lines from {self.log_path}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the log file."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, sig: signal.Signals = signal.SIGTERM, timeout: float = 5.0) -> None:
        """Signal the process group, then SIGKILL it if it outlives `timeout`."""
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the process group and reap the child."""
        self.stop(sig=signal.SIGKILL)


def start_on_free_port(
    launch: Callable[[int], ManagedProcess],
    ready: Callable[[ManagedProcess, int], bool],
    *,
    what: str,
    timeout: float,
    attempts: int = 3,
) -> tuple[ManagedProcess, int]:
    """Start a server on a free port and wait until `ready`; retry on another port.

    The port `free_port` found may be taken by someone else before the server
    binds it; a server that fails to come up is stopped and tried again.
    """
    last: ServerError | None = None
    for _attempt in range(attempts):
        port = free_port()
        process = launch(port).start()
        try:
            wait_until(functools.partial(ready, process, port), timeout=timeout, what=what)
        except ServerError as exc:
            process.stop(timeout=3)
            last = exc
            continue
        return process, port
    raise ServerError(f"{what} did not start: {last}")


class ServerContext:
    """`with server:` starts it and stops it; subclasses define start() and stop()."""

    def start(self) -> Self:
        """Start the server."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()
