"""`syncd vet` and `syncd render` judge a directory with the controller's own rules."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from syncd.cli.main import build_parser
from syncd.cli.package import limits_from
from syncd.cli.render_cmd import render
from syncd.cli.vet_cmd import vet
from syncd.core.limits import DEPTH_CEILING, DecodeLimits


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
            "orphan.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, namespace: y}\n",
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


SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: injected\n  namespace: app\n"


def _lines_are_honest(text: str) -> None:
    """Every line of vet output is an error (SDxxxx: ...) or the closing summary."""
    *errors, summary = text.splitlines()
    assert all(line.startswith("SD") for line in errors), errors
    assert summary.endswith(("error", "errors"))


def test_a_file_name_with_newlines_cannot_add_objects_to_render_output(tmp_path: Path) -> None:
    evil = f"a.yaml\n---\n{SECRET}# x.yaml"
    root = _write(tmp_path, {"ns.yaml": NS, "b.yaml": _cm("b"), evil: _cm("evil")})
    out, err = io.StringIO(), io.StringIO()
    assert render(root, kubeconfig=None, out=out, err=err) == 1
    docs = [d for d in yaml.safe_load_all(out.getvalue()) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("Namespace", "app"),
        ("ConfigMap", "b"),
    ]
    [line] = err.getvalue().splitlines()
    assert line.startswith('SD1006: "a.yaml\\n---\\napiVersion: v1\\nkind: Secret')

    vet_out = io.StringIO()
    assert vet(root, kubeconfig=None, out=vet_out) == 1
    _lines_are_honest(vet_out.getvalue())
    assert vet_out.getvalue().endswith(": 2 objects, 1 error\n")


def test_names_from_the_package_cannot_forge_vet_or_render_lines(tmp_path: Path) -> None:
    forged = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        '  name: "x\\nSD0000: all good\\r\\u2028"\n  namespace: app\n'
    )
    root = _write(tmp_path, {"ns.yaml": NS, "forged.yaml": forged})
    out = io.StringIO()
    assert vet(root, kubeconfig=None, out=out) == 1
    _lines_are_honest(out.getvalue())
    assert "x\\nSD0000: all good\\r\\u2028" in out.getvalue()
    err = io.StringIO()
    render(root, kubeconfig=None, out=io.StringIO(), err=err)
    assert len(err.getvalue().splitlines()) == 1


def test_deep_json_is_sd1072_in_vet_and_render_and_render_does_not_crash(tmp_path: Path) -> None:
    deep = (
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep", '
        '"namespace": "app"}, "data": ' + "[" * 400 + "]" * 400 + "}"
    )
    root = _write(tmp_path, {"ns.yaml": NS, "deep.json": deep, "b.yaml": _cm("b")})
    out = io.StringIO()
    assert vet(root, kubeconfig=None, out=out) == 1
    assert out.getvalue().startswith("SD1072: deep.json: lists and mappings nest deeper than 100")
    rendered, err = io.StringIO(), io.StringIO()
    assert render(root, kubeconfig=None, out=rendered, err=err) == 1
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(rendered.getvalue()) if d]
    assert names == ["app", "b"]


def test_limits_can_be_set_on_the_command_line(tmp_path: Path) -> None:
    root = _write(tmp_path, {"ns.yaml": NS, "a.yaml": _cm("a"), "b.yaml": _cm("b")})
    args = build_parser().parse_args(["vet", "--max-objects", "2", str(root)])
    assert limits_from(args) == DecodeLimits(max_objects=2)
    out = io.StringIO()
    assert vet(root, kubeconfig=None, out=out, limits=limits_from(args)) == 1
    assert "SD1072: the package declares more than 2 documents and objects" in out.getvalue()
    deep = build_parser().parse_args(["render", "--max-depth", "5000", str(root)])
    assert limits_from(deep).max_depth == DEPTH_CEILING
