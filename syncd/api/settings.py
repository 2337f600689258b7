"""Process settings of the syncd controller, read from `SYNCD_*` environment variables.

Owns every knob an operator sets on the Deployment (kubeconfig, namespace,
apply concurrency, logging, source cache, metrics port), their defaults and
their bounds. The field manager is deliberately not a setting: it is API
(`syncd.core.metadata.FIELD_MANAGER`), and changing it would orphan field
ownership on every managed object.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final

from pydantic import Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from syncd.core.limits import DEPTH_CEILING, MIB, DecodeLimits
from syncd.core.metadata import FIELD_MANAGER
from syncd.core.render import RenderLimits

ENV_PREFIX: Final = "SYNCD_"
_DNS_LABEL: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


class SettingsError(ValueError):
    """The environment holds an invalid setting; the message names each variable."""


class LogLevel(StrEnum):
    """Lowest level that is logged."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LogFormat(StrEnum):
    """How log lines are rendered."""

    JSON = "json"
    CONSOLE = "console"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "syncd" / "sources"


class Settings(BaseSettings):
    """The controller's settings.

    `kubeconfig` unset means in-cluster configuration, falling back to
    ~/.kube/config outside a cluster. `metrics_port` 0 (the default) turns
    the HTTP server for /metrics, /healthz and /readyz off; the in-cluster
    Deployment sets it.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        frozen=True,
        extra="ignore",
        validate_default=True,
        use_attribute_docstrings=True,
    )

    kubeconfig: Path | None = None
    """SYNCD_KUBECONFIG: kubeconfig file; unset means in-cluster, then ~/.kube/config."""
    namespace: str = "syncd-system"
    """SYNCD_NAMESPACE: where RootSyncs live and syncd keeps its own objects."""
    apply_concurrency: Annotated[int, Field(ge=1, le=256)] = 16
    """SYNCD_APPLY_CONCURRENCY: requests in flight in all (applies, readiness polls, LISTs,
    deletes), shared fairly by every sync."""
    log_level: LogLevel = LogLevel.INFO
    """SYNCD_LOG_LEVEL: debug, info, warning or error (any case)."""
    log_format: LogFormat = LogFormat.JSON
    """SYNCD_LOG_FORMAT: json (one object per line) or console."""
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    """SYNCD_CACHE_DIR: where fetched sources are cached."""
    metrics_port: Annotated[int, Field(ge=0, le=65535)] = 0
    """SYNCD_METRICS_PORT: port of /metrics, /healthz and /readyz; 0 turns them off."""
    metrics_address: Annotated[str, Field(min_length=1)] = "127.0.0.1"
    """SYNCD_METRICS_ADDRESS: the address they bind (0.0.0.0 in a pod, so the kubelet and
    Prometheus reach it)."""
    max_file_bytes: Annotated[int, Field(ge=1)] = 8 * MIB
    """SYNCD_MAX_FILE_BYTES: largest manifest file a source may hold (SD1072 beyond)."""
    max_package_bytes: Annotated[int, Field(ge=1)] = 64 * MIB
    """SYNCD_MAX_PACKAGE_BYTES: largest total size of a package's manifest files."""
    max_objects: Annotated[int, Field(ge=1)] = 20_000
    """SYNCD_MAX_OBJECTS: most objects one package may declare."""
    max_depth: Annotated[int, Field(ge=1, le=DEPTH_CEILING)] = 100
    """SYNCD_MAX_DEPTH: deepest nesting of mappings and lists in one document."""
    cluster_name: str = ""
    """SYNCD_CLUSTER_NAME: this cluster's name, matched by ClusterSelectors and
    cluster-name-selector annotations (Config Sync's CLUSTER_NAME)."""
    kustomize: Path | None = None
    """SYNCD_KUSTOMIZE: the kustomize binary; unset looks for `kustomize` on PATH."""
    helm: Path | None = None
    """SYNCD_HELM: the helm binary; unset looks for `helm` on PATH."""
    render_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 120.0
    """SYNCD_RENDER_TIMEOUT_SECONDS: longest one renderer (kustomize, helm) may run (SD1068
    beyond). Its output may be as large as SYNCD_MAX_PACKAGE_BYTES."""
    render_memory_bytes: Annotated[int, Field(ge=64 * MIB)] = 2048 * MIB
    """SYNCD_RENDER_MEMORY_BYTES: address space one renderer process (kustomize, helm) may use."""
    wasm_fuel: Annotated[int, Field(ge=1)] = 4_000_000_000
    """SYNCD_WASM_FUEL: fuel (about one unit per instruction) of one kpt WASM function call."""
    wasm_memory_bytes: Annotated[int, Field(ge=MIB)] = 256 * MIB
    """SYNCD_WASM_MEMORY_BYTES: linear memory one kpt WASM function may use."""

    @field_validator("namespace", mode="after")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if len(value) > 63 or not _DNS_LABEL.fullmatch(value):
            raise ValueError(
                "must be a namespace name: at most 63 lowercase letters, digits and '-', "
                "starting and ending with a letter or digit"
            )
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("kubeconfig", "cache_dir", "kustomize", "helm", mode="after")
    @classmethod
    def _expand_home(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @property
    def field_manager(self) -> str:
        """The server-side apply field manager: always `syncd`."""
        return FIELD_MANAGER

    def decode_limits(self) -> DecodeLimits:
        """The limits every package is decoded under."""
        return DecodeLimits(
            max_file_bytes=self.max_file_bytes,
            max_package_bytes=self.max_package_bytes,
            max_objects=self.max_objects,
            max_depth=self.max_depth,
        )

    def render_limits(self) -> RenderLimits:
        """The bounds of every render: time, and output as large as a package may be."""
        return RenderLimits(
            timeout_seconds=self.render_timeout_seconds,
            max_output_bytes=self.max_package_bytes,
            memory_bytes=self.render_memory_bytes,
            wasm_fuel=self.wasm_fuel,
            wasm_memory_bytes=self.wasm_memory_bytes,
        )

    @property
    def metrics_enabled(self) -> bool:
        """Whether the HTTP server for metrics and probes runs."""
        return self.metrics_port != 0


def _describe(error: ErrorDetails) -> str:
    field = ".".join(str(part) for part in error["loc"])
    name = f"{ENV_PREFIX}{field.upper()}" if field else ENV_PREFIX + "*"
    message = error["msg"].removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    got = error.get("input")
    return f"{name}: {message} (got {got!r})" if isinstance(got, str) else f"{name}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the process environment; `overrides` (e.g. from flags) win.

    Raises SettingsError naming each invalid variable, e.g.
    `SYNCD_APPLY_CONCURRENCY: input should be less than or equal to 256 (got '1000')`.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [_describe(e) for e in exc.errors(include_url=False)]
        raise SettingsError("invalid settings: " + "; ".join(lines)) from exc
