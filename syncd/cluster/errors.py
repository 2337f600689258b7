"""Translation of API server answers and transport failures into syncd's errors.

The API server answers errors with a `metav1.Status` JSON body, except for a
few paths that answer plain text: `404 page not found` for a custom resource
path the server does not serve yet, and APF's `429 Too many requests`. Both
shapes are handled; the message is always the server's own words, prefixed
with the method and path when the body is not a Status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from syncd.core.errors import (
    ApiError,
    ClusterError,
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ResourceExpiredError,
    ResourceRef,
)

__all__ = [
    "ResourceExpiredError",
    "error_from_response",
    "error_from_status",
    "redact",
    "retry_after_seconds",
    "transport_error",
]

_CLASSES: Final[Mapping[int, type[ApiError]]] = {
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: ResourceExpiredError,
    422: InvalidError,
}
_TEXT_LIMIT: Final = 300
_PERMANENT_500: Final = (
    # Server-side apply refuses a body its schema cannot type (a field a CRD's schema does
    # not declare) with 500: retrying the same body can never succeed.
    "failed to create typed patch object",
)


def error_from_status(
    status: Mapping[str, Any], *, http_status: int = 0, resources: Sequence[ResourceRef] = ()
) -> ApiError:
    """The error for a decoded `metav1.Status` (an error response or a watch ERROR event).

    The Status's own `code` wins over `http_status` when present.
    """
    code = status.get("code")
    effective = code if isinstance(code, int) and code > 0 else http_status
    details = status.get("details")
    raw_causes = details.get("causes") if isinstance(details, Mapping) else None
    causes = [
        {str(k): str(v) for k, v in cause.items()}
        for cause in (raw_causes if isinstance(raw_causes, list) else [])
        if isinstance(cause, Mapping)
    ]
    message = str(status.get("message") or status.get("reason") or f"HTTP {effective}")
    cls = _CLASSES.get(effective, ApiError)
    reason = str(status.get("reason") or "")
    permanent = effective >= 500 and any(text in message for text in _PERMANENT_500)
    return cls(
        message,
        status=effective,
        reason=reason,
        causes=causes,
        resources=resources,
        transient=False if permanent else None,
    )


def error_from_response(
    status: int,
    body: bytes,
    *,
    method: str,
    path: str,
    resources: Sequence[ResourceRef] = (),
) -> ApiError:
    """The error for a non-2xx HTTP answer: a Status body or plain text.

    A plain-text answer keeps an empty `reason`, which tells a path the
    server does not serve (`404 page not found`) from a missing object.
    """
    decoded = _status_or_none(body)
    if decoded is not None:
        return error_from_status(decoded, http_status=status, resources=resources)
    text = body.decode("utf-8", errors="replace").strip()
    if len(text) > _TEXT_LIMIT:
        text = text[:_TEXT_LIMIT] + "..."
    message = f"{method} {path}: HTTP {status}" + (f": {text}" if text else "")
    cls = _CLASSES.get(status, ApiError)
    return cls(message, status=status, resources=resources)


def retry_after_seconds(headers: Mapping[str, str], body: bytes) -> float | None:
    """The server's requested delay: the Retry-After header, else `details.retryAfterSeconds`.

    None when the answer names no delay. HTTP-date forms are not used by the
    API server and count as no delay.
    """
    header = headers.get("Retry-After") or headers.get("retry-after")
    if header:
        try:
            return max(0.0, float(header.strip()))
        except ValueError:
            return None
    decoded = _status_or_none(body)
    details = decoded.get("details") if decoded is not None else None
    seconds = details.get("retryAfterSeconds") if isinstance(details, Mapping) else None
    return float(seconds) if isinstance(seconds, int | float) and seconds >= 0 else None


def transport_error(
    exc: BaseException, *, method: str, path: str, secrets: tuple[str, ...]
) -> ClusterError:
    """A ClusterError for a connection, TLS or timeout failure, naming method and path."""
    detail = redact(f"{type(exc).__name__}: {exc}", secrets)
    return ClusterError(f"{method} {path} failed: {detail}")


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret replaced by `<redacted>`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def _status_or_none(body: bytes) -> dict[str, Any] | None:
    if not body.lstrip().startswith(b"{"):
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    if isinstance(decoded, dict) and decoded.get("kind") == "Status":
        return decoded
    return None
