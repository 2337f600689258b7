"""Decoding a directory: file walk, multi-document YAML, JSON, Lists, local config, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from syncd.core.errors import ErrorCode
from syncd.core.refs import ObjectRef
from syncd.parse.decode import decode_directory, decode_text


def cm(name: str, namespace: str = "ns", **extra: object) -> dict[str, object]:
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    metadata.update(extra)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"k": "v"}}


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def names(result: object) -> list[str]:
    return [m.ref.name for m in result.manifests]  # type: ignore[attr-defined]


def test_reads_yaml_yml_and_json_recursively_in_sorted_path_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", yaml.safe_dump(cm("b")))
    write(tmp_path, "a/z.yml", yaml.safe_dump(cm("az")))
    write(tmp_path, "a.json", json.dumps(cm("ajson")))
    write(tmp_path, "README.md", "apiVersion: v1\n")
    write(tmp_path, "notes.txt", "kind: ConfigMap\n")
    result = decode_directory(tmp_path)
    assert result.errors == ()
    assert result.complete
    assert names(result) == ["ajson", "az", "b"]
    assert [m.source_path for m in result.manifests] == ["a.json", "a/z.yml", "b.yaml"]


def test_hidden_files_and_directories_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, ".git/config.yaml", yaml.safe_dump(cm("git")))
    write(tmp_path, ".hidden.yaml", yaml.safe_dump(cm("hidden")))
    write(tmp_path, "dir/.github/workflow.yaml", "on: push\n")
    write(tmp_path, "ok.yaml", yaml.safe_dump(cm("ok")))
    assert names(decode_directory(tmp_path)) == ["ok"]


def test_symlinks_out_of_the_root_are_errors_and_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    write(outside, "secret.yaml", yaml.safe_dump(cm("outside")))
    write(root, "inside.yaml", yaml.safe_dump(cm("inside")))
    (root / "link.yaml").symlink_to(outside / "secret.yaml")
    (root / "alias.yaml").symlink_to(root / "inside.yaml")
    (root / "linkdir").symlink_to(outside)
    result = decode_directory(root)
    # the in-root file symlink is read (a duplicate that validation will report)
    assert names(result) == ["inside", "inside"]
    assert [e.code for e in result.errors] == [ErrorCode.PARSE_ERROR]
    assert "link.yaml" in result.errors[0].message
    assert "outside the source directory" in result.errors[0].message


def test_missing_root_is_an_error() -> None:
    result = decode_directory(Path("/nonexistent/syncd-test-root"))
    assert result.manifests == ()
    assert not result.complete


def test_multi_document_streams_skip_empty_documents() -> None:
    text = (
        "---\n---\n"
        + yaml.safe_dump(cm("a"))
        + "---\n# only a comment\n---\n"
        + yaml.safe_dump(cm("b"))
    )
    result = decode_text(text, source_path="x.yaml")
    assert result.errors == ()
    assert names(result) == ["a", "b"]


def test_a_file_of_only_separators_declares_nothing() -> None:
    result = decode_text("---\n---\n---\n", source_path="x.yaml")
    assert result.manifests == ()
    assert result.errors == ()


def test_manifests_carry_identity_body_and_source_path() -> None:
    [manifest] = decode_text(yaml.safe_dump(cm("a")), source_path="dir/app.yaml").manifests
    assert manifest.ref == ObjectRef(group="", kind="ConfigMap", namespace="ns", name="a")
    assert manifest.ref.version == "v1"
    assert manifest.body["data"] == {"k": "v"}
    assert manifest.source_path == "dir/app.yaml"


def test_json_files_are_decoded_as_one_document() -> None:
    result = decode_text(json.dumps(cm("a")), source_path="a.json")
    assert names(result) == ["a"]


def test_json_syntax_errors_report_line_and_column() -> None:
    result = decode_text('{\n  "apiVersion": "v1",\n  oops\n}', source_path="bad.json")
    assert result.manifests == ()
    [error] = result.errors
    assert error.code is ErrorCode.PARSE_ERROR
    assert error.message.startswith("bad.json:3:3: ")


def test_yaml_syntax_error_reports_line_and_column_and_drops_the_whole_file() -> None:
    text = yaml.safe_dump(cm("good")) + "---\nmetadata: [unclosed\n"
    result = decode_text(text, source_path="dir/bad.yaml")
    assert result.manifests == ()
    [error] = result.errors
    assert error.code is ErrorCode.PARSE_ERROR
    assert error.message.startswith("dir/bad.yaml:")
    line = int(error.message.split(":")[1])
    assert line == len(yaml.safe_dump(cm("good")).splitlines()) + 3


def test_document_without_identity_is_reported_and_its_siblings_are_kept() -> None:
    no_name = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "ns"}}
    text = (
        yaml.safe_dump(cm("a"))
        + "---\n"
        + yaml.safe_dump(no_name)
        + "---\n"
        + yaml.safe_dump(cm("b"))
    )
    result = decode_text(text, source_path="x.yaml")
    assert names(result) == ["a", "b"]
    [error] = result.errors
    assert error.code is ErrorCode.PARSE_ERROR
    line = len(yaml.safe_dump(cm("a")).splitlines()) + 2
    assert error.message == f"x.yaml:{line}: document 2: metadata.name is missing or not a string"
    assert not decode_text(text, source_path="x.yaml").complete


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a\n- b\n", "not a mapping (found list)"),
        ("just a string\n", "not a mapping (found str)"),
        ("kind: ConfigMap\nmetadata: {name: a}\n", "apiVersion is missing"),
        ("apiVersion: v1\nmetadata: {name: a}\n", "kind is missing"),
        ("apiVersion: v1\nkind: ConfigMap\n", "metadata is missing"),
        ("{}\n", "apiVersion is missing"),
    ],
)
def test_documents_that_are_not_objects_are_parse_errors(text: str, problem: str) -> None:
    [error] = decode_text(text, source_path="f.yaml").errors
    assert error.code is ErrorCode.PARSE_ERROR
    assert error.message.startswith("f.yaml:1: document 1: ")
    assert problem in error.message


def test_list_kinds_are_expanded() -> None:
    doc = {"apiVersion": "v1", "kind": "List", "items": [cm("a"), cm("b")]}
    typed = {"apiVersion": "v1", "kind": "ConfigMapList", "items": [cm("c")]}
    text = yaml.safe_dump(doc) + "---\n" + yaml.safe_dump(typed)
    result = decode_text(text, source_path="list.yaml")
    assert result.errors == ()
    assert names(result) == ["a", "b", "c"]
    assert {m.source_path for m in result.manifests} == {"list.yaml"}


def test_a_kind_ending_in_list_without_items_is_an_ordinary_object() -> None:
    obj = {"apiVersion": "x.io/v1", "kind": "AllowList", "metadata": {"name": "a"}, "spec": {}}
    assert names(decode_text(yaml.safe_dump(obj), source_path="x.yaml")) == ["a"]


def test_bad_list_items_are_reported_with_their_line() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: ns}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {namespace: ns}\n"
        "- 42\n"
    )
    result = decode_text(text, source_path="l.yaml")
    assert names(result) == ["a"]
    messages = [e.message for e in result.errors]
    assert messages[0].startswith("l.yaml:7: document 1, items[1]: metadata.name")
    assert messages[1] == "l.yaml:10: document 1, items[2]: not a mapping (found int)"


def test_local_config_objects_are_skipped() -> None:
    annotations = {"config.kubernetes.io/local-config": "true"}
    kptfile = {
        "apiVersion": "kpt.dev/v1",
        "kind": "Kptfile",
        "metadata": {"annotations": annotations},
    }
    local = cm("local", annotations=annotations)
    not_local = cm("kept", annotations={"config.kubernetes.io/local-config": "false"})
    in_list = {"apiVersion": "v1", "kind": "List", "items": [local, cm("listed")]}
    text = "---\n".join(yaml.safe_dump(d) for d in (kptfile, local, not_local, in_list))
    result = decode_text(text, source_path="x.yaml")
    assert result.errors == ()
    assert names(result) == ["kept", "listed"]


def test_yaml_is_read_like_kubernetes_reads_it() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
        "data:\n  date: 2024-01-01\n  1: one\n  true: yes\n"
        "spec:\n  replicas: 3\n  ratio: 0.5\n  enabled: yes\n  none: ~\n"
    )
    [manifest] = decode_text(text, source_path="x.yaml").manifests
    assert manifest.body["data"] == {"date": "2024-01-01", "1": "one", "true": True}
    assert manifest.body["spec"] == {"replicas": 3, "ratio": 0.5, "enabled": True, "none": None}
    json.dumps(manifest.body, sort_keys=True)  # JSON-compatible


def test_anchors_and_merge_keys_are_supported() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
        "x: &base {a: 1, b: 2}\ny:\n  <<: *base\n  b: 3\nz: *base\n"
    )
    [manifest] = decode_text(text, source_path="x.yaml").manifests
    assert manifest.body["y"] == {"a": 1, "b": 3}
    assert manifest.body["z"] == {"a": 1, "b": 2}


@pytest.mark.parametrize(
    "value",
    ["!!binary aGVsbG8=", "!!set {a: null}", "!!timestamp 2024-01-01", "!custom x"],
)
def test_tags_without_a_json_form_are_parse_errors(value: str) -> None:
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata:\n  x: {value}\n"
    result = decode_text(text, source_path="x.yaml")
    assert result.manifests == ()
    [error] = result.errors
    assert error.message.startswith("x.yaml:5:")


def test_alias_bombs_are_refused() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    result = decode_text("\n".join(lines) + "\n", source_path="bomb.yaml")
    assert result.manifests == ()
    assert "expands to more than" in result.errors[0].message


def test_non_utf8_files_are_parse_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"apiVersion: v1\nkind: \xff\n")
    write(tmp_path, "ok.yaml", yaml.safe_dump(cm("ok")))
    result = decode_directory(tmp_path)
    assert names(result) == ["ok"]
    assert result.errors[0].message.startswith("bad.yaml: cannot be read")
