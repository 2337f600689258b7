"""The render benchmark's goal and time-split lines (pure: figures in, text and JSON out).

The issue's acceptance line: syncd's end-to-end cold sync of a 2,000-object
kustomize package within `RENDER_LIMIT` x `kustomize build` piped to the raw
client, in the same run. The goal is `None` (n/a) unless both ran and verified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from bench.goals import Timed, ratio

RENDER_LIMIT: Final = 1.2
BASELINE: Final = "kustomize+raw"
SUBJECT: Final = "syncd"


def evaluate(results: Mapping[str, Timed]) -> dict[str, Any]:
    """syncd/kustomize+raw in the cold phase, against the limit."""
    value = ratio(results, SUBJECT, BASELINE)
    return {
        "baseline": BASELINE,
        "ratio": value,
        "limit": RENDER_LIMIT,
        "met": None if value is None else value <= RENDER_LIMIT,
    }


def render(goal: Mapping[str, Any]) -> str:
    """The goal as one table row under a header."""
    value = goal["ratio"]
    seen = "n/a" if value is None else f"{value:.2f}x"
    verdict = {True: "met", False: "MISSED", None: "n/a"}[goal["met"]]
    if goal["met"] is False:
        over = (value / goal["limit"] - 1.0) * 100
        verdict += f" (by {over:.0f}% of the limit)"
    target = f"<= {goal['limit']:.2f}x"
    lines = [
        "== goal (render overhead, syncd) ==",
        f"{'goal':<34}{'measured':<12}{'target':<14}result",
        f"{'cold: syncd/kustomize+raw':<34}{seen:<12}{target:<14}{verdict}",
    ]
    return "\n".join(lines)


def round_ratios(ratios: Sequence[float | None]) -> str:
    """Each round's own syncd/kustomize+raw ratio (the median table pairs medians instead)."""
    shown = ", ".join("n/a" if r is None else f"{r:.2f}x" for r in ratios)
    return f"syncd/kustomize+raw within each round: {shown}"


def split_line(name: str, split: Mapping[str, float], seconds: float | None) -> str:
    """One contender's time split, each part with its share of the phase's wall time.

    Known keys: kustomize+raw's `kustomize_s`, `parse_s`, `apply_s`; syncd's
    `render_s` (the whole render call), of it `kustomize_s` and
    `render_other_s` (copy of the checkout, decode, source paths), then
    `rest_s` (validate, LIST, plan, inventory, apply, status).
    """
    total = seconds or 0.0

    def part(label: str, key: str) -> str:
        value = split.get(key, 0.0)
        share = f" {value / total:.0%}" if total > 0 else ""
        return f"{label} {value:.2f}s{share}"

    if "render_s" in split:
        parts = [
            part("render", "render_s")
            + f" (kustomize {split.get('kustomize_s', 0.0):.2f}s,"
            + f" copy+decode {split.get('render_other_s', 0.0):.2f}s)",
            part("rest (validate, LIST, plan, inventory, apply, status)", "rest_s"),
        ]
    else:
        parts = [
            part("kustomize", "kustomize_s"),
            part("parse", "parse_s"),
            part("apply", "apply_s"),
        ]
    return f"  {name} time split: " + ", ".join(parts)
