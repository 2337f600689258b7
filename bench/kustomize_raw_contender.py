"""`kustomize+raw`: what a user piping `kustomize build <overlay> | <apply>` gets.

It is `raw` (same pool, same 16-way parallel server-side applies, same
CSafeLoader parse, see `raw_contender.py`) whose declared set is the output
of the real `kustomize build` on the phase's directory instead of the
directory's own files. Both the build and the parse are inside the timed
phase; `split()` says how the last phase's time divides into the build, the
parse and the rest (the applies).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import yaml

from bench.raw_contender import RawContender, bodies


class KustomizeBuildError(RuntimeError):
    """`kustomize build` failed."""


class KustomizeRawContender(RawContender):
    """`kustomize build` piped to the raw client."""

    name = "kustomize+raw"
    field_manager = "kustomize-raw-bench"

    def __init__(
        self, *, kustomize: Path, server: str, ca_file: Path, token: str, concurrency: int = 16
    ) -> None:
        """`kustomize` is the binary to run; the rest is raw's."""
        super().__init__(server=server, ca_file=ca_file, token=token, concurrency=concurrency)
        self._kustomize = kustomize
        self._build_seconds = 0.0
        self._parse_seconds = 0.0
        self._phase_began = 0.0
        self._phase_seconds = 0.0

    def declare(self, manifest_dir: Path) -> dict[str, bytes]:
        """Run `kustomize build manifest_dir` and parse its output as raw parses files."""
        began = time.perf_counter()
        done = subprocess.run(
            [str(self._kustomize), "build", str(manifest_dir)],
            capture_output=True,
            check=False,
        )
        built = time.perf_counter()
        if done.returncode != 0:
            raise KustomizeBuildError(
                f"kustomize build failed ({done.returncode}): {done.stderr[:300]!r}"
            )
        docs = [d for d in yaml.load_all(done.stdout, Loader=yaml.CSafeLoader) if d]
        declared = bodies(docs, self._namespace)
        self._build_seconds = built - began
        self._parse_seconds = time.perf_counter() - built
        return declared

    def run_phase(self, phase: str, manifest_dir: Path) -> None:
        """Build, parse, apply; remembers the phase's own wall time for `split()`."""
        self._phase_began = time.perf_counter()
        try:
            super().run_phase(phase, manifest_dir)
        finally:
            self._phase_seconds = time.perf_counter() - self._phase_began

    def split(self) -> dict[str, float]:
        """The last phase in seconds: kustomize's build, the parse, and the applies."""
        rest = self._phase_seconds - self._build_seconds - self._parse_seconds
        return {
            "kustomize_s": round(self._build_seconds, 3),
            "parse_s": round(self._parse_seconds, 3),
            "apply_s": round(max(rest, 0.0), 3),
        }
