"""The render benchmark's package: object count, file split, and what the overlay does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.kustomize_package import (
    OVERLAY_LABEL,
    OVERLAY_LABEL_VALUE,
    RenderScenario,
    built_objects,
    write_package,
)
from bench.manifests import V1, V2
from bench.raw_contender import bodies, object_path


def _base_docs(root: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((root / "base").glob("cms-*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def test_the_base_holds_every_object_split_over_files_and_the_kustomization_lists_them(
    tmp_path: Path,
) -> None:
    scenario = RenderScenario(objects=250, per_file=100)
    write_package(scenario, "ns-a", tmp_path)
    files = sorted(p.name for p in (tmp_path / "base").glob("cms-*.yaml"))
    assert files == ["cms-000.yaml", "cms-001.yaml", "cms-002.yaml"]
    kustomization = yaml.safe_load((tmp_path / "base" / "kustomization.yaml").read_text())
    assert kustomization["resources"] == files
    docs = _base_docs(tmp_path)
    assert len(docs) == 250
    assert len({d["metadata"]["name"] for d in docs}) == 250
    assert all("namespace" not in d["metadata"] for d in docs)
    assert {d["data"]["version"] for d in docs} == {V1}


def test_the_overlay_sets_the_namespace_a_metadata_label_and_patches_every_configmap(
    tmp_path: Path,
) -> None:
    overlay = write_package(RenderScenario(objects=3, per_file=2), "ns-b", tmp_path)
    assert overlay == tmp_path / "overlay"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == "ns-b"
    assert kustomization["resources"] == ["../base"]
    assert kustomization["labels"] == [
        {"pairs": {OVERLAY_LABEL: OVERLAY_LABEL_VALUE}, "includeSelectors": False}
    ]
    (patch,) = kustomization["patches"]
    assert patch["target"] == {"kind": "ConfigMap"}
    assert yaml.safe_load(patch["patch"])["data"] == {"version": V2, "env": "production"}


def test_the_predicted_output_is_the_patched_labelled_base_in_the_namespace() -> None:
    scenario = RenderScenario(objects=5, per_file=2)
    objects = built_objects(scenario, "ns-c")
    assert len(objects) == 5
    assert {o["metadata"]["namespace"] for o in objects} == {"ns-c"}
    assert all(o["metadata"]["labels"][OVERLAY_LABEL] == OVERLAY_LABEL_VALUE for o in objects)
    assert {o["data"]["version"] for o in objects} == {V2}
    assert scenario.expected() == {o["metadata"]["name"]: V2 for o in objects}
    assert scenario.files == 3


def test_sizes_that_build_nothing_are_rejected() -> None:
    with pytest.raises(ValueError, match="positive"):
        RenderScenario(objects=0)
    with pytest.raises(ValueError, match="positive"):
        RenderScenario(objects=10, per_file=0)


def test_raw_turns_built_objects_into_one_apply_body_per_configmap() -> None:
    objects = built_objects(RenderScenario(objects=2), "ns-d")
    declared = bodies(objects, "elsewhere")
    assert sorted(declared) == [object_path("ns-d", "cm-00000"), object_path("ns-d", "cm-00001")]
    with pytest.raises(ValueError, match="only v1 ConfigMaps"):
        bodies([{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}], "ns")
