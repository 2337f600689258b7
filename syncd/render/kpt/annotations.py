"""The annotations kpt and kio keep on resources while a pipeline runs, and their removal.

Every resource a function sees carries where it came from: its file (relative
to its own package), its document index in that file, and the package it
belongs to. syncd keeps two more internal annotations: the `kpt-set:` setter
comments of the resource's fields (comments are not part of the decoded
value, so they travel as an annotation) and, for resources a function
created without a path, that function's name. All of them are removed before
an object leaves the renderer.
"""

from __future__ import annotations

import json
from typing import Any, Final

PATH: Final = "config.kubernetes.io/path"
INDEX: Final = "config.kubernetes.io/index"
INTERNAL_PATH: Final = "internal.config.kubernetes.io/path"
INTERNAL_INDEX: Final = "internal.config.kubernetes.io/index"
ID: Final = "config.k8s.io/id"
INTERNAL_PREFIX: Final = "internal.config.kubernetes.io/"
PACKAGE: Final = "internal.config.kubernetes.io/package-path"
SETTERS: Final = "internal.config.kubernetes.io/syncd-setter-comments"
CREATED_BY: Final = "internal.config.kubernetes.io/syncd-created-by"
LOCAL_CONFIG: Final = "config.kubernetes.io/local-config"

FieldPath = tuple[str | int, ...]


def annotations_of(item: dict[str, Any]) -> dict[str, Any]:
    """The item's annotations (a new empty mapping when it has none or they are malformed)."""
    metadata = item.get("metadata")
    if not isinstance(metadata, dict):
        return {}
    found = metadata.get("annotations")
    return found if isinstance(found, dict) else {}


def set_annotation(item: dict[str, Any], key: str, value: str) -> None:
    """Set one annotation, creating `metadata.annotations` as needed."""
    metadata = item.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        metadata = {}
        item["metadata"] = metadata
    found = metadata.get("annotations")
    if not isinstance(found, dict):
        found = {}
        metadata["annotations"] = found
    found[key] = value


def file_of(item: dict[str, Any]) -> tuple[str, str]:
    """The item's path and index annotations (internal keys first, then the legacy ones)."""
    found = annotations_of(item)
    path = found.get(INTERNAL_PATH, found.get(PATH, ""))
    index = found.get(INTERNAL_INDEX, found.get(INDEX, ""))
    return (path if isinstance(path, str) else "", index if isinstance(index, str) else "")


def package_of(item: dict[str, Any]) -> str:
    """The package (POSIX path relative to the root, `.` for the root) the item belongs to."""
    value = annotations_of(item).get(PACKAGE, "")
    return value if isinstance(value, str) else ""


def set_file(item: dict[str, Any], *, package: str, path: str, index: int) -> None:
    """Mark where an item was read from, with both the current and the legacy keys."""
    for key, value in (
        (PATH, path),
        (INTERNAL_PATH, path),
        (INDEX, str(index)),
        (INTERNAL_INDEX, str(index)),
        (PACKAGE, package),
    ):
        set_annotation(item, key, value)


def is_local_config(item: dict[str, Any]) -> bool:
    """Whether the item is annotated `config.kubernetes.io/local-config: "true"`."""
    value = annotations_of(item).get(LOCAL_CONFIG)
    return value is True or value == "true"


def is_kptfile(item: dict[str, Any]) -> bool:
    """Whether the item is a Kptfile."""
    version = item.get("apiVersion")
    return (
        item.get("kind") == "Kptfile"
        and isinstance(version, str)
        and version.startswith("kpt.dev/")
    )


def setter_comments(item: dict[str, Any]) -> dict[FieldPath, str]:
    """The item's setter comments by field path (empty when none or malformed)."""
    raw = annotations_of(item).get(SETTERS)
    if not isinstance(raw, str):
        return {}
    try:
        entries = json.loads(raw)
    except ValueError:
        return {}
    found: dict[FieldPath, str] = {}
    if isinstance(entries, list):
        for entry in entries:
            if (
                isinstance(entry, list)
                and len(entry) == 2
                and isinstance(entry[0], list)
                and isinstance(entry[1], str)
                and all(isinstance(part, str | int) for part in entry[0])
            ):
                found[tuple(entry[0])] = entry[1]
    return found


def set_setter_comments(item: dict[str, Any], comments: dict[FieldPath, str]) -> None:
    """Record the item's setter comments (or drop the annotation when there are none)."""
    if not comments:
        found = annotations_of(item)
        found.pop(SETTERS, None)
        return
    entries = [[list(path), comment] for path, comment in sorted(comments.items(), key=repr)]
    set_annotation(item, SETTERS, json.dumps(entries, separators=(",", ":")))


def strip_internal(item: dict[str, Any]) -> None:
    """Remove kpt's, kio's and syncd's bookkeeping annotations, and an emptied annotation map."""
    metadata = item.get("metadata")
    if not isinstance(metadata, dict):
        return
    found = metadata.get("annotations")
    if not isinstance(found, dict):
        return
    removed = False
    for key in list(found):
        if key in (PATH, INDEX, ID) or key.startswith(INTERNAL_PREFIX):
            del found[key]
            removed = True
    if removed and not found:
        del metadata["annotations"]
