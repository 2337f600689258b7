"""`syncd vet` and `syncd render` judge a directory with the controller's own rules."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from syncd.cli.render_cmd import render
from syncd.cli.vet_cmd import vet


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


NS = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n"


def _cm(name: str, extra: str = "") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: app\n{extra}"


def test_a_clean_package_passes(tmp_path: Path) -> None:
    root = _write(tmp_path, {"ns.yaml": NS, "a.yaml": _cm("a")})
    out = io.StringIO()
    assert vet(root, kubeconfig=None, out=out) == 0
    assert out.getvalue().endswith(": 2 objects, 0 errors\n")


def test_errors_are_listed_with_codes_and_files_and_fail_the_run(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "ns.yaml": NS,
            "bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n",
            "one.yaml": _cm("dup"),
            "two.yaml": _cm("dup"),
            "orphan.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nons\n",
        },
    )
    out = io.StringIO()
    assert vet(root, kubeconfig=None, out=out) == 1
    text = out.getvalue()
    lines = text.splitlines()

    def line_with(code: str) -> str:
        return next(line for line in lines if line.startswith(code))

    assert "bad.yaml" in line_with("SD1006")
    assert "one.yaml" in line_with("SD1029")
    assert "two.yaml" in line_with("SD1029")
    assert "orphan.yaml" in line_with("SD1053")


def test_vet_refuses_a_missing_directory(tmp_path: Path) -> None:
    out = io.StringIO()
    assert vet(tmp_path / "nope", kubeconfig=None, out=out) == 2
    assert "is not a directory" in out.getvalue()


def test_render_prints_objects_in_apply_order_with_their_sources(tmp_path: Path) -> None:
    dependent = _cm(
        "late",
        "  annotations:\n    config.kubernetes.io/depends-on: /namespaces/app/ConfigMap/early\n",
    )
    root = _write(
        tmp_path,
        {
            "a-late.yaml": dependent,
            "b-early.yaml": _cm("early"),
            "z-ns.yaml": NS,
            "local.yaml": _cm(
                "local", '  annotations:\n    config.kubernetes.io/local-config: "true"\n'
            ),
        },
    )
    out, err = io.StringIO(), io.StringIO()
    assert render(root, kubeconfig=None, out=out, err=err) == 0
    docs = [d for d in yaml.safe_load_all(out.getvalue()) if d]
    assert [d["metadata"]["name"] for d in docs] == ["app", "early", "late"]
    assert "# Source: z-ns.yaml" in out.getvalue()
    assert err.getvalue() == ""
