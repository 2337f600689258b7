"""`syncd render` and `syncd vet` place and render objects as the controller would."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from syncd.cli.main import build_parser

ROOT_SYNC = """\
apiVersion: syncd.dev/v1beta1
kind: RootSync
metadata: {name: root, namespace: syncd-system}
spec: {defaultNamespace: team, git: {repo: "https://x/r.git"}}
"""
REPO_SYNC = """\
apiVersion: syncd.dev/v1beta1
kind: RepoSync
metadata: {name: repo, namespace: tenant-a}
spec: {git: {repo: "https://x/r.git"}}
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: '1'\n"


def _render(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parsed = build_parser().parse_args(["render", *args])
    code = parsed.handler(parsed)
    out, err = capsys.readouterr()
    return code, out, err


def _namespaces(out: str) -> list[str]:
    return [doc["metadata"].get("namespace", "") for doc in yaml.safe_load_all(out) if doc]


def test_a_namespaced_object_without_a_namespace_goes_to_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cm.yaml").write_text(CM)
    code, out, err = _render([str(tmp_path)], capsys)
    assert (code, err) == (0, "")
    assert _namespaces(out) == ["default"]


def test_the_default_namespace_can_be_set_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cm.yaml").write_text(CM)
    code, out, _ = _render(["--default-namespace", "apps", str(tmp_path)], capsys)
    assert code == 0
    assert _namespaces(out) == ["apps"]


@pytest.mark.parametrize(
    ("sync", "expected"),
    [
        (ROOT_SYNC, "team"),
        (REPO_SYNC, "tenant-a"),
    ],
)
def test_a_sync_manifest_gives_its_default_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sync: str, expected: str
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "cm.yaml").write_text(CM)
    (tmp_path / "sync.yaml").write_text(sync)
    code, out, _ = _render(["--sync", str(tmp_path / "sync.yaml"), str(package)], capsys)
    assert code == 0
    assert _namespaces(out) == [expected]


def test_a_sync_file_without_a_sync_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cm.yaml").write_text(CM)
    (tmp_path / "other.yaml").write_text(CM)
    code, out, err = _render(["--sync", str(tmp_path / "other.yaml"), str(tmp_path)], capsys)
    assert code == 2
    assert out == ""
    assert "holds no RootSync or RepoSync" in err


def test_a_cluster_scoped_object_with_a_namespace_is_still_sd1053(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ns.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, namespace: b}\n"
    )
    code, _, err = _render([str(tmp_path)], capsys)
    assert code == 1
    assert err.startswith("SD1053")


def test_vet_with_a_repo_sync_refuses_what_the_tenant_may_not_declare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "cm.yaml").write_text(CM)
    (package / "role.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\n"
    )
    (package / "other.yaml").write_text(CM.replace("name: settings", "name: o\n  namespace: b"))
    sync = tmp_path / "sync.yaml"
    sync.write_text(REPO_SYNC)
    parsed = build_parser().parse_args(["vet", "--sync", str(sync), str(package)])
    code = parsed.handler(parsed)
    out, err = capsys.readouterr()
    assert code == 1
    assert (out + err).count("SD1058") == 2
    assert "ClusterRole" in out + err
