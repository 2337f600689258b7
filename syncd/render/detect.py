"""Which renderer each directory of a package needs.

Walking down from the package directory, the first directory holding a
marker file is rendered as one unit by that renderer, and nothing under it
is read as plain manifests as well:

- `kustomization.yaml`, `kustomization.yml` or `Kustomization`: kustomize;
- `Chart.yaml`: Helm;
- `Kptfile`: a kpt package.

Files outside every unit are plain manifests. When the spec pins a renderer,
the package directory itself is one unit of that renderer (pinning `plain`
reads every file as a plain manifest, marker files included). Hidden
directories are not walked, as the plain decoder skips them too.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from syncd.core.render import RendererKind

KUSTOMIZE_MARKERS: Final = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MARKERS: Final = (
    *((name, RendererKind.KUSTOMIZE) for name in KUSTOMIZE_MARKERS),
    ("Chart.yaml", RendererKind.HELM),
    ("Kptfile", RendererKind.KPT),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unit:
    """A directory rendered as a whole; `directory` is relative to the package (`.` for itself)."""

    directory: str
    renderer: RendererKind


def marker_of(directory: Path) -> RendererKind | None:
    """The renderer a directory's own files ask for, if any (kustomize wins, then Helm, kpt)."""
    for name, renderer in MARKERS:
        try:
            info = os.lstat(directory / name)
        except OSError:  # absent, or a path the OS refuses (too long, not a directory)
            continue
        if stat.S_ISREG(info.st_mode):
            return renderer
    return None


def find_units(package: Path, *, pinned: RendererKind | None = None) -> tuple[Unit, ...]:
    """The rendered units of `package`, top-down, in sorted path order."""
    if pinned is not None:
        return () if pinned is RendererKind.PLAIN else (Unit(directory=".", renderer=pinned),)
    units: list[Unit] = []
    for current, dirs, _files in os.walk(package, followlinks=False):
        here = Path(current)
        found = marker_of(here)
        if found is not None:
            relative = PurePosixPath(here.relative_to(package).as_posix())
            units.append(Unit(directory=str(relative), renderer=found))
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _is_link(here / d))
    return tuple(units)


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return True  # unreadable: do not walk it (the plain decoder reports it)
