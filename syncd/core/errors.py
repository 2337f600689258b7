"""The typed error hierarchy, and (re-exported) the error-code registry.

Every error syncd reports is a `SyncdError` carrying a code registered once in
`syncd.core.error_codes` (imported from here by the rest of the program).
Third-party exceptions are translated into `SyncdError` where they enter the
program.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncd.core.error_codes import (
    CODE_PATTERN,
    REGISTRY,
    ErrorClass,
    ErrorCode,
    ErrorSpec,
    spec_for,
)
from syncd.core.refs import ObjectRef

__all__ = [
    "CODE_PATTERN",
    "REGISTRY",
    "ApiError",
    "ClusterError",
    "ConflictError",
    "ErrorClass",
    "ErrorCode",
    "ErrorSpec",
    "ForbiddenError",
    "InvalidError",
    "NotFoundError",
    "RenderError",
    "ResourceExpiredError",
    "ResourceRef",
    "SourceContentError",
    "SourceFetchError",
    "SyncSpecError",
    "SyncdError",
    "UnknownKindError",
    "spec_for",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceRef:
    """An object an error is about, with the file it was declared in."""

    ref: ObjectRef
    source_path: str = ""


class SyncdError(Exception):
    """Base of every error syncd reports; carries a registered code.

    Subclasses fix `default_code`; callers may pass a more specific `code`.
    The message must never contain credentials.
    """

    default_code: ErrorCode = ErrorCode.APPLY_FAILURE
    default_transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        resources: Sequence[ResourceRef] = (),
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.resources = tuple(resources)
        self.transient = self.default_transient if transient is None else transient
        """Whether a retry may succeed without anyone changing anything.

        Transient errors (the network, an overloaded API server, an object
        still becoming ready) keep a sync Reconciling; the others need a new
        commit, a spec change or an operator, and make it Stalled.
        """

    def __str__(self) -> str:
        """`SD1006: message`."""
        return f"{self.code.value}: {self.message}"


class SourceContentError(SyncdError):
    """The source's content is invalid (1xxx)."""

    default_code = ErrorCode.PARSE_ERROR


class SourceFetchError(SyncdError):
    """The source could not be fetched (SD2004); a later attempt may succeed."""

    default_code = ErrorCode.SOURCE_FETCH
    default_transient = True


class RenderError(SyncdError):
    """Rendering the package failed (SD1068)."""

    default_code = ErrorCode.RENDER_FAILURE


class SyncSpecError(SyncdError):
    """The sync object's spec is invalid (SD1061)."""

    default_code = ErrorCode.INVALID_SYNC_SPEC


class ClusterError(SyncdError):
    """The API server refused or failed a request (2xxx).

    Transport failures (no answer at all) are transient; ApiError decides
    from the HTTP status.
    """

    default_code = ErrorCode.APPLY_FAILURE
    default_transient = True


class ApiError(ClusterError):
    """The API server answered with an error status.

    `status` is the HTTP status, `reason` the Status reason (`NotFound`,
    `Conflict`, `Invalid`, ...), `causes` the Status details' causes.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        reason: str = "",
        causes: Sequence[Mapping[str, str]] = (),
        code: ErrorCode | None = None,
        resources: Sequence[ResourceRef] = (),
        transient: bool | None = None,
    ) -> None:
        if transient is None:
            transient = status >= 500 or status in (409, 429)
        super().__init__(message, code=code, resources=resources, transient=transient)
        self.status = status
        self.reason = reason
        self.causes = tuple(causes)


class NotFoundError(ApiError):
    """404: the object (or its type) does not exist."""


class ConflictError(ApiError):
    """409: a field-manager conflict or a stale resourceVersion."""


class InvalidError(ApiError):
    """422: validation refused the object (includes immutable-field changes)."""


class ResourceExpiredError(ApiError):
    """410 Expired/Gone: a watch's resourceVersion or a LIST's continue token is too old.

    Re-list (resourceVersion "") and watch again from the list's resourceVersion.
    """


class ForbiddenError(ApiError):
    """403: RBAC refused the request (SD2013)."""

    default_code = ErrorCode.FORBIDDEN


class UnknownKindError(ClusterError):
    """The cluster serves no resource for this group and kind (SD1021)."""

    default_code = ErrorCode.UNKNOWN_KIND
    default_transient = False
