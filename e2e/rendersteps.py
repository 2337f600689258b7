"""Steps shared by the render acceptance tests: what a renderer produces on its own, and compares.

`tool_objects` runs the real kustomize or helm the way a user would, outside
syncd; `managed_refs` reads the inventory syncd keeps; `live_matches` checks
that a live object holds every field of a rendered one (the API server adds
defaults and syncd its metadata, nothing else may differ).
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from e2e.servers import GitHttpAuth
from e2e.syncenv import get_root_sync
from e2e.syncsteps import RESOURCE_GROUPS, TIMEOUT, get_object
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

Ref = tuple[str, str, str, str]
"""(group, kind, namespace, name)."""


def git_env_for(auth: GitHttpAuth) -> dict[str, str]:
    """Environment for a local `git`/`kustomize` run that may clone from the auth server."""
    pair = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{auth.server.url}/.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {pair}",
    }


def tool_objects(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The objects a renderer prints, run as a user would run it."""
    done = subprocess.run(
        list(argv), cwd=cwd, env=dict(env) if env else None, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    return [doc for doc in yaml.safe_load_all(done.stdout) if isinstance(doc, dict)]


def ref_of(obj: Mapping[str, Any], *, default_namespace: str = "") -> Ref:
    """The identity of a rendered or live object."""
    group = str(obj["apiVersion"]).rpartition("/")[0]
    meta = obj["metadata"]
    return (group, str(obj["kind"]), str(meta.get("namespace") or default_namespace), meta["name"])


def managed_refs(admin: KubeHttp, name: str) -> set[Ref]:
    """What the sync's inventory lists."""
    group = get_object(admin, f"{RESOURCE_GROUPS}/{name}")
    assert group is not None, f"no ResourceGroup for {name}"
    return {
        (e.get("group", ""), e["kind"], e.get("namespace", ""), e["name"])
        for e in group["spec"]["resources"]
    }


def live_matches(live: Any, rendered: Any, *, at: str = "") -> list[str]:
    """Where `live` lacks or differs from a value of `rendered` (empty when it holds all)."""
    if isinstance(rendered, Mapping):
        if not isinstance(live, Mapping):
            return [f"{at or '.'}: expected a mapping"]
        problems: list[str] = []
        for key, value in rendered.items():
            problems += live_matches(live.get(key), value, at=f"{at}.{key}")
        return problems
    if isinstance(rendered, list):
        if not isinstance(live, list) or len(live) != len(rendered):
            return [f"{at}: expected {len(rendered)} items, found {live!r}"]
        return [
            p
            for i, item in enumerate(rendered)
            for p in live_matches(live[i], item, at=f"{at}[{i}]")
        ]
    return [] if live == rendered else [f"{at}: expected {rendered!r}, found {live!r}"]


def wait_render_error(admin: KubeHttp, name: str, commit: str) -> dict[str, Any]:
    """Poll until the RootSync's status.rendering names `commit` and holds an error."""
    return _wait_stage_error(admin, name, commit, "rendering")


def wait_source_error(admin: KubeHttp, name: str, commit: str) -> dict[str, Any]:
    """Poll until the RootSync's status.source names `commit` and holds an error."""
    return _wait_stage_error(admin, name, commit, "source")


def _wait_stage_error(admin: KubeHttp, name: str, commit: str, stage: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        obj = get_root_sync(admin, name)
        block = (obj.get("status") or {}).get(stage) or {}
        return obj if block.get("commit") == commit and block.get("errors") else None

    return wait_until(probe, timeout=TIMEOUT, what=f"{stage} errors on {name}", interval=0.2)
