"""The render stage: a fetched package in, the declared objects (with their files) out.

`PackageRenderer.render` finds the rendered units of the package
(`syncd.render.detect`), decodes the plain files outside them, and renders
each unit in one private copy of the checkout (`syncd.render.workdir`), so a
renderer never writes into the source cache. Source paths are relative to the
sync's directory. A unit that fails gives one SD1068 and no objects; the
caller applies nothing from a bundle with render errors.

The stage itself caches nothing: the pipeline keeps one commit's result
(keyed by commit, render options and tool versions) and does not call it
again while those stay the same.
"""

from __future__ import annotations

import posixpath
import time
from dataclasses import dataclass
from pathlib import Path

from syncd.core.errors import RenderError, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.core.manifest import Manifest
from syncd.core.refs import InvalidObjectRefError, ObjectRef
from syncd.core.render import (
    GitAccess,
    RenderedBundle,
    RendererKind,
    RenderLimits,
    RenderOptions,
    RenderRun,
)
from syncd.parse.decode import decode_directory
from syncd.render.detect import Unit, find_units
from syncd.render.helm import helm_template, release_name
from syncd.render.kpt import KptLimits, render_kpt
from syncd.render.kustomize import kustomize_build
from syncd.render.process import Completed
from syncd.render.tools import Tools
from syncd.render.workdir import copy_tree, scratch_dir


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderRequest:
    """One package to render."""

    root: Path
    """The checkout the package is in (an overlay's `../base` may reach into it)."""
    package: Path
    """The sync's directory, inside `root`."""
    options: RenderOptions
    default_namespace: str
    """Where namespaced objects without a namespace go (Helm's release namespace too)."""
    git: GitAccess | None = None
    """The sync's Git server and credentials, for kustomize's remote bases."""
    user_git: bool = False
    """Let Git use the user's own configuration (the CLI, never the controller)."""


@dataclass(slots=True)
class _Collected:
    manifests: list[Manifest]
    decode_errors: list[SyncdError]
    render_errors: list[SyncdError]
    runs: list[RenderRun]
    warnings: list[str]


class PackageRenderer:
    """Renders packages with one set of tools and limits (shared by every sync of a process)."""

    def __init__(
        self,
        *,
        tools: Tools,
        limits: RenderLimits | None = None,
        decode_limits: DecodeLimits | None = None,
    ) -> None:
        """Tools are found and asked for their versions when a package first needs them."""
        self._tools = tools
        self._limits = limits or RenderLimits()
        self._decode_limits = decode_limits or DecodeLimits()

    @property
    def tools(self) -> Tools:
        """The tools this stage runs."""
        return self._tools

    def render(self, request: RenderRequest) -> RenderedBundle:
        """Every object `request.package` declares, rendered; errors are values."""
        began = time.monotonic()
        units = find_units(request.package, pinned=request.options.renderer)
        out = _Collected([], [], [], [], [])
        if not any(unit.directory == "." for unit in units):
            plain = decode_directory(
                request.package,
                limits=self._decode_limits,
                exclude=frozenset(unit.directory for unit in units),
            )
            out.manifests.extend(plain.manifests)
            out.decode_errors.extend(plain.errors)
            out.runs.append(
                RenderRun(
                    directory=".",
                    renderer=RendererKind.PLAIN,
                    tool="",
                    seconds=time.monotonic() - began,
                )
            )
        if units:
            self._render_units(request, units, out)
        return RenderedBundle(
            manifests=tuple(out.manifests),
            decode_errors=tuple(out.decode_errors),
            render_errors=tuple(out.render_errors),
            runs=tuple(out.runs),
            warnings=tuple(out.warnings),
        )

    def _render_units(
        self, request: RenderRequest, units: tuple[Unit, ...], out: _Collected
    ) -> None:
        root, package_dir = request.root.resolve(), request.package.resolve()
        if not package_dir.is_relative_to(root):
            root = package_dir  # no checkout around the package: it is the whole tree
        with scratch_dir() as scratch:
            copy = scratch / "checkout"
            try:
                copy_tree(root, copy)
            except (RenderError, OSError) as exc:
                message = exc.message if isinstance(exc, RenderError) else str(exc)
                out.render_errors.append(
                    RenderError(f"the checkout could not be copied: {message}")
                )
                return
            package = copy / package_dir.relative_to(root)
            for index, unit in enumerate(units):
                work = scratch / f"unit-{index}"
                work.mkdir()
                try:
                    self._render_unit(request, unit, package=package, copy=copy, work=work, out=out)
                except RenderError as exc:
                    out.render_errors.append(exc)

    def _render_unit(
        self,
        request: RenderRequest,
        unit: Unit,
        *,
        package: Path,
        copy: Path,
        work: Path,
        out: _Collected,
    ) -> None:
        directory = package / unit.directory
        shown = unit.directory
        if unit.renderer is RendererKind.KUSTOMIZE:
            decoded, done, label = kustomize_build(
                directory,
                shown=shown,
                tools=self._tools,
                scratch=work,
                restrictor=request.options.load_restrictor,
                git=request.git,
                user_git=request.user_git,
                limits=self._limits,
                decode_limits=self._decode_limits,
            )
            manifests, errors = decoded.manifests, decoded.errors
            warnings: tuple[str, ...] = ()
        elif unit.renderer is RendererKind.HELM:
            helm = request.options.helm
            release = release_name(
                helm,
                directory=posixpath.normpath(directory.relative_to(copy).as_posix()),
                chart=directory,
                limits=self._decode_limits,
            )
            manifests, errors, warnings, done, label = helm_template(
                directory,
                shown=shown,
                copy_root=copy,
                release=release,
                namespace=helm.namespace or request.default_namespace,
                options=helm,
                tools=self._tools,
                scratch=work,
                limits=self._limits,
                decode_limits=self._decode_limits,
            )
        else:
            manifests, done, label = self._kpt(directory, shown=shown)
            errors, warnings = (), ()
        if errors:
            # The tool wrote something syncd cannot read: nothing of this unit is trusted.
            out.render_errors.extend(
                RenderError(f"{shown}: the {unit.renderer.value} output is not valid: {e.message}")
                for e in errors
            )
            return
        out.manifests.extend(manifests)
        out.warnings.extend(warnings)
        out.runs.append(
            RenderRun(directory=shown, renderer=unit.renderer, tool=label, seconds=done.seconds)
        )

    def _kpt(self, directory: Path, *, shown: str) -> tuple[tuple[Manifest, ...], Completed, str]:
        """Run the kpt package's function pipeline in process (built-ins and WASM)."""
        began = time.monotonic()
        limits = self._limits
        output = render_kpt(
            directory,
            limits=KptLimits(
                timeout_seconds=limits.timeout_seconds,
                max_output_bytes=limits.max_output_bytes,
                wasm_fuel=limits.wasm_fuel,
                wasm_memory_bytes=limits.wasm_memory_bytes,
            ),
        )
        if output.errors:
            raise RenderError("; ".join(error.message for error in output.errors))
        manifests = []
        for obj in output.objects:
            path = posixpath.normpath(posixpath.join(shown, obj.source_path))
            try:
                ref = ObjectRef.from_object(obj.body)
            except InvalidObjectRefError as exc:
                raise RenderError(
                    f"{shown}: a function returned an object syncd cannot read: {exc}"
                ) from None
            manifests.append(Manifest(ref=ref, body=obj.body, source_path=path))
        done = Completed(stdout=b"", stderr="", seconds=time.monotonic() - began)
        return tuple(manifests), done, f"kpt {output.functions_run} function(s)"
