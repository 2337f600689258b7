"""The private working copy a renderer runs in.

Renderers never see the source cache: the fetched tree (the whole checkout,
so that an overlay's `../base` resolves) is copied into a scratch directory
that is deleted after the render. The copy holds regular files and
directories only; a symlink is kept only when it points inside the tree (so
no renderer can be tricked into reading the controller's own files, such as
its service-account token, through a link), special files are left out, and
the copy is bounded in size.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from syncd.core.errors import RenderError
from syncd.core.limits import MIB

MAX_COPY_BYTES: Final = 512 * MIB
SCRATCH_PREFIX: Final = "syncd-render-"


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A fresh private directory, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def copy_tree(source: Path, target: Path, *, max_bytes: int = MAX_COPY_BYTES) -> None:
    """Copy `source` into the new directory `target` (see the module docstring)."""
    root = source.resolve()
    total = 0
    target.mkdir(parents=True, exist_ok=False)
    for current, dirs, files in os.walk(root, followlinks=False):
        here = Path(current)
        relative = here.relative_to(root)
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in dirs:
            path = here / name
            if path.is_symlink():
                _link(path, root, target / relative / name)
            else:
                (target / relative / name).mkdir()
        for name in sorted(files):
            path = here / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                _link(path, root, target / relative / name)
            elif stat.S_ISREG(info.st_mode):
                total += info.st_size
                if total > max_bytes:
                    raise RenderError(
                        f"the checkout is larger than {max_bytes // MIB} MiB; it is not rendered"
                    )
                shutil.copyfile(path, target / relative / name, follow_symlinks=False)


def _link(path: Path, root: Path, destination: Path) -> None:
    """Re-create a symlink in the copy when, and only when, it stays inside the tree."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return
    if not resolved.is_relative_to(root):
        return
    relative = os.path.relpath(resolved, path.parent.resolve())
    destination.symlink_to(relative)
