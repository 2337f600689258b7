"""The real `git daemon` serving git:// on 127.0.0.1.

Owns `GitDaemon`: every repository under a root exported read-write, on a
free port, its log in the work directory. Repositories are written with
`gitrepo`; smart HTTP is `gitserver`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from syncd.devenv.gitrepo import git_env, repo_dir_name
from syncd.devenv.proc import (
    ManagedProcess,
    ServerContext,
    ServerError,
    port_open,
    start_on_free_port,
)


class GitDaemon(ServerContext):
    """The real `git daemon` serving every repository under `root` over git://."""

    def __init__(self, root: Path, *, work_dir: Path, start_timeout: float = 30.0) -> None:
        """Serve `root`; the daemon's log goes to `work_dir/git-daemon.log`."""
        self.root = root.resolve()
        self._work_dir = work_dir
        self._start_timeout = start_timeout
        self._process: ManagedProcess | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The TCP port the daemon listens on."""
        if self._port is None:
            raise ServerError("git daemon is not running")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, `git://127.0.0.1:PORT`."""
        return f"git://127.0.0.1:{self.port}"

    def repo_url(self, name: str) -> str:
        """Clone URL of repository `name`."""
        return f"{self.url}/{repo_dir_name(name)}"

    def start(self) -> Self:
        """Start the daemon on a free port and wait until it accepts connections."""
        if self._process is not None:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        self._work_dir.mkdir(parents=True, exist_ok=True)

        def launch(port: int) -> ManagedProcess:
            return ManagedProcess(
                name="git daemon",
                argv=[
                    "git",
                    "daemon",
                    "--listen=127.0.0.1",
                    f"--port={port}",
                    f"--base-path={self.root}",
                    "--export-all",
                    "--reuseaddr",
                    "--enable=receive-pack",
                    "--informative-errors",
                    str(self.root),
                ],
                log_path=self._work_dir / "git-daemon.log",
                env=git_env(),
                cwd=self._work_dir,
            )

        self._process, self._port = start_on_free_port(
            launch, _alive_and_open, what="git daemon", timeout=self._start_timeout
        )
        return self

    def stop(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL after 3 s)."""
        process, self._process = self._process, None
        self._port = None
        if process is not None:
            process.stop(timeout=3)


def _alive_and_open(process: ManagedProcess, port: int) -> bool:
    process.check_alive()
    return port_open(port)
