"""The shared base of every wire model, object metadata, and error translation.

Owns the conventions all syncd custom resources follow on the wire: camelCase
field names (with the Kubernetes spellings `noSSLVerify` and `includeCRDs`),
frozen models, unknown fields refused, `from_object`/`to_object` between JSON
dicts and models, the field types shared by spec and status (durations,
timestamps, relative directories), and turning a pydantic ValidationError
into a `SyncSpecError` (SD1061) whose message names each field path.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Annotated, Any, Final, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails, PydanticCustomError

from syncd.api.duration import DURATION_PATTERN, parse_duration
from syncd.core.errors import ResourceRef, SyncSpecError
from syncd.core.refs import InvalidObjectRefError, ObjectRef

GROUP: Final = "syncd.dev"
VERSION: Final = "v1beta1"
API_VERSION: Final = f"{GROUP}/{VERSION}"

SPEC_PROBLEM: Final = "sync_spec"
"""The pydantic error type of semantic spec problems (see `spec_problems_error`)."""


def wire_name(name: str) -> str:
    """The camelCase wire name of a Python field name."""
    if name == "no_ssl_verify":
        return "noSSLVerify"
    if name == "include_crds":
        return "includeCRDs"
    return to_camel(name)


class WireModel(BaseModel):
    """Base of every block of a syncd custom resource.

    Unknown fields are refused so that a typo in a spec is an error rather
    than a silently ignored setting.
    """

    model_config = ConfigDict(
        alias_generator=wire_name,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )


class ObjectMeta(BaseModel):
    """The parts of metadata syncd reads; every other field is kept as it came."""

    model_config = ConfigDict(
        alias_generator=wire_name,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        frozen=True,
        use_attribute_docstrings=True,
    )

    name: str
    namespace: str | None = None
    generation: int | None = None
    resource_version: str | None = None
    uid: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class KubeObject(WireModel):
    """A top-level custom resource: apiVersion, kind, metadata and its blocks.

    Subclasses narrow `kind` to their own Literal.
    """

    api_version: Literal["syncd.dev/v1beta1"] = "syncd.dev/v1beta1"
    kind: str
    metadata: ObjectMeta

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> Self:
        """Validate a JSON object (from the API server or a file).

        Raises SyncSpecError (SD1061) whose message names every invalid field
        path, e.g. `spec.git.repo: field required`.
        """
        try:
            return cls.model_validate(dict(obj))
        except ValidationError as exc:
            raise SyncSpecError(
                describe_validation_error(exc), resources=_resources_of(obj)
            ) from exc

    def to_object(self) -> dict[str, Any]:
        """The JSON object for the API server: wire names, unset optional fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @property
    def ref(self) -> ObjectRef:
        """The identity of this object."""
        return ObjectRef(
            group=GROUP,
            version=VERSION,
            kind=self.kind,
            namespace=self.metadata.namespace or "",
            name=self.metadata.name,
        )


def _resources_of(obj: Mapping[str, Any]) -> tuple[ResourceRef, ...]:
    try:
        return (ResourceRef(ref=ObjectRef.from_object(obj)),)
    except InvalidObjectRefError:
        return ()


# -- field types shared by spec and status ----------------------------------


def empty_list() -> Any:
    """A list field's default: a fresh `[]`, and `default: []` in the CRD schema too."""
    return Field(default_factory=list, json_schema_extra={"default": []})


def _check_duration(text: str) -> str:
    if parse_duration(text) <= dt.timedelta(0):
        raise ValueError(f"duration {text!r} must be greater than zero")
    return text


Duration = Annotated[
    str,
    AfterValidator(_check_duration),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN}),
]
"""A positive Go-style duration string; `syncd.api.duration.parse_duration` reads it."""


_RFC3339: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _check_timestamp(text: str) -> str:
    message = f"invalid RFC 3339 timestamp {text!r}, expected e.g. 2024-05-01T12:00:00Z"
    if not _RFC3339.fullmatch(text):
        raise ValueError(message)
    try:
        dt.datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(message) from None
    return text


Timestamp = Annotated[
    str,
    AfterValidator(_check_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""An RFC 3339 timestamp string such as `2024-05-01T12:00:00Z`."""


def _check_relative_dir(text: str) -> str:
    path = PurePosixPath(text)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{text!r} must be a relative path that stays inside the source")
    return text


RelativeDir = Annotated[str, AfterValidator(_check_relative_dir)]
"""A directory inside the fetched source: relative, without `..`."""


def format_timestamp(moment: dt.datetime) -> str:
    """The RFC 3339 form Kubernetes writes: UTC, whole seconds, `Z` suffix."""
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- error translation --------------------------------------------------------


def spec_problems_error(problems: Sequence[tuple[str, str]]) -> PydanticCustomError:
    """A pydantic error carrying semantic problems as (relative field path, message) pairs.

    Raised from a model validator; `describe_validation_error` expands each
    pair under the validator's location.
    """
    summary = "; ".join(f"{path}: {message}" for path, message in problems)
    return PydanticCustomError(
        SPEC_PROBLEM, "{summary}", {"summary": summary, "problems": tuple(problems)}
    )


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _join(base: str, relative: str) -> str:
    if not base:
        return relative
    return f"{base}{relative}" if relative.startswith("[") else f"{base}.{relative}"


def _lines(error: ErrorDetails) -> list[str]:
    base = _path(error["loc"])
    ctx = error.get("ctx") or {}
    if error["type"] == SPEC_PROBLEM:
        return [f"{_join(base, path)}: {message}" for path, message in ctx["problems"]]
    if error["type"] == "missing":
        message = "field required"
    elif error["type"] == "extra_forbidden":
        message = "unknown field"
    else:
        message = error["msg"].removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
    return [f"{base or '(object)'}: {message}"]


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, `field.path: what is wrong`, joined by `; `."""
    lines: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        lines.extend(_lines(error))
    return "; ".join(lines)
