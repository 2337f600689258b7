"""Which directories a renderer reads, and the private copy renderers run in."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.core.errors import RenderError
from syncd.core.render import RendererKind
from syncd.render.detect import Unit, find_units
from syncd.render.workdir import copy_tree


def _touch(root: Path, *paths: str) -> None:
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x: 1\n")


def test_the_first_marked_directory_on_each_path_is_one_unit(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "plain.yaml",
        "apps/kustomization.yaml",
        "apps/nested/Chart.yaml",  # under a kustomization: kustomize reads it, not Helm
        "charts/web/Chart.yaml",
        "fn/Kptfile",
        "other/Kustomization",
        ".hidden/kustomization.yaml",
    )
    assert find_units(tmp_path) == (
        Unit(directory="apps", renderer=RendererKind.KUSTOMIZE),
        Unit(directory="charts/web", renderer=RendererKind.HELM),
        Unit(directory="fn", renderer=RendererKind.KPT),
        Unit(directory="other", renderer=RendererKind.KUSTOMIZE),
    )


def test_a_marker_in_the_package_directory_renders_all_of_it(tmp_path: Path) -> None:
    _touch(tmp_path, "kustomization.yml", "sub/Chart.yaml")
    assert find_units(tmp_path) == (Unit(directory=".", renderer=RendererKind.KUSTOMIZE),)


def test_a_pinned_renderer_takes_the_whole_package(tmp_path: Path) -> None:
    _touch(tmp_path, "a/kustomization.yaml")
    assert find_units(tmp_path, pinned=RendererKind.HELM) == (
        Unit(directory=".", renderer=RendererKind.HELM),
    )
    assert find_units(tmp_path, pinned=RendererKind.PLAIN) == ()


def test_a_symlinked_marker_or_directory_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _touch(elsewhere, "kustomization.yaml")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "linked").symlink_to(elsewhere, target_is_directory=True)
    (package / "Chart.yaml").symlink_to(elsewhere / "kustomization.yaml")
    assert find_units(package) == ()


def test_the_copy_keeps_files_and_inner_links_and_drops_links_that_leave(tmp_path: Path) -> None:
    source = tmp_path / "src"
    _touch(source, "a/one.yaml", "b/two.yaml", ".git/config")
    (source / "a" / "inner").symlink_to("../b/two.yaml")
    (source / "a" / "token").symlink_to("/etc/passwd")
    (source / "a" / "up").symlink_to("../../outside.yaml")
    _touch(tmp_path, "outside.yaml")
    copy = tmp_path / "copy"
    copy_tree(source, copy)
    assert (copy / "a" / "one.yaml").read_text() == "x: 1\n"
    assert (copy / "a" / "inner").read_text() == "x: 1\n"
    assert (copy / "a" / "inner").readlink() == Path("../b/two.yaml")
    assert not (copy / "a" / "token").exists()
    assert not (copy / "a" / "up").exists()
    assert not (copy / ".git").exists()


def test_a_checkout_too_large_to_copy_is_sd1068(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(b"0" * 2048)
    with pytest.raises(RenderError, match="larger than"):
        copy_tree(source, tmp_path / "copy", max_bytes=1024)
