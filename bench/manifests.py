"""Generate the benchmark's declared sets: YAML directories of ConfigMaps.

Object `i` is the ConfigMap `cm-<i>` and always lives in file
`cms-<i // per_file>.yaml`, so the change+prune directory is the cold one
with some documents edited (`version: v2`) and some dropped. Removed and
changed objects are spread evenly over the index range, so every file is
touched by the change+prune step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BENCH_LABEL = "syncd.dev/bench"
BENCH_LABEL_VALUE = "sync-bench"
MANAGED_RESOURCES = ("configmaps",)
"""The API resources the declared sets hold (the managed types of the resync goal)."""
V1 = "v1"
V2 = "v2"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """Which objects exist in each phase and which carry the changed value."""

    objects: int
    changed: int
    removed: int
    per_file: int = 100

    def __post_init__(self) -> None:
        """Reject impossible combinations."""
        if self.objects <= 0 or self.per_file <= 0:
            raise ValueError("--objects and the documents per file must be positive")
        if not 0 <= self.removed <= self.objects:
            raise ValueError("--removed must be between 0 and --objects")
        if not 0 <= self.changed <= self.objects - self.removed:
            raise ValueError("--changed must be between 0 and --objects minus --removed")

    @property
    def removed_indices(self) -> frozenset[int]:
        """Indices dropped by change+prune, spread evenly over the range."""
        return frozenset((k * self.objects) // self.removed for k in range(self.removed))

    @property
    def kept_indices(self) -> list[int]:
        """Indices still declared after change+prune, ascending."""
        removed = self.removed_indices
        return [i for i in range(self.objects) if i not in removed]

    @property
    def changed_indices(self) -> frozenset[int]:
        """Kept indices whose `version` becomes v2, spread evenly over the kept ones."""
        kept = self.kept_indices
        return frozenset(kept[(k * len(kept)) // self.changed] for k in range(self.changed))

    def expected(self, phase_is_final: bool) -> dict[str, str]:
        """Name -> expected `data.version` after cold/resync (False) or change+prune (True)."""
        if not phase_is_final:
            return {name(i): V1 for i in range(self.objects)}
        changed = self.changed_indices
        return {name(i): V2 if i in changed else V1 for i in self.kept_indices}


def name(index: int) -> str:
    """The ConfigMap name of object `index`."""
    return f"cm-{index:05d}"


def configmap(index: int, namespace: str, version: str) -> dict[str, Any]:
    """One small ConfigMap with a few data keys."""
    digest = hashlib.sha256(f"bench-{index}".encode()).hexdigest()[:32]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name(index),
            "namespace": namespace,
            "labels": {BENCH_LABEL: BENCH_LABEL_VALUE},
        },
        "data": {
            "index": str(index),
            "color": ("red", "green", "blue")[index % 3],
            "checksum": digest,
            "version": version,
        },
    }


def _write_files(directory: Path, docs: Mapping[int, Iterable[dict[str, Any]]]) -> None:
    directory.mkdir(parents=True, exist_ok=False)
    for file_index, file_docs in sorted(docs.items()):
        text = yaml.dump_all(file_docs, Dumper=yaml.CSafeDumper, sort_keys=False)
        (directory / f"cms-{file_index:03d}.yaml").write_text(text)


def write_cold(scenario: Scenario, namespace: str, directory: Path) -> None:
    """Write all objects with version v1 (the cold and resync declared set)."""
    files: dict[int, list[dict[str, Any]]] = {}
    for i in range(scenario.objects):
        files.setdefault(i // scenario.per_file, []).append(configmap(i, namespace, V1))
    _write_files(directory, files)


def write_change_prune(scenario: Scenario, namespace: str, directory: Path) -> None:
    """Write the kept objects, the changed ones with version v2."""
    changed = scenario.changed_indices
    files: dict[int, list[dict[str, Any]]] = {}
    for i in scenario.kept_indices:
        version = V2 if i in changed else V1
        files.setdefault(i // scenario.per_file, []).append(configmap(i, namespace, version))
    _write_files(directory, files)
