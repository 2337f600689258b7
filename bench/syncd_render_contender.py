"""The `syncd` contender of the render benchmark: the real pipeline on a kustomize package.

It is `syncd_contender.SyncdContender` (one `Pipeline.run` per phase, in
process) with two differences:

- the source is the package's whole tree: the phase's directory is the
  overlay, its parent the checkout (so `../base` resolves, as in a Git
  checkout), and the revision is a hash of every file under the checkout;
- the pipeline's `PackageRenderer` uses the built kustomize (and helm, as a
  syncd image ships both), wrapped so that the time of the render call and
  the tool's own run time (`RenderRun.seconds`) can be read after the phase.

setup() also asks the tools for their versions once, as a running agent
that has rendered before already has; the first sync of a new agent pays
that once (two short `version` runs).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from bench.syncd_contender import DirectorySource, SyncdContender
from syncd.core.ports import SourceSnapshot
from syncd.core.render import RenderedBundle, RendererKind
from syncd.devenv.controlplane import ControlPlane
from syncd.render.stage import PackageRenderer, RenderRequest
from syncd.render.tools import Tools


class PackageSource(DirectorySource):
    """A Source for a package: `directory` is the package, its parent the checkout."""

    @property
    def checkout(self) -> Path:
        """The tree the package lies in (its parent directory)."""
        return self.directory.parent

    def resolve(self) -> str:
        """sha256 over every file's relative path and bytes under the checkout."""
        digest = hashlib.sha256()
        root = self.checkout
        for current, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                path = Path(current) / name
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
        return digest.hexdigest()[:40]

    def fetch(self, commit: str) -> SourceSnapshot:
        """The package and its checkout, both already local."""
        return SourceSnapshot(commit=commit, directory=self.directory, checkout=self.checkout)


class TimedRenderer(PackageRenderer):
    """The render stage, remembering how long its last `render` call and tool runs took."""

    def __init__(self, *, tools: Tools) -> None:
        """The real stage with `tools` and the default limits."""
        super().__init__(tools=tools)
        self.last_seconds = 0.0
        self.last_tool_seconds = 0.0

    def render(self, request: RenderRequest) -> RenderedBundle:
        """The real render, timed."""
        began = time.perf_counter()
        bundle = super().render(request)
        self.last_seconds = time.perf_counter() - began
        self.last_tool_seconds = sum(
            run.seconds for run in bundle.runs if run.renderer is not RendererKind.PLAIN
        )
        return bundle


class SyncdRenderContender(SyncdContender):
    """syncd's pipeline syncing a kustomize package with the real kustomize."""

    def __init__(self, control_plane: ControlPlane, *, kustomize: Path, helm: Path) -> None:
        """Connect as admin; the renderer runs `kustomize` (and `helm` for helmCharts)."""
        self._timed = TimedRenderer(tools=Tools(kustomize=kustomize, helm=helm))
        super().__init__(control_plane, source=PackageSource(), renderer=self._timed)
        self._phase_seconds = 0.0

    def setup(self, namespace: str) -> None:
        """The plain contender's setup, then one version query per tool (untimed)."""
        super().setup(namespace)
        self._timed.tools.get("kustomize")
        self._timed.tools.get("helm")

    def run_phase(self, phase: str, manifest_dir: Path) -> None:
        """One pipeline run over the package at `manifest_dir` (the overlay)."""
        self._timed.last_seconds = self._timed.last_tool_seconds = 0.0
        began = time.perf_counter()
        try:
            super().run_phase(phase, manifest_dir)
        finally:
            self._phase_seconds = time.perf_counter() - began

    def split(self) -> dict[str, float]:
        """The last phase in seconds: the render call (of it, kustomize's run) and the rest."""
        render = self._timed.last_seconds
        tool = self._timed.last_tool_seconds
        return {
            "render_s": round(render, 3),
            "kustomize_s": round(tool, 3),
            "render_other_s": round(max(render - tool, 0.0), 3),
            "rest_s": round(max(self._phase_seconds - render, 0.0), 3),
        }
