"""Generate the render benchmark's kustomize package: a base of ConfigMaps and one overlay.

The package root holds:

- `base/`: `kustomization.yaml` listing `cms-000.yaml`, `cms-001.yaml`, ...,
  each holding `per_file` ConfigMaps without a namespace (`data.version: v1`);
- `overlay/`: `kustomization.yaml` with `resources: [../base]`, a `namespace:`,
  a `labels:` entry (added to metadata only, not to selectors) and one
  strategic-merge patch targeting every ConfigMap (`data.version: v2`,
  `data.env: production`).

`kustomize build overlay` therefore outputs exactly `objects` ConfigMaps, all
in the overlay's namespace, carrying the overlay's label and the patched data;
`built_objects` says what that output is, without running kustomize.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from bench.manifests import BENCH_LABEL, V1, V2, name

BENCH_LABEL_VALUE: Final = "render-bench"
OVERLAY_LABEL: Final = "syncd.dev/overlay"
OVERLAY_LABEL_VALUE: Final = "production"
OVERLAY_DIR: Final = "overlay"
BASE_DIR: Final = "base"
KUSTOMIZATION: Final = "kustomization.yaml"
_API: Final = "kustomize.config.k8s.io/v1beta1"


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderScenario:
    """How large the package is and how it is split into files."""

    objects: int = 2000
    per_file: int = 100

    def __post_init__(self) -> None:
        """Reject sizes kustomize could not build into anything."""
        if self.objects <= 0 or self.per_file <= 0:
            raise ValueError("--objects and --per-file must be positive")

    @property
    def files(self) -> int:
        """How many base files hold the ConfigMaps."""
        return -(-self.objects // self.per_file)

    def expected(self) -> dict[str, str]:
        """Name -> `data.version` the built output declares (the overlay's patch: v2)."""
        return {name(i): V2 for i in range(self.objects)}


def base_configmap(index: int) -> dict[str, Any]:
    """One ConfigMap of the base: no namespace, the bench label, four small data keys."""
    digest = hashlib.sha256(f"render-bench-{index}".encode()).hexdigest()[:32]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name(index), "labels": {BENCH_LABEL: BENCH_LABEL_VALUE}},
        "data": {
            "index": str(index),
            "color": ("red", "green", "blue")[index % 3],
            "checksum": digest,
            "version": V1,
        },
    }


def overlay_patch() -> dict[str, Any]:
    """The strategic-merge patch the overlay applies to every ConfigMap."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "any"},
        "data": {"version": V2, "env": "production"},
    }


def base_kustomization(scenario: RenderScenario) -> dict[str, Any]:
    """The base's kustomization: its files, nothing else."""
    return {
        "apiVersion": _API,
        "kind": "Kustomization",
        "resources": [f"cms-{k:03d}.yaml" for k in range(scenario.files)],
    }


def overlay_kustomization(namespace: str) -> dict[str, Any]:
    """The overlay: the base, a namespace, a metadata-only label and one patch for all."""
    return {
        "apiVersion": _API,
        "kind": "Kustomization",
        "namespace": namespace,
        "resources": [f"../{BASE_DIR}"],
        "labels": [{"pairs": {OVERLAY_LABEL: OVERLAY_LABEL_VALUE}, "includeSelectors": False}],
        "patches": [
            {
                "target": {"kind": "ConfigMap"},
                "patch": yaml.safe_dump(overlay_patch(), sort_keys=False),
            }
        ],
    }


def write_package(scenario: RenderScenario, namespace: str, root: Path) -> Path:
    """Write the package into the new directory `root`; returns the overlay directory."""
    base = root / BASE_DIR
    overlay = root / OVERLAY_DIR
    base.mkdir(parents=True, exist_ok=False)
    overlay.mkdir()
    for k in range(scenario.files):
        indices = range(k * scenario.per_file, min((k + 1) * scenario.per_file, scenario.objects))
        docs = [base_configmap(i) for i in indices]
        text = yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False)
        (base / f"cms-{k:03d}.yaml").write_text(text)
    _write_yaml(base / KUSTOMIZATION, base_kustomization(scenario))
    _write_yaml(overlay / KUSTOMIZATION, overlay_kustomization(namespace))
    return overlay


def built_objects(scenario: RenderScenario, namespace: str) -> list[dict[str, Any]]:
    """What `kustomize build overlay` outputs, as objects (order aside)."""
    out = []
    patch = overlay_patch()["data"]
    for i in range(scenario.objects):
        obj = base_configmap(i)
        obj["metadata"]["namespace"] = namespace
        obj["metadata"]["labels"][OVERLAY_LABEL] = OVERLAY_LABEL_VALUE
        obj["data"].update(patch)
        out.append(obj)
    return out


def _write_yaml(path: Path, value: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(value, sort_keys=False))
