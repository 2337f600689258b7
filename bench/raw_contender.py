"""`raw`: the practical ceiling, a parallel server-side apply client with no logic.

It parses the directory with yaml.CSafeLoader, then sends one SSA PATCH per
declared object from a thread pool over one keep-alive urllib3 pool, and
DELETEs the objects that were declared in its previous phase but no longer
are (its only memory: the previous phase's names; it never LISTs). Every
phase re-applies everything, since skipping unchanged objects is logic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import urllib3
import yaml

FIELD_MANAGER = "raw-bench"


class RequestError(RuntimeError):
    """The API server answered a request with an unexpected status."""


def read_manifests(directory: Path) -> Iterator[dict[str, Any]]:
    """Every non-empty YAML document in the directory's *.yaml files, in name order."""
    for path in sorted(directory.glob("*.yaml")):
        with path.open("rb") as stream:
            for doc in yaml.load_all(stream, Loader=yaml.CSafeLoader):
                if doc:
                    yield doc


def object_path(namespace: str, name: str) -> str:
    """The URL path of a core/v1 ConfigMap."""
    return f"/api/v1/namespaces/{quote(namespace)}/configmaps/{quote(name)}"


class RawContender:
    """Minimal parallel SSA client (ConfigMaps only, which is all the benchmark uses)."""

    def __init__(self, *, server: str, ca_file: Path, token: str, concurrency: int = 16) -> None:
        """Build the connection pool; nothing is sent until the first phase."""
        self._server = server.rstrip("/")
        self._concurrency = concurrency
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/apply-patch+yaml",
        }
        self._delete_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._http = urllib3.PoolManager(
            num_pools=2,
            maxsize=concurrency,
            block=True,
            cert_reqs="CERT_REQUIRED",
            ca_certs=str(ca_file),
            retries=False,
            timeout=urllib3.Timeout(connect=10.0, read=60.0),
        )
        self._namespace = ""
        self._previous: set[str] = set()

    @property
    def name(self) -> str:
        """Contender name."""
        return "raw"

    def setup(self, namespace: str) -> None:
        """Remember the namespace; objects without one go there."""
        self._namespace = namespace

    def run_phase(self, phase: str, manifest_dir: Path) -> None:
        """Apply every declared object and delete the ones dropped since last phase."""
        del phase  # every phase is the same: apply all, delete the difference
        docs = list(read_manifests(manifest_dir))
        declared: set[str] = set()
        work: list[Callable[[], None]] = []
        for doc in docs:
            if doc.get("apiVersion") != "v1" or doc.get("kind") != "ConfigMap":
                raise ValueError(f"raw handles only v1 ConfigMaps, got {doc.get('kind')!r}")
            meta = doc["metadata"]
            path = object_path(meta.get("namespace") or self._namespace, meta["name"])
            declared.add(path)
            work.append(self._applier(path, json.dumps(doc).encode()))
        for path in sorted(self._previous - declared):
            work.append(self._deleter(path))
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            for future in [pool.submit(job) for job in work]:
                future.result()
        self._previous = declared

    def close(self) -> None:
        """Close pooled connections."""
        self._http.clear()

    def _applier(self, path: str, body: bytes) -> Callable[[], None]:
        url = f"{self._server}{path}?fieldManager={FIELD_MANAGER}&force=true"

        def apply() -> None:
            resp = self._http.request("PATCH", url, body=body, headers=self._headers)
            if resp.status not in (200, 201):
                raise RequestError(f"apply {path}: {resp.status} {resp.data[:300]!r}")

        return apply

    def _deleter(self, path: str) -> Callable[[], None]:
        url = f"{self._server}{path}"

        def delete() -> None:
            resp = self._http.request("DELETE", url, headers=self._delete_headers)
            if resp.status not in (200, 202):
                raise RequestError(f"delete {path}: {resp.status} {resp.data[:300]!r}")

        return delete
