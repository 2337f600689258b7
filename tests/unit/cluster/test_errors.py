"""HTTP answers become the right syncd errors, with the server's own words."""

from __future__ import annotations

import json

import pytest

from syncd.cluster.errors import (
    error_from_response,
    error_from_status,
    redact,
    retry_after_seconds,
    transport_error,
)
from syncd.core.errors import (
    ApiError,
    ConflictError,
    ErrorCode,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ResourceExpiredError,
    ResourceRef,
)
from syncd.core.refs import ObjectRef


def _status(code: int, reason: str, message: str, **details: object) -> bytes:
    body: dict[str, object] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("status", "reason", "cls", "code"),
    [
        (400, "BadRequest", ApiError, ErrorCode.APPLY_FAILURE),
        (401, "Unauthorized", ApiError, ErrorCode.APPLY_FAILURE),
        (403, "Forbidden", ForbiddenError, ErrorCode.FORBIDDEN),
        (404, "NotFound", NotFoundError, ErrorCode.APPLY_FAILURE),
        (409, "Conflict", ConflictError, ErrorCode.APPLY_FAILURE),
        (409, "AlreadyExists", ConflictError, ErrorCode.APPLY_FAILURE),
        (410, "Expired", ResourceExpiredError, ErrorCode.APPLY_FAILURE),
        (422, "Invalid", InvalidError, ErrorCode.APPLY_FAILURE),
        (429, "TooManyRequests", ApiError, ErrorCode.APPLY_FAILURE),
        (500, "InternalError", ApiError, ErrorCode.APPLY_FAILURE),
    ],
)
def test_status_bodies_map_to_error_classes_and_codes(
    status: int, reason: str, cls: type[ApiError], code: ErrorCode
) -> None:
    err = error_from_response(
        status, _status(status, reason, "the server says no"), method="GET", path="/api/v1/x"
    )
    assert type(err) is cls
    assert err.code is code
    assert (err.status, err.reason, err.message) == (status, reason, "the server says no")


def test_forbidden_carries_sd2013_and_the_rbac_message() -> None:
    message = (
        'configmaps "a" is forbidden: User "alice" cannot get resource "configmaps" '
        'in API group "" in the namespace "default"'
    )
    err = error_from_response(
        403, _status(403, "Forbidden", message), method="GET", path="/api/v1/x"
    )
    assert isinstance(err, ForbiddenError)
    assert str(err) == f"SD2013: {message}"


def test_invalid_keeps_the_causes_with_their_fields() -> None:
    causes = [
        {"reason": "FieldValueInvalid", "message": "Invalid value: 0", "field": "spec.size"},
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.name"},
    ]
    body = _status(422, "Invalid", 'Widget.ex.com "w" is invalid: ...', causes=causes)
    err = error_from_response(422, body, method="PATCH", path="/apis/ex.com/v1/widgets/w")
    assert isinstance(err, InvalidError)
    assert err.causes == tuple(causes)


def test_field_manager_conflicts_keep_their_causes() -> None:
    cause = {
        "reason": "FieldManagerConflict",
        "message": 'conflict with "alpha"',
        "field": ".data.k",
    }
    body = _status(
        409,
        "Conflict",
        'Apply failed with 1 conflict: conflict with "alpha": .data.k',
        causes=[cause],
    )
    err = error_from_response(409, body, method="PATCH", path="/api/v1/x")
    assert isinstance(err, ConflictError)
    assert err.causes == (cause,)


def test_plain_text_404_of_an_unserved_path_is_not_found_with_empty_reason() -> None:
    err = error_from_response(
        404, b"404 page not found\n", method="PATCH", path="/apis/ex.com/v1/widgets/w"
    )
    assert isinstance(err, NotFoundError)
    assert err.reason == ""
    assert err.message == "PATCH /apis/ex.com/v1/widgets/w: HTTP 404: 404 page not found"


def test_plain_text_429_from_apf_is_an_api_error() -> None:
    err = error_from_response(
        429, b"Too many requests, please try again later.\n", method="PATCH", path="/api/v1/x"
    )
    assert type(err) is ApiError
    assert err.status == 429
    assert "Too many requests" in err.message


def test_long_text_bodies_are_truncated() -> None:
    err = error_from_response(500, b"x" * 5000, method="GET", path="/p")
    assert len(err.message) < 400
    assert err.message.endswith("...")


def test_json_that_is_not_a_status_is_treated_as_text() -> None:
    err = error_from_response(502, b'{"kind": "Other"}', method="GET", path="/p")
    assert err.message == 'GET /p: HTTP 502: {"kind": "Other"}'


def test_the_status_code_in_a_watch_error_event_decides_the_class() -> None:
    status = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old: 1 (202)"}
    err = error_from_status(status)
    assert isinstance(err, ResourceExpiredError)
    assert err.status == 410


def test_resources_are_attached_to_the_error() -> None:
    ref = ObjectRef(group="", kind="ConfigMap", namespace="ns", name="a", version="v1")
    err = error_from_response(
        404,
        _status(404, "NotFound", "nope"),
        method="GET",
        path="/p",
        resources=[ResourceRef(ref=ref)],
    )
    assert err.resources == (ResourceRef(ref=ref),)


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Retry-After": "3"}, b"", 3.0),
        ({"retry-after": "1"}, b"", 1.0),
        ({}, _status(429, "TooManyRequests", "slow down", retryAfterSeconds=2), 2.0),
        ({}, b"Too many requests", None),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, b"", None),
        ({"Retry-After": "-4"}, b"", 0.0),
    ],
)
def test_retry_after_comes_from_the_header_or_the_status_details(
    headers: dict[str, str], body: bytes, expected: float | None
) -> None:
    assert retry_after_seconds(headers, body) == expected


def test_transport_errors_name_method_and_path_and_never_the_token() -> None:
    token = "tok-3f9a1c"
    err = transport_error(
        ConnectionRefusedError(f"refused while sending Bearer {token}"),
        method="PATCH",
        path="/api/v1/namespaces/a/configmaps/b",
        secrets=(token,),
    )
    assert err.message.startswith("PATCH /api/v1/namespaces/a/configmaps/b failed:")
    assert token not in str(err)
    assert "<redacted>" in err.message


def test_redact_ignores_empty_secrets() -> None:
    assert redact("abc", ("", "b")) == "a<redacted>c"


@pytest.mark.parametrize(
    ("status", "message", "transient"),
    [
        (500, "etcd leader changed", True),
        (503, "the server is currently unable to handle the request", True),
        (429, "Too many requests", True),
        (409, "the object has been modified", True),
        (422, 'ConfigMap "x" is invalid', False),
        (403, "forbidden", False),
        (
            500,
            (
                "failed to create typed patch object (/v1, Kind=Widget): .spec.size2: field not "
                "declared in schema"
            ),
            False,
        ),
    ],
)
def test_errors_a_retry_may_fix_are_transient(status: int, message: str, transient: bool) -> None:
    error = error_from_response(status, _status(status, "", message), method="PATCH", path="/x")
    assert error.transient is transient
