"""Where the e2e tools live: the content-addressed build cache.

`scripts/build-tools.sh` builds the control plane binary, kwok, kustomize and
helm into a cache outside the checkout and prints the directory. This module
runs it (a cache hit costs well under a second) or honours SYNCD_TOOLS_DIR.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from syncd.devenv.proc import ServerError

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-tools.sh"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tools:
    """Paths of the built tools."""

    bin_dir: Path

    @property
    def testplane(self) -> Path:
        """The multi-call control plane binary (etcd, kube-apiserver, ..., kubectl)."""
        return self.bin_dir / "testplane"

    @property
    def kwok(self) -> Path:
        """KWOK, which fakes kubelets for nodes annotated kwok.x-k8s.io/node=fake."""
        return self.bin_dir / "kwok"

    @property
    def kwok_stages(self) -> Path:
        """KWOK's node and pod lifecycle stages."""
        return self.bin_dir / "kwok-stages.yaml"

    @property
    def kustomize(self) -> Path:
        """The kustomize binary."""
        return self.bin_dir / "kustomize"

    @property
    def helm(self) -> Path:
        """The helm binary."""
        return self.bin_dir / "helm"


def locate_tools() -> Tools:
    """Find the tools: SYNCD_TOOLS_DIR if set, else build (or hit the cache)."""
    override = os.environ.get("SYNCD_TOOLS_DIR")
    if override:
        tools = Tools(bin_dir=Path(override))
    else:
        if not BUILD_SCRIPT.exists():
            raise ServerError(
                f"{BUILD_SCRIPT} not found: set SYNCD_TOOLS_DIR to a directory holding "
                "testplane, kwok, kustomize and helm"
            )
        result = subprocess.run(
            ["bash", str(BUILD_SCRIPT)],
            check=False,
            stdout=subprocess.PIPE,
            text=True,
        )
        if result.returncode != 0:
            raise ServerError(
                f"building the e2e tools failed (exit {result.returncode}); "
                f"run `bash {BUILD_SCRIPT}` to see why"
            )
        tools = Tools(bin_dir=Path(result.stdout.strip().splitlines()[-1]))
    missing = [p.name for p in (tools.testplane, tools.kwok, tools.kwok_stages) if not p.exists()]
    if missing:
        raise ServerError(f"missing tools in {tools.bin_dir}: {', '.join(missing)}")
    return tools
