"""`raw`: the practical ceiling, a parallel server-side apply client with no logic.

It parses the directory with yaml.CSafeLoader, then sends one SSA PATCH per
declared object from a thread pool over one keep-alive urllib3 pool, and
DELETEs the objects that were declared in its previous phase but no longer
are (its only memory: the previous phase's bodies; it never LISTs). Every
phase re-applies everything, since skipping unchanged objects is logic.

`SsaContender` holds everything but that choice (parsing, the pool, the
requests, the parallel batch); `ideal_contender.py` subclasses it and sends
only what changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import urllib3
import yaml


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


def declared_bodies(directory: Path, default_namespace: str) -> dict[str, bytes]:
    """Object URL path -> JSON apply body, for every ConfigMap the directory declares."""
    return bodies(read_manifests(directory), default_namespace)


def bodies(docs: Iterable[dict[str, Any]], default_namespace: str) -> dict[str, bytes]:
    """Object URL path -> JSON apply body, for every ConfigMap in `docs`."""
    declared: dict[str, bytes] = {}
    for doc in docs:
        if doc.get("apiVersion") != "v1" or doc.get("kind") != "ConfigMap":
            raise ValueError(
                f"the SSA contenders handle only v1 ConfigMaps, got {doc.get('kind')!r}"
            )
        meta = doc["metadata"]
        path = object_path(meta.get("namespace") or default_namespace, meta["name"])
        declared[path] = json.dumps(doc).encode()
    return declared


class SsaContender:
    """Parallel SSA client (ConfigMaps only, which is all the benchmark uses).

    Each phase: parse the directory, let `to_apply` pick the bodies to send,
    and send those applies plus one DELETE per object declared last phase and
    not now, all in one batch from `concurrency` threads.
    """

    name: ClassVar[str]
    field_manager: ClassVar[str]

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
        self._previous: dict[str, bytes] = {}

    def setup(self, namespace: str) -> None:
        """Remember the namespace; objects without one go there."""
        self._namespace = namespace

    def to_apply(self, declared: Mapping[str, bytes], previous: Mapping[str, bytes]) -> list[str]:
        """The paths (keys of `declared`) to apply this phase."""
        raise NotImplementedError

    def declare(self, manifest_dir: Path) -> dict[str, bytes]:
        """The phase's declared bodies: the directory's YAML files, parsed (timed)."""
        return declared_bodies(manifest_dir, self._namespace)

    def run_phase(self, phase: str, manifest_dir: Path) -> None:
        """Apply what `to_apply` picks and delete what was dropped since the last phase."""
        del phase  # every phase is the same: the difference decides
        declared = self.declare(manifest_dir)
        work: list[Callable[[], None]] = [
            self._applier(path, declared[path]) for path in self.to_apply(declared, self._previous)
        ]
        work.extend(self._deleter(path) for path in sorted(self._previous.keys() - declared))
        if work:
            with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
                for future in [pool.submit(job) for job in work]:
                    future.result()
        self._previous = declared

    def close(self) -> None:
        """Close pooled connections."""
        self._http.clear()

    def _applier(self, path: str, body: bytes) -> Callable[[], None]:
        url = f"{self._server}{path}?fieldManager={self.field_manager}&force=true"

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


class RawContender(SsaContender):
    """Re-applies every declared object every phase: no logic at all."""

    name = "raw"
    field_manager = "raw-bench"

    def to_apply(self, declared: Mapping[str, bytes], previous: Mapping[str, bytes]) -> list[str]:
        """Everything declared."""
        del previous
        return list(declared)
