"""Rendering a kustomization with the real `kustomize build`.

In the private copy, the unit's kustomization gains
`buildMetadata: [originAnnotations]`, so every object comes back with
`config.kubernetes.io/origin` naming the file (or generator) that declared
it; that becomes the object's source path, and the annotation is removed
before anything is applied. The build runs with:

- `--load-restrictor LoadRestrictionsRootOnly` unless the spec says `none`
  (a RootSync only: `none` lets a kustomization read any file the copy holds);
- `--enable-helm --helm-command <helm>` when helm is available, for `helmCharts`;
- Git for remote bases (`https://host/repo//dir?ref=v1`) configured through
  the environment: the sync's own credentials and CA go only to the sync's
  own Git server (scheme, host and port), prompts are off.
"""

from __future__ import annotations

import base64
import json
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syncd.core.errors import RenderError
from syncd.core.limits import DecodeLimits
from syncd.core.manifest import Manifest
from syncd.core.redact import redact_url
from syncd.core.render import GitAccess, LoadRestrictor, RenderLimits
from syncd.core.results import DecodeResult
from syncd.parse.decode import decode_text
from syncd.parse.located import LocatedError
from syncd.parse.yaml_stream import yaml_documents
from syncd.render.detect import KUSTOMIZE_MARKERS
from syncd.render.process import Completed, clean_env, run_tool
from syncd.render.tools import Tools
from syncd.render.yamlfile import first_document

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
_TOKEN_USERNAME = "git"  # noqa: S105 - a user name


def kustomize_build(
    unit: Path,
    *,
    shown: str,
    tools: Tools,
    scratch: Path,
    restrictor: LoadRestrictor,
    git: GitAccess | None,
    limits: RenderLimits,
    decode_limits: DecodeLimits,
    user_git: bool = False,
) -> tuple[DecodeResult, Completed, str]:
    """Build the kustomization in `unit` (inside the private copy).

    `shown` is the unit's path relative to the package, for messages and
    source paths. Returns the decoded objects, the finished run and the tool label.
    """
    kustomize = tools.get("kustomize")
    _add_origin_annotations(unit, shown=shown, limits=decode_limits)
    argv = [
        str(kustomize.path),
        "build",
        str(unit),
        "--load-restrictor",
        "LoadRestrictionsNone" if restrictor is LoadRestrictor.NONE else "LoadRestrictionsRootOnly",
    ]
    try:
        helm = tools.get("helm")
    except RenderError:
        helm = None
    if helm is not None:
        argv += ["--enable-helm", "--helm-command", str(helm.path)]
    env, secrets = ({}, []) if user_git else _git_env(git, scratch)
    done = run_tool(
        argv,
        cwd=unit,
        env=clean_env(kustomize.path, scratch, env, user_git=user_git),
        limits=limits,
        what=f"kustomize build {shown}",
        secrets=secrets,
        limiter=tools.limiter(),
    )
    text = done.stdout.decode("utf-8", "replace")
    decoded = decode_text(text, source_path=f"{shown}/(kustomize output)", limits=decode_limits)
    paths: dict[str, str] = {}  # origin text -> source path: objects of one file share it
    manifests = tuple(
        _with_origin(m, unit_dir=shown, limits=decode_limits, paths=paths)
        for m in decoded.manifests
    )
    return DecodeResult(manifests=manifests, errors=decoded.errors), done, kustomize.label


def _add_origin_annotations(unit: Path, *, shown: str, limits: DecodeLimits) -> None:
    """Ask kustomize to annotate every object with its origin (the copy's file only)."""
    path = next((unit / name for name in KUSTOMIZE_MARKERS if (unit / name).is_file()), None)
    if path is None:
        raise RenderError(f"{shown}: no kustomization.yaml")
    value = first_document(path, shown=f"{shown}/{path.name}", limits=limits)
    if not isinstance(value, dict):
        raise RenderError(f"{shown}/{path.name}: a kustomization must be a mapping")
    metadata = value.get("buildMetadata")
    options = list(metadata) if isinstance(metadata, list) else []
    if "originAnnotations" not in options:
        options.append("originAnnotations")
    value["buildMetadata"] = options
    path.write_text(json.dumps(value), encoding="utf-8")  # JSON is YAML


def _with_origin(
    manifest: Manifest, *, unit_dir: str, limits: DecodeLimits, paths: dict[str, str]
) -> Manifest:
    """The object without the origin annotation, its source path taken from it."""
    annotations = manifest.annotations
    origin = annotations.get(ORIGIN_ANNOTATION)
    if origin is None:
        return manifest
    body: dict[str, Any] = dict(manifest.body)
    metadata = dict(manifest.metadata)
    rest = {k: v for k, v in annotations.items() if k != ORIGIN_ANNOTATION}
    if rest:
        metadata["annotations"] = rest
    else:
        metadata.pop("annotations", None)
    body["metadata"] = metadata
    key = origin if isinstance(origin, str) else repr(origin)
    if key not in paths:
        paths[key] = _origin_path(origin, unit_dir, limits=limits)
    return Manifest(ref=manifest.ref, body=body, source_path=paths[key])


def _origin_path(origin: object, unit_dir: str, *, limits: DecodeLimits) -> str:
    """The origin's file relative to the package (`../base/x.yaml`); remote ones keep the repo."""
    fields: Mapping[str, Any] = {}
    if isinstance(origin, str):
        try:
            documents = yaml_documents(origin, limits=limits, max_documents=1)
        except LocatedError:
            documents = []
        value = documents[0].value if documents else None
        fields = value if isinstance(value, Mapping) else {}
    path = fields.get("path") or fields.get("configuredIn")
    if not isinstance(path, str) or not path:
        return f"{unit_dir}/(kustomize output)"
    repo = fields.get("repo")
    if isinstance(repo, str) and repo:
        ref = fields.get("ref")
        suffix = f"?ref={ref}" if isinstance(ref, str) and ref else ""
        return f"{redact_url(repo)}//{path}{suffix}"
    return posixpath.normpath(posixpath.join(unit_dir, path))


def _git_env(git: GitAccess | None, scratch: Path) -> tuple[dict[str, str], list[str]]:
    """`GIT_CONFIG_*` entries: no local remotes, credentials only for the sync's server.

    `file://` and `ext::` remotes are refused: a remote base `file:///var/cache/...`
    would otherwise read any repository on the controller's disk (another sync's
    source cache among them).
    """
    entries: list[tuple[str, str]] = [
        ("protocol.file.allow", "never"),
        ("protocol.ext.allow", "never"),
    ]
    secrets: list[str] = []
    parts = urlsplit(git.url) if git is not None else None
    if git is None or parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return _config_env(entries), secrets
    base = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/"
    creds = git.credentials
    if creds is not None and (creds.password or creds.token):
        user = creds.username or _TOKEN_USERNAME
        secret = creds.token or creds.password
        pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
        entries.append((f"http.{base}.extraHeader", f"Authorization: Basic {pair}"))
        secrets += [secret, pair]
    if creds is not None and creds.ca_cert_pem:
        ca = scratch / "git-ca.pem"
        ca.write_bytes(creds.ca_cert_pem)
        entries.append((f"http.{base}.sslCAInfo", str(ca)))
    if git.no_ssl_verify:
        entries.append((f"http.{base}.sslVerify", "false"))
    return _config_env(entries), secrets


def _config_env(entries: list[tuple[str, str]]) -> dict[str, str]:
    env = {"GIT_CONFIG_COUNT": str(len(entries))}
    for index, (key, value) in enumerate(entries):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env
