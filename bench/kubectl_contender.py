"""`kubectl`: the built kubectl doing server-side apply with ApplySet pruning.

Every phase runs the same command on the phase's directory:

    KUBECTL_APPLYSET=true kubectl apply --server-side --prune \
        --applyset=<parent> -n <ns> -f <dir> --field-manager=kubectl-bench

`--applyset=bench-set` (no type) names the Secret `bench-set` in the
namespace, kubectl's default parent type; kubectl creates it on first use.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

FIELD_MANAGER = "kubectl-bench"
APPLYSET_PARENT = "bench-set"


class KubectlError(RuntimeError):
    """kubectl exited non-zero."""


class KubectlContender:
    """Runs `kubectl apply --server-side --prune --applyset=...` once per phase."""

    def __init__(
        self,
        *,
        kubectl_argv: Callable[..., list[str]],
        cache_dir: Path,
        applyset: str = APPLYSET_PARENT,
        timeout: float = 1800.0,
    ) -> None:
        """`kubectl_argv(*args)` is the control plane's ControlPlane.kubectl_argv."""
        self._kubectl_argv = kubectl_argv
        self._cache_dir = cache_dir
        self._applyset = applyset
        self._timeout = timeout
        self._namespace = ""
        self.last_output = ""

    @property
    def name(self) -> str:
        """Contender name."""
        return "kubectl"

    def setup(self, namespace: str) -> None:
        """Remember the namespace (the harness created it)."""
        self._namespace = namespace

    def argv(self, manifest_dir: Path) -> list[str]:
        """The full kubectl command for one phase."""
        return self._kubectl_argv(
            "apply",
            "--server-side",
            "--prune",
            f"--applyset={self._applyset}",
            "-n",
            self._namespace,
            "-f",
            str(manifest_dir),
            f"--field-manager={FIELD_MANAGER}",
            f"--cache-dir={self._cache_dir}",
        )

    def run_phase(self, phase: str, manifest_dir: Path) -> None:
        """Run kubectl and fail loudly if it exits non-zero."""
        del phase  # the same command for every phase
        argv = self.argv(manifest_dir)
        result = subprocess.run(
            argv,
            env={**os.environ, "KUBECTL_APPLYSET": "true"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self._timeout,
            check=False,
        )
        self.last_output = result.stdout
        if result.returncode != 0:
            raise KubectlError(
                f"kubectl exited {result.returncode}: {_tail(result.stderr or result.stdout)}"
                f"\n  command: {' '.join(argv)}"
            )


def _tail(text: str, lines: int = 10) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def summarize(output: str) -> dict[str, int]:
    """Count kubectl's per-object result words ("serverside-applied", "pruned", ...)."""
    counts: dict[str, int] = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 2:
            counts[words[-1]] = counts.get(words[-1], 0) + 1
    return counts
