"""The render benchmark's goal, time-split lines, namespace slugs and package revision."""

from __future__ import annotations

from pathlib import Path

from bench.kustomize_package import RenderScenario, write_package
from bench.render_bench import slug
from bench.render_goal import evaluate, render, round_ratios, split_line
from bench.report import PhaseResult
from bench.syncd_render_contender import PackageSource


def _ok(seconds: float) -> PhaseResult:
    return PhaseResult(seconds=seconds, verified=True)


def test_the_goal_is_met_up_to_the_limit_and_missed_past_it() -> None:
    met = evaluate({"kustomize+raw": _ok(10.0), "syncd": _ok(12.0)})
    assert met["met"] is True
    assert met["ratio"] == 1.2
    missed = evaluate({"kustomize+raw": _ok(10.0), "syncd": _ok(15.0)})
    assert missed["met"] is False
    assert "1.50x" in render(missed)
    assert "MISSED (by 25% of the limit)" in render(missed)


def test_the_goal_is_na_when_a_contender_did_not_run_or_verify() -> None:
    assert evaluate({"syncd": _ok(1.0)})["met"] is None
    failed = PhaseResult(seconds=1.0, verified=False, problem="bad")
    goal = evaluate({"kustomize+raw": _ok(1.0), "syncd": failed})
    assert goal["met"] is None
    assert "n/a" in render(goal)


def test_split_lines_give_each_part_and_its_share() -> None:
    syncd = split_line(
        "syncd",
        {"render_s": 6.0, "kustomize_s": 5.5, "render_other_s": 0.5, "rest_s": 4.0},
        10.0,
    )
    assert "render 6.00s 60% (kustomize 5.50s, copy+decode 0.50s)" in syncd
    assert syncd.endswith("4.00s 40%")
    raw = split_line("kustomize+raw", {"kustomize_s": 3.0, "parse_s": 1.0, "apply_s": 4.0}, 8.0)
    assert raw.endswith("time split: kustomize 3.00s 38%, parse 1.00s 12%, apply 4.00s 50%")
    assert "%" not in split_line("x", {"kustomize_s": 1.0}, None)


def test_contender_names_become_namespace_parts() -> None:
    assert slug("kustomize+raw") == "kustomize-raw"
    assert slug("syncd") == "syncd"


def test_the_package_revision_covers_the_base_too(tmp_path: Path) -> None:
    overlay = write_package(RenderScenario(objects=4, per_file=2), "ns", tmp_path / "pkg")
    source = PackageSource()
    source.directory = overlay
    first = source.resolve()
    assert source.resolve() == first
    snapshot = source.fetch(first)
    assert (snapshot.directory, snapshot.root) == (overlay, tmp_path / "pkg")
    base_file = tmp_path / "pkg" / "base" / "cms-001.yaml"
    base_file.write_text(base_file.read_text().replace("v1", "v3"))
    assert source.resolve() != first


def test_each_rounds_own_ratio_is_listed_in_round_order() -> None:
    assert round_ratios([0.9, None, 1.25]).endswith("within each round: 0.90x, n/a, 1.25x")
