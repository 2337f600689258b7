"""From a rendered root package to the objects to apply.

Dropped: Kptfiles, `local-config` objects and every file a step used as its
`configPath`. Each object's source path is its package joined with its file
(POSIX, relative to the root), or the name of the function that created it
without a path. Internal annotations are removed, the objects are sorted by
source path and document index, and their JSON size is checked against
`max_output_bytes`.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from syncd.core.errors import RenderError
from syncd.render.kpt.annotations import (
    CREATED_BY,
    annotations_of,
    file_of,
    is_kptfile,
    is_local_config,
    package_of,
    strip_internal,
)
from syncd.render.kpt.model import RenderedObject


def finish(
    items: list[dict[str, Any]], *, config_files: set[tuple[str, str]], max_bytes: int
) -> tuple[RenderedObject, ...] | RenderError:
    """The objects to apply, in order, or SD1068 when they are too large together."""
    keyed: list[tuple[str, int, int, RenderedObject]] = []
    total = 0
    for position, item in enumerate(items):
        if is_kptfile(item) or is_local_config(item):
            continue
        package = package_of(item) or "."
        path, index = file_of(item)
        if path and (package, posixpath.normpath(path)) in config_files:
            continue
        source = _source_path(package, path, item)
        strip_internal(item)
        total += len(json.dumps(item, separators=(",", ":")))
        if total > max_bytes:
            return RenderError(
                f"kpt package: the rendered objects pass the output limit of {max_bytes} bytes"
            )
        number = int(index) if index.isdigit() else 0
        keyed.append((source, number, position, RenderedObject(source_path=source, body=item)))
    keyed.sort(key=lambda entry: entry[:3])
    return tuple(entry[3] for entry in keyed)


def _source_path(package: str, path: str, item: dict[str, Any]) -> str:
    if not path:
        creator = annotations_of(item).get(CREATED_BY)
        return creator if isinstance(creator, str) and creator else "function"
    return posixpath.normpath(posixpath.join(package, path))
