"""Building the errors and the changed manifests this package returns.

Every error names the declaring file and the object, carries the object as a
`ResourceRef`, and is a `SourceContentError`: the repository's author fixes
it. Manifests are never changed in place: a copy placed in a namespace gets
a new body (its `source_path` stays the declaring file).
"""

from __future__ import annotations

from collections.abc import Iterable

from syncd.core.errors import ErrorCode, ResourceRef, SourceContentError
from syncd.core.manifest import Manifest


def object_error(code: ErrorCode, manifest: Manifest, text: str) -> SourceContentError:
    """`path: object: text`, about one declared object."""
    return SourceContentError(
        f"{manifest.source_path}: {manifest.ref}: {text}",
        code=code,
        resources=(ResourceRef(ref=manifest.ref, source_path=manifest.source_path),),
    )


def objects_error(code: ErrorCode, manifests: Iterable[Manifest], text: str) -> SourceContentError:
    """One error about several objects; the message lists every file and object."""
    listed = tuple(manifests)
    where = ", ".join(f"{m.source_path} ({m.ref})" for m in listed)
    return SourceContentError(
        f"{text}: {where}",
        code=code,
        resources=tuple(ResourceRef(ref=m.ref, source_path=m.source_path) for m in listed),
    )


def path_error(code: ErrorCode, path: str, text: str) -> SourceContentError:
    """An error about a file or directory rather than one object."""
    return SourceContentError(f"{path}: {text}", code=code)
