"""Turning cluster failures on one object into the coded error status reports."""

from __future__ import annotations

from syncd.core.errors import (
    ApiError,
    ClusterError,
    ErrorCode,
    ForbiddenError,
    ResourceRef,
    SyncdError,
    UnknownKindError,
)
from syncd.core.refs import ObjectRef


def object_error(verb: str, ref: ObjectRef, source_path: str, exc: ClusterError) -> SyncdError:
    """A SyncdError about `ref`, carrying its source path, for a failed `verb`."""
    resources = (ResourceRef(ref=ref, source_path=source_path),)
    if isinstance(exc, UnknownKindError):
        code = ErrorCode.UNKNOWN_KIND
        message = f"{ref}: {exc.message}"
    elif isinstance(exc, ForbiddenError):
        code = ErrorCode.FORBIDDEN
        message = f"{verb} {ref} forbidden: {exc.message}"
    elif isinstance(exc, ApiError):
        code = exc.code
        message = f"{verb} {ref} failed ({exc.status} {exc.reason}): {exc.message}"
    else:
        code = ErrorCode.APPLY_FAILURE
        message = f"{verb} {ref} failed: {exc.message}"
    return SyncdError(message, code=code, resources=resources, transient=exc.transient)
