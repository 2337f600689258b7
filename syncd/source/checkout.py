"""Writing the entries of a source tree into a directory, safely (no Git here).

Owns `TreeFile` (one entry: POSIX path, Git file mode, content read on
demand) and `write_tree`: regular files keep their executable bit; symbolic
links are created as they are only when they stay inside the tree, and only
after every file, so nothing is ever written through a link; a link that
leaves the tree is written as a link to `OUTSIDE_TREE_LINK`, which can never
resolve, so the parse stage reports it (SD1006) rather than the file
vanishing from the package; submodules are skipped.
The result says what was written and what was skipped, and why.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Final

from syncd.core.ports import OUTSIDE_TREE_LINK
from syncd.source.cache import safe_relative

_GITLINK: Final = 0o160000  # a submodule's commit, in Git's mode bits


class SkipReason(StrEnum):
    """Why a tree entry was not written."""

    SUBMODULE = "submodule"
    LINK_OUTSIDE_TREE = "link_outside_tree"


@dataclass(frozen=True, slots=True, kw_only=True)
class TreeFile:
    """One entry of a tree: where it goes, its Git mode, and how to read it."""

    path: str
    mode: int
    read: Callable[[], bytes]


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """An entry left out of the checkout."""

    path: str
    reason: SkipReason


@dataclass(frozen=True, slots=True, kw_only=True)
class WrittenTree:
    """What `write_tree` wrote."""

    files: int
    links: int
    skipped: tuple[Skipped, ...]


def link_stays_inside(root: Path, link: Path, target: str) -> bool:
    """Whether a symlink at `link` pointing at `target` stays inside `root`, lexically.

    Absolute targets and targets that climb above `root` are outside.
    """
    if PurePosixPath(target).is_absolute():
        return False
    resolved = os.path.normpath(link.parent / target)
    root_text = os.path.normpath(root)
    return resolved == root_text or resolved.startswith(root_text + os.sep)


def write_tree(dest: Path, entries: Iterable[TreeFile]) -> WrittenTree:
    """Write `entries` under the existing directory `dest`.

    Raises ValueError for an entry whose path would leave `dest`.
    """
    skipped: list[Skipped] = []
    links: list[tuple[Path, str]] = []
    files = 0
    for entry in entries:
        if stat.S_IFMT(entry.mode) == _GITLINK:
            skipped.append(Skipped(path=entry.path, reason=SkipReason.SUBMODULE))
            continue
        target = dest / safe_relative(entry.path)
        if stat.S_ISLNK(entry.mode):
            links.append((target, os.fsdecode(entry.read())))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(entry.read())
        if entry.mode & 0o111:
            target.chmod(0o755)
        files += 1
    made: list[Path] = []
    for link, link_target in links:
        link.parent.mkdir(parents=True, exist_ok=True)
        if link_stays_inside(dest, link, link_target):
            link.symlink_to(link_target)
            made.append(link)
        else:
            link.symlink_to(OUTSIDE_TREE_LINK)
            skipped.append(Skipped(path=_rel(dest, link), reason=SkipReason.LINK_OUTSIDE_TREE))
    # A link that is inside lexically may still leave the tree through another link.
    root = dest.resolve()
    escaped = [link for link in made if not _resolves_inside(root, link)]
    for link in escaped:
        link.unlink()
        link.symlink_to(OUTSIDE_TREE_LINK)
        skipped.append(Skipped(path=_rel(dest, link), reason=SkipReason.LINK_OUTSIDE_TREE))
    return WrittenTree(
        files=files,
        links=len(made) - len(escaped),
        skipped=tuple(skipped),
    )


def _resolves_inside(root: Path, link: Path) -> bool:
    try:
        return link.resolve().is_relative_to(root)
    except (RuntimeError, OSError):  # a link loop
        return False


def _rel(dest: Path, path: Path) -> str:
    return path.relative_to(dest).as_posix()
