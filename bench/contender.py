"""The interface every benchmark contender implements, and the phase names.

The harness calls `setup(namespace)` once, outside any timed region, then
`run_phase(phase, manifest_dir)` once per phase and times that call. When
`run_phase` returns, the namespace must hold exactly what `manifest_dir`
declares: every declared object applied, every previously declared object
that is no longer declared deleted. A contender raises to report failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Protocol

COLD: Final = "cold"
RESYNC: Final = "resync"
CHANGE_PRUNE: Final = "change+prune"
PHASES: Final[tuple[str, ...]] = (COLD, RESYNC, CHANGE_PRUNE)


class Contender(Protocol):
    """One way of syncing a directory of manifests into a namespace."""

    @property
    def name(self) -> str:
        """Short name used in tables and JSON (e.g. "raw")."""
        ...

    def setup(self, namespace: str) -> None:
        """Prepare to sync into `namespace`, which the harness has created. Not timed."""
        ...

    def run_phase(self, phase: str, manifest_dir: Path) -> None:
        """Make `namespace` match `manifest_dir` (one of PHASES). Timed by the harness."""
        ...
