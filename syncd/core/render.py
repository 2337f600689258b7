"""What the render stage takes and hands on: options, limits, and the rendered bundle.

`render/` turns a fetched package into declared objects; `reconcile/` moves
these values between it and the parse stage, so they live here. Nothing in
this module runs a tool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from syncd.core.errors import SyncdError
from syncd.core.limits import MIB
from syncd.core.manifest import Manifest
from syncd.core.ports import Credentials

RENDERING_NOT_REQUIRED = "Rendering not required: plain manifests"
"""`status.rendering.message` when no renderer ran."""


class RendererKind(StrEnum):
    """Which renderer produced a directory's objects (status and logs name it)."""

    PLAIN = "plain"
    KUSTOMIZE = "kustomize"
    HELM = "helm"
    KPT = "kpt"


class LoadRestrictor(StrEnum):
    """Kustomize's `--load-restrictor`: whether a kustomization reads outside its directory."""

    ROOT_ONLY = "rootOnly"
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class HelmOptions:
    """How a chart in the package is rendered (`helm template`)."""

    release_name: str = ""
    """Release name; empty means the chart directory's name."""
    namespace: str = ""
    """Release namespace; empty means the sync's default namespace."""
    values_files: tuple[str, ...] = ()
    """Values files, relative to the chart directory, merged in order."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Inline values, merged after the files."""
    include_crds: bool = True
    """Whether the chart's `crds/` are rendered too."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderOptions:
    """What the sync's spec says about rendering (the part of the cache key that is not a tool)."""

    renderer: RendererKind | None = None
    """Pinned renderer for the whole package; None detects one per directory."""
    load_restrictor: LoadRestrictor = LoadRestrictor.ROOT_ONLY
    helm: HelmOptions = field(default_factory=HelmOptions)

    def key(self) -> str:
        """A stable text form, for the render cache key."""
        return repr(
            (
                self.renderer,
                self.load_restrictor,
                self.helm.release_name,
                self.helm.namespace,
                self.helm.values_files,
                sorted(self.helm.values.items(), key=lambda item: item[0]),
                self.helm.include_crds,
            )
        )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GitAccess:
    """How renderers reach Git for remote bases: the sync's own server and credentials.

    Credentials are sent only to URLs under `url`'s scheme, host and port.
    """

    url: str
    credentials: Credentials | None = None
    no_ssl_verify: bool = False

    def __repr__(self) -> str:
        """Never the credentials."""
        return f"GitAccess(url={self.url!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderLimits:
    """Bounds on one render (SD1068 past any).

    - `timeout_seconds`: wall time of one renderer run (a kpt pipeline as a whole);
    - `max_output_bytes`: what one renderer prints;
    - `max_stderr_bytes`: how much of a tool's stderr is kept for the message;
    - `memory_bytes`: address space of one renderer process (kustomize, helm);
    - `wasm_fuel`, `wasm_memory_bytes`: per call of a kpt WASM function.
    """

    timeout_seconds: float = 120.0
    memory_bytes: int = 2048 * MIB
    max_output_bytes: int = 64 * MIB
    max_stderr_bytes: int = 64 * 1024
    wasm_fuel: int = 4_000_000_000
    wasm_memory_bytes: int = 256 * MIB

    def __post_init__(self) -> None:
        """Every limit must be positive."""
        for name in self.__slots__:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderRun:
    """One renderer invocation: where, which tool, how long."""

    directory: str
    """The rendered directory, relative to the package (`.` for the package itself)."""
    renderer: RendererKind
    tool: str
    """The tool and its version, e.g. `kustomize v5.7.1`; empty for plain files."""
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedBundle:
    """The objects a package declares once rendered, and what went wrong.

    `decode_errors` are files that could not be read or parsed (status.source);
    `render_errors` are renderer failures (SD1068, status.rendering). A bundle
    with render errors applies nothing; one with either prunes nothing.
    """

    manifests: tuple[Manifest, ...]
    decode_errors: tuple[SyncdError, ...] = ()
    render_errors: tuple[SyncdError, ...] = ()
    runs: tuple[RenderRun, ...] = ()
    warnings: tuple[str, ...] = ()
    """Things users should know that are not errors (Helm hooks skipped)."""

    @property
    def rendered(self) -> tuple[RenderRun, ...]:
        """The runs of a tool (not plain files)."""
        return tuple(run for run in self.runs if run.renderer is not RendererKind.PLAIN)

    def message(self) -> str:
        """What rendering did, for `status.rendering.message`."""
        if self.render_errors:
            count = len(self.render_errors)
            return (
                f"Rendering failed ({count} error{'s' if count != 1 else ''}); nothing from "
                "this commit was applied or pruned"
            )
        rendered = self.rendered
        if not rendered:
            return RENDERING_NOT_REQUIRED
        parts = [f"{run.tool} ({run.directory}, {run.seconds:.2f}s)" for run in rendered]
        text = "Rendered with " + ", ".join(parts)
        if self.warnings:
            text += "; " + "; ".join(self.warnings)
        return text
