"""Finding the renderer binaries and their versions.

A tool is found by its setting (`SYNCD_KUSTOMIZE`, `SYNCD_HELM`: a path),
then on `PATH`. Its version is asked once per `Tools` instance (one
`kustomize version`, one `helm version --short`) and is part of the render
`status.rendering` message. A missing tool is an SD1068 naming the
setting to fix, raised only when a package needs that tool.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from syncd.core.errors import RenderError


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    """A renderer binary and the version it reported."""

    name: str
    path: Path
    version: str

    @property
    def label(self) -> str:
        """`kustomize v5.8.1`."""
        return f"{self.name} {self.version}"


KUSTOMIZE_SETTING = "SYNCD_KUSTOMIZE"
HELM_SETTING = "SYNCD_HELM"
_VERSION_ARGS = {"kustomize": ("version",), "helm": ("version", "--short")}
_SETTING = {"kustomize": KUSTOMIZE_SETTING, "helm": HELM_SETTING}


class Tools:
    """The renderer binaries of one process (thread-safe; versions asked once)."""

    def __init__(self, *, kustomize: Path | None = None, helm: Path | None = None) -> None:
        """Explicit paths win; unset ones are looked up on PATH when first needed."""
        self._given = {"kustomize": kustomize, "helm": helm}
        self._found: dict[str, Tool] = {}
        self._limiter: Path | None = None
        self._limiter_looked_up = False
        self._lock = threading.Lock()

    def get(self, name: str) -> Tool:
        """The tool, with its version; RenderError (SD1068) when it cannot be found or run."""
        with self._lock:
            if name not in self._found:
                self._found[name] = self._locate(name)
            return self._found[name]

    def limiter(self) -> Path | None:
        """`prlimit` (util-linux), which bounds a renderer's memory; None when absent."""
        with self._lock:
            if not self._limiter_looked_up:
                found = shutil.which("prlimit")
                self._limiter = Path(found) if found else None
                self._limiter_looked_up = True
            return self._limiter

    def _locate(self, name: str) -> Tool:
        given = self._given.get(name)
        if given is not None:
            path: Path | None = given if given.is_file() else None
            where = f"{_SETTING[name]}={given}"
        else:
            found = shutil.which(name)
            path = Path(found) if found else None
            where = "PATH"
        if path is None:
            raise RenderError(
                f"the package needs {name}, which was not found ({where}); install it or set "
                f"{_SETTING[name]} to its path"
            )
        try:
            done = subprocess.run(
                [str(path), *_VERSION_ARGS[name]],
                capture_output=True,
                timeout=30,
                check=False,
                env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"{name} at {path} could not be run: {exc}") from None
        version = done.stdout.decode("utf-8", "replace").strip().splitlines()
        if done.returncode != 0 or not version:
            raise RenderError(f"{name} at {path} did not report its version")
        return Tool(name=name, path=path, version=version[0].split("+")[0].strip())
