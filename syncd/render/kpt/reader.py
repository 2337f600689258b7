"""Reading a kpt package tree: its Kptfiles, and each package's resources, annotated.

The walk for manifest files and the bounded reads are syncd's own
(`syncd.parse.files`), and so is the YAML (`syncd.parse.yaml_stream`, the
layer under `decode_text`, whose depth, size and alias limits apply): kpt
hands `local-config` documents to functions, which `decode_text` skips, so
this module takes the documents one level down. A package is a directory
holding a `Kptfile` (a regular file, never a symlink); its resources are the
manifest files under it that are not inside a deeper package. Each resource
is annotated with its path relative to its package, its document index and
its package, as kpt does; the Kptfile is a resource of its package too.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from syncd.core.errors import RenderError, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.parse.files import ManifestFile, find_manifest_files, read_text
from syncd.parse.located import LocatedError
from syncd.parse.text import display_path
from syncd.parse.yaml_stream import yaml_documents
from syncd.render.kpt.annotations import set_file, set_setter_comments
from syncd.render.kpt.comments import setter_comments

KPTFILE: Final = "Kptfile"
MAX_NESTING: Final = 32
"""Nested packages deeper than this are refused (a hostile tree must not exhaust the stack)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """One package: its path (relative POSIX, `.` for the root), its Kptfile and resources."""

    path: str
    kptfile: dict[str, Any]
    items: tuple[dict[str, Any], ...]
    children: tuple[Package, ...]


def read_tree(root: Path, *, limits: DecodeLimits) -> Package | list[RenderError]:
    """The root package with its subpackages, or every problem found reading them."""
    errors: list[RenderError] = []
    package_dirs = _package_dirs(root, errors)
    if "." not in package_dirs:
        return [
            *errors,
            RenderError(f"kpt package {display_path(root.name)}: no Kptfile at its root"),
        ]
    kptfiles: dict[str, dict[str, Any]] = {}
    for directory in package_dirs:
        found = _read_kptfile(root, directory, limits=limits)
        if isinstance(found, RenderError):
            errors.append(found)
        else:
            kptfiles[directory] = found
    items: dict[str, list[dict[str, Any]]] = {directory: [] for directory in package_dirs}
    files = find_manifest_files(root, limits=limits)
    errors.extend(_wrap(".", error) for error in files.errors)
    budget = limits.max_objects
    for file in files.files:
        owner = _owner(file.relative, package_dirs)
        text = read_text(file, limits=limits)
        if isinstance(text, SyncdError):
            errors.append(_wrap(owner, text))
            continue
        relative = file.relative if owner == "." else file.relative[len(owner) + 1 :]
        loaded = _documents(text, file.relative, owner=owner, relative=relative, limits=limits)
        if isinstance(loaded, RenderError):
            errors.append(loaded)
            continue
        budget -= len(loaded)
        if budget < 0:
            return [*errors, RenderError(f"kpt package: more than {limits.max_objects} resources")]
        items[owner].extend(loaded)
    if errors:
        return errors
    return _build(".", package_dirs, kptfiles, items, depth=0)


def _build(
    directory: str,
    package_dirs: list[str],
    kptfiles: dict[str, dict[str, Any]],
    items: dict[str, list[dict[str, Any]]],
    *,
    depth: int,
) -> Package | list[RenderError]:
    if depth > MAX_NESTING:
        return [
            RenderError(f"kpt package {directory}: packages nested more than {MAX_NESTING} deep")
        ]
    children: list[Package] = []
    for candidate in package_dirs:
        if (
            candidate != directory
            and _owner(candidate, package_dirs, exclude=candidate) == directory
        ):
            child = _build(candidate, package_dirs, kptfiles, items, depth=depth + 1)
            if isinstance(child, list):
                return child
            children.append(child)
    kptfile = kptfiles[directory]
    own = dict(kptfile)
    set_file(own, package=directory, path=KPTFILE, index=0)
    return Package(
        path=directory,
        kptfile=kptfile,
        items=(own, *items[directory]),
        children=tuple(children),
    )


def _owner(relative: str, package_dirs: list[str], *, exclude: str = "") -> str:
    """The deepest package directory holding `relative` (other than `exclude` itself)."""
    best = "."
    for directory in package_dirs:
        if directory in (".", exclude):
            continue
        if relative.startswith(directory + "/") and len(directory) > len(
            best if best != "." else ""
        ):
            best = directory
    return best


def _package_dirs(root: Path, errors: list[RenderError]) -> list[str]:
    """Directories (relative POSIX, `.` for the root) that hold a Kptfile; hidden ones skipped."""
    found: list[str] = []
    pending = [(os.fspath(root), ".")]
    while pending:
        absolute, relative = pending.pop()
        try:
            entries = sorted(os.scandir(absolute), key=lambda entry: entry.name)
        except OSError as exc:
            errors.append(RenderError(f"kpt package {relative}: cannot be listed: {exc.strerror}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            child = entry.name if relative == "." else f"{relative}/{entry.name}"
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                pending.append((entry.path, child))
            elif entry.name == KPTFILE:
                if stat.S_ISREG(mode):
                    found.append(relative)
                else:
                    errors.append(
                        RenderError(f"kpt package {relative}: Kptfile is not a regular file")
                    )
    return sorted(found)


def _read_kptfile(
    root: Path, directory: str, *, limits: DecodeLimits
) -> dict[str, Any] | RenderError:
    relative = KPTFILE if directory == "." else f"{directory}/{KPTFILE}"
    target = root / relative
    try:
        size = target.lstat().st_size
    except OSError as exc:
        return RenderError(f"kpt package {directory}: Kptfile cannot be read: {exc.strerror}")
    text = read_text(
        ManifestFile(relative=relative, target=os.fspath(target), size=size), limits=limits
    )
    if isinstance(text, SyncdError):
        return _wrap(directory, text)
    # Read as YAML, not as manifests: `kpt pkg init` marks the Kptfile local-config,
    # which the manifest decoder would skip.
    try:
        documents = [
            d.value
            for d in yaml_documents(text, limits=limits, max_documents=2)
            if d.value is not None
        ]
    except LocatedError as exc:
        return RenderError(
            f"kpt package {directory}: {display_path(relative)}:{exc.line}:{exc.column}: "
            f"{exc.problem}"
        )
    if len(documents) != 1 or not isinstance(documents[0], dict):
        return RenderError(f"kpt package {directory}: the Kptfile must hold exactly one object")
    return _copy(documents[0])


def _documents(
    text: str, shown: str, *, owner: str, relative: str, limits: DecodeLimits
) -> list[dict[str, Any]] | RenderError:
    try:
        documents = yaml_documents(text, limits=limits, max_documents=limits.max_objects)
    except LocatedError as exc:
        return RenderError(
            f"kpt package {owner}: {display_path(shown)}:{exc.line}:{exc.column}: {exc.problem}"
        )
    comments = setter_comments(text)
    loaded: list[dict[str, Any]] = []
    for index, document in enumerate(documents):
        if document.value is None:
            continue
        if not isinstance(document.value, dict):
            return RenderError(
                f"kpt package {owner}: {display_path(shown)}: document {index + 1} is not a mapping"
            )
        item = _copy(document.value)
        missing = [key for key in ("apiVersion", "kind") if not isinstance(item.get(key), str)]
        if missing:
            return RenderError(
                f"kpt package {owner}: {display_path(shown)}: document {index + 1} "
                f"is not a KRM resource (no {' or '.join(missing)})"
            )
        set_file(item, package=owner, path=relative, index=index)
        if index < len(comments):
            set_setter_comments(item, comments[index])
        loaded.append(item)
    return loaded


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    """A deep, unshared copy (the decoder shares the values of aliases)."""
    copied: dict[str, Any] = json.loads(json.dumps(value))
    return copied


def _wrap(package: str, error: SyncdError) -> RenderError:
    return RenderError(f"kpt package {posixpath.normpath(package)}: {error}")
