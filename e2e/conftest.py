"""Session fixtures for the e2e suite: one real control plane per session.

Every server here is the real program. At session end a hook checks that no
process started by the suite outlived it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.tools import Tools, locate_tools

pytest_plugins = ["e2e.servers", "e2e.syncenv", "e2e.quiet"]


@pytest.fixture(scope="session")
def tools() -> Tools:
    """The built control plane, kwok, kustomize and helm (cache hit after the first build)."""
    return locate_tools()


@pytest.fixture(scope="session")
def control_plane(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A running control plane with controllers and one fake node."""
    plane = ControlPlane(workdir=tmp_path_factory.mktemp("plane"), tools=tools)
    with plane:
        yield plane


@pytest.fixture(scope="session")
def admin(control_plane: ControlPlane) -> KubeHttp:
    """A raw HTTPS client authenticated as a cluster admin."""
    return control_plane.http()


def _processes_under(root: Path) -> list[str]:
    """Command lines of live processes whose arguments mention `root`."""
    found = []
    marker = str(root)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any server process started under the session's temp dir survived."""
    factory: pytest.TempPathFactory | None = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    leftovers = _processes_under(factory.getbasetemp())
    if leftovers:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("e2e: processes left behind after the session:", red=True)
            for line in leftovers:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
