"""CRD generation: structural schemas, defaults equal to the models', committed files current."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from syncd.api import crdgen
from syncd.api.crdgen import (
    HEADER,
    CrdGenerationError,
    generate_crds,
    openapi_schema,
    render_crds_yaml,
)
from syncd.api.models import RepoSync, RootSync
from syncd.api.resourcegroup import ResourceGroup
from syncd.api.wire import KubeObject, WireModel

COMMITTED = Path(__file__).resolve().parents[3] / "manifests" / "crds"

STRUCTURAL_KEYS = {
    "type",
    "description",
    "properties",
    "required",
    "items",
    "enum",
    "default",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "additionalProperties",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
}


def test_committed_crds_match_the_generator() -> None:
    rendered = render_crds_yaml()
    committed = {path.name: path.read_text(encoding="utf-8") for path in COMMITTED.glob("*.yaml")}
    assert set(committed) == set(rendered), "run `python -m syncd.api.crdgen`"
    for name, text in rendered.items():
        assert committed[name] == text, f"{name} is stale: run `python -m syncd.api.crdgen`"


def test_rendered_files_carry_the_header_and_parse_back_to_the_crds() -> None:
    rendered = render_crds_yaml()
    assert list(rendered) == ["rootsync.yaml", "reposync.yaml", "resourcegroup.yaml"]
    for text, crd in zip(rendered.values(), generate_crds(), strict=True):
        assert text.startswith(HEADER)
        assert "&id" not in text
        assert yaml.safe_load(text) == crd


def _walk(node: dict[str, Any], path: str) -> list[str]:
    problems = [f"{path}: {key}" for key in node if key not in STRUCTURAL_KEYS]
    if "type" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        problems.append(f"{path}: no type")
    if node.get("type") == "array" and "items" not in node:
        problems.append(f"{path}: array without items")
    if "properties" in node and "additionalProperties" in node:
        problems.append(f"{path}: properties and additionalProperties")
    if "default" in node and node["default"] is None:
        problems.append(f"{path}: null default")
    for name, child in node.get("properties", {}).items():
        problems += _walk(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        problems += _walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        problems += _walk(node["additionalProperties"], f"{path}.*")
    return problems


@pytest.mark.parametrize("crd", generate_crds(), ids=lambda crd: crd["spec"]["names"]["kind"])
def test_every_schema_is_structural(crd: dict[str, Any]) -> None:
    (version,) = crd["spec"]["versions"]
    schema = version["schema"]["openAPIV3Schema"]
    assert _walk(schema, "") == []
    assert schema["properties"]["metadata"] == {"type": "object"}
    assert version["subresources"] == {"status": {}}
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["names"]["categories"] == ["syncd"]
    assert "shortNames" not in crd["spec"]["names"]


def test_helm_values_are_free_form() -> None:
    schema = openapi_schema(RootSync)
    values = schema["properties"]["spec"]["properties"]["helm"]["properties"]["values"]
    assert values["x-kubernetes-preserve-unknown-fields"] is True
    assert values["type"] == "object"


def test_sync_crds_print_ready_status_commit_errors_and_age() -> None:
    for crd in generate_crds()[:2]:
        columns = crd["spec"]["versions"][0]["additionalPrinterColumns"]
        default_columns = [
            (c["name"], c["type"], c["jsonPath"]) for c in columns if "priority" not in c
        ]
        assert default_columns == [
            ("Ready", "string", '.status.conditions[?(@.type=="Ready")].status'),
            ("Status", "string", ".status.summary.state"),
            ("Commit", "string", ".status.summary.shortCommit"),
            ("Errors", "integer", ".status.summary.errorCount"),
            ("Age", "date", ".metadata.creationTimestamp"),
        ]


def test_resource_group_crd_is_an_applyset_parent_type() -> None:
    crd = generate_crds()[2]
    assert crd["metadata"] == {
        "name": "resourcegroups.syncd.dev",
        "labels": {"applyset.kubernetes.io/is-parent-type": "true"},
    }


# -- the CRD's defaults are the models' defaults ---------------------------------------


def server_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """What structural defaulting in the API server does: fill absent fields, then recurse."""
    if isinstance(value, dict) and "properties" in schema:
        out = dict(value)
        for name, prop in schema["properties"].items():
            if name not in out and "default" in prop:
                out[name] = copy.deepcopy(prop["default"])
            if name in out:
                out[name] = server_defaults(out[name], prop)
        return out
    if isinstance(value, list) and "items" in schema:
        return [server_defaults(item, schema["items"]) for item in value]
    return value


def _obj(kind: str, spec: dict[str, Any] | None, status: dict[str, Any] | None = None) -> Any:
    obj: dict[str, Any] = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": kind,
        "metadata": {"name": "x", "namespace": "ns"},
    }
    if spec is not None:
        obj["spec"] = spec
    if status is not None:
        obj["status"] = status
    return obj


MINIMAL_STATUS = {
    "source": {"errorSummary": {}},
    "rendering": {
        "errors": [{"code": "SD1068", "message": "m", "resources": [{"kind": "K", "name": "n"}]}]
    },
    "sync": {"commit": "c"},
    "conditions": [{"type": "Ready", "status": "True"}],
    "summary": {"state": "Synced"},
}

MINIMAL_OBJECTS: list[tuple[type[KubeObject], Any]] = [
    (RootSync, _obj("RootSync", {"git": {"repo": "r"}})),
    (
        RootSync,
        _obj(
            "RootSync",
            {
                "git": {"repo": "r"},
                "override": {"prune": {}, "roleRefs": [{"kind": "ClusterRole", "name": "c"}]},
            },
            MINIMAL_STATUS,
        ),
    ),
    (
        RootSync,
        _obj(
            "RootSync",
            {"sourceType": "oci", "oci": {"image": "i", "verify": {"secretRef": {"name": "k"}}}},
        ),
    ),
    (
        RootSync,
        _obj(
            "RootSync",
            {
                "sourceType": "helm",
                "helm": {"repo": "https://c", "chart": "c", "valuesFileRefs": [{"name": "v"}]},
            },
        ),
    ),
    (RootSync, _obj("RootSync", {"sourceType": "local", "local": {"path": "/p"}})),
    (RepoSync, _obj("RepoSync", {"git": {"repo": "https://git.example/r"}}, MINIMAL_STATUS)),
    (ResourceGroup, _obj("ResourceGroup", None)),
    (
        ResourceGroup,
        _obj(
            "ResourceGroup",
            {"resources": [{"kind": "K", "name": "n"}]},
            {"objects": {"current": ["K/n"]}},
        ),
    ),
]


@pytest.mark.parametrize(("model", "obj"), MINIMAL_OBJECTS)
def test_server_defaulting_yields_exactly_what_to_object_writes(
    model: type[KubeObject], obj: dict[str, Any]
) -> None:
    defaulted = server_defaults(obj, openapi_schema(model))
    assert model.from_object(obj).to_object() == defaulted
    assert model.from_object(defaulted).to_object() == defaulted


# -- constructs a CRD cannot express are refused ------------------------------------------


class _UnionSpec(WireModel):
    choice: int | str = 0


class _PathSpec(WireModel):
    where: Path = Path()


class _UnionKind(KubeObject):
    kind: Literal["U"] = "U"
    spec: _UnionSpec
    status: _UnionSpec | None = None


class _PathKind(KubeObject):
    kind: Literal["P"] = "P"
    spec: _PathSpec
    status: _PathSpec | None = None


def test_unions_are_refused() -> None:
    with pytest.raises(CrdGenerationError, match="unions cannot be expressed"):
        openapi_schema(_UnionKind)


def test_formats_kubernetes_does_not_know_are_refused() -> None:
    with pytest.raises(CrdGenerationError, match=r"spec\.where: format 'path'"):
        openapi_schema(_PathKind)


# -- the command line ----------------------------------------------------------------------


def test_main_writes_the_files_and_check_passes_on_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "crds"
    assert crdgen.main(["--out", str(out)]) == 0
    assert {p.name: p.read_text() for p in out.iterdir()} == render_crds_yaml()
    assert crdgen.main(["--check", "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_fails_naming_stale_and_missing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert crdgen.main(["--out", str(tmp_path)]) == 0
    (tmp_path / "reposync.yaml").write_text("stale\n")
    (tmp_path / "resourcegroup.yaml").unlink()
    capsys.readouterr()
    assert crdgen.main(["--check", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "out of date: reposync.yaml, resourcegroup.yaml" in err
    assert "python -m syncd.api.crdgen" in err
    assert (tmp_path / "reposync.yaml").read_text() == "stale\n"
