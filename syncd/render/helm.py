"""Rendering a chart in the package with the real `helm template`.

- The release name defaults to the chart directory's name, the namespace to
  the sync's default namespace, and objects that name no namespace go to the
  release's (as `helm install --namespace` puts them). Values files
  (relative to the chart directory, never outside the checkout) are merged
  in order, then the inline values; CRDs in `crds/` are included unless the
  spec says not.
- Dependencies must be vendored in `charts/` (a directory or a `.tgz` per
  dependency): syncd never downloads charts while rendering. A missing one is
  SD1068 naming it and saying how to vendor it.
- Helm hooks (`helm.sh/hook`: install/upgrade/delete/test Jobs and Pods) are
  not applied: syncd has no release lifecycle to run them in. Each skipped
  hook is named in a warning on `status.rendering`.
- Every object's source path is the template that produced it (helm's
  `# Source:` line), relative to the package.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from syncd.core.errors import RenderError, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.core.manifest import Manifest
from syncd.core.render import HelmOptions, RenderLimits
from syncd.parse.decode import decode_text
from syncd.render.process import Completed, clean_env, run_tool
from syncd.render.tools import Tools
from syncd.render.yamlfile import first_document

HOOK_ANNOTATION: Final = "helm.sh/hook"
_SEPARATOR: Final = re.compile(r"^---\s*$", re.MULTILINE)
_SOURCE_LINE: Final = re.compile(r"^# Source: (?P<path>\S.*?)\s*$", re.MULTILINE)


def helm_template(
    chart: Path,
    *,
    shown: str,
    copy_root: Path,
    release: str,
    namespace: str,
    options: HelmOptions,
    tools: Tools,
    scratch: Path,
    limits: RenderLimits,
    decode_limits: DecodeLimits,
) -> tuple[tuple[Manifest, ...], tuple[SyncdError, ...], tuple[str, ...], Completed, str]:
    """Render the chart in `chart` (inside the private copy rooted at `copy_root`).

    Returns the objects, decode errors, warnings (skipped hooks), the run and the tool label.
    """
    helm = tools.get("helm")
    _check_dependencies(chart, shown=shown, limits=decode_limits)
    argv = [str(helm.path), "template", release, str(chart), "--namespace", namespace]
    if options.include_crds:
        argv.append("--include-crds")
    for values in options.values_files:
        argv += ["--values", str(_values_path(chart, values, copy_root=copy_root, shown=shown))]
    if options.values:
        inline = scratch / "inline-values.json"
        inline.write_text(json.dumps(dict(options.values)), encoding="utf-8")
        argv += ["--values", str(inline)]
    env = {
        "HELM_CACHE_HOME": str(scratch / "helm-cache"),
        "HELM_CONFIG_HOME": str(scratch / "helm-config"),
        "HELM_DATA_HOME": str(scratch / "helm-data"),
    }
    done = run_tool(
        argv,
        cwd=chart,
        env=clean_env(helm.path, scratch, env),
        limits=limits,
        what=f"helm template {shown}",
        limiter=tools.limiter(),
    )
    manifests, errors, warnings = _split(
        done.stdout.decode("utf-8", "replace"),
        unit_dir=shown,
        namespace=namespace,
        limits=decode_limits,
    )
    return manifests, errors, warnings, done, helm.label


def _values_path(chart: Path, relative: str, *, copy_root: Path, shown: str) -> Path:
    path = (chart / relative).resolve()
    if Path(relative).is_absolute() or not path.is_relative_to(copy_root.resolve()):
        raise RenderError(f"{shown}: values file {relative!r} is outside the repository")
    if not path.is_file():
        raise RenderError(
            f"{shown}: values file {relative!r} does not exist in the chart directory"
        )
    return path


def _check_dependencies(chart: Path, *, shown: str, limits: DecodeLimits) -> None:
    """SD1068 naming every dependency that is not vendored in `charts/`."""
    declared = _dependencies(chart, shown=shown, limits=limits)
    vendored = chart / "charts"
    missing = []
    for name, version in declared:
        present = (vendored / name / "Chart.yaml").is_file() or any(
            vendored.glob(f"{glob_escape(name)}-*.tgz")
        )
        if not present:
            missing.append(f"{name} {version}".strip())
    if missing:
        raise RenderError(
            f"{posixpath.join(shown, 'Chart.yaml')}: chart dependencies not vendored in "
            f"charts/: {', '.join(missing)}; run "
            "`helm dependency build` (or `helm dependency update`) and commit charts/: syncd "
            "does not download charts while rendering"
        )


def _dependencies(chart: Path, *, shown: str, limits: DecodeLimits) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for file in ("Chart.yaml", "requirements.yaml"):
        value = _read_mapping(chart / file, shown=f"{shown}/{file}", limits=limits)
        entries = value.get("dependencies")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                found.append((str(entry["name"]), str(entry.get("version") or "")))
    return found


def _read_mapping(path: Path, *, shown: str, limits: DecodeLimits) -> Mapping[str, Any]:
    if not path.is_file():
        return {}
    value = first_document(path, shown=shown, limits=limits)
    return value if isinstance(value, Mapping) else {}


def glob_escape(name: str) -> str:
    """`name` with glob characters escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _split(
    text: str, *, unit_dir: str, namespace: str, limits: DecodeLimits
) -> tuple[tuple[Manifest, ...], tuple[SyncdError, ...], tuple[str, ...]]:
    """Helm's stream, one document at a time, each with the template it came from."""
    manifests: list[Manifest] = []
    errors: list[SyncdError] = []
    hooks: list[str] = []
    for chunk in _SEPARATOR.split(text):
        if not chunk.strip():
            continue
        match = _SOURCE_LINE.search(chunk)
        source = _template_path(match.group("path"), unit_dir) if match else unit_dir
        decoded = decode_text(chunk, source_path=source, limits=limits)
        errors.extend(decoded.errors)
        for manifest in decoded.manifests:
            hook = manifest.annotation(HOOK_ANNOTATION)
            if hook is not None:
                hooks.append(f"{hook} {manifest.ref}")
                continue
            # As `helm install --namespace`: objects that name none go to the release's.
            manifests.append(dataclasses.replace(manifest, default_namespace=namespace))
    warnings: tuple[str, ...] = ()
    if hooks:
        warnings = (
            f"skipped {len(hooks)} Helm hook(s), which syncd does not run: {', '.join(hooks)}",
        )
    return tuple(manifests), tuple(errors), warnings


def _template_path(path: str, unit_dir: str) -> str:
    """`web/templates/deploy.yaml` (chart name first) -> `<unit>/templates/deploy.yaml`."""
    inside = path.split("/", 1)[1] if "/" in path else path
    return posixpath.normpath(posixpath.join(unit_dir, inside))


def release_name(options: HelmOptions, *, directory: str, chart: Path, limits: DecodeLimits) -> str:
    """The release name: the spec's, else the chart directory's name (relative to the checkout).

    A chart at the root of the checkout has no directory name of its own: its
    Chart.yaml `name` is used.
    """
    if options.release_name:
        return options.release_name
    name = posixpath.basename(posixpath.normpath(directory)) if directory not in ("", ".") else ""
    if not name:
        declared = _read_mapping(chart / "Chart.yaml", shown="Chart.yaml", limits=limits).get(
            "name"
        )
        name = declared if isinstance(declared, str) else ""
    return re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")[:53] or "release"
