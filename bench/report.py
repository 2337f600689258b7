"""One contender's figures for one phase, and how the harness prints and serialises them.

Each phase table has a row per contender: wall seconds, the time as a
multiple of raw's and of ideal's (`/raw`, `/ideal`), requests per object,
requests by verb, writes, non-2xx answers and the verification result; the
lines under it give requests by resource, background writes, CPU and notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bench import metrics
from bench.contender import COLD, RESYNC
from bench.goals import ratio
from bench.manifests import Scenario

BASELINES: Final = ("raw", "ideal")
RATIOS: Final = (
    ("syncd", "raw"),
    ("syncd", "ideal"),
    ("syncd", "kubectl"),
    ("ideal", "raw"),
    ("kubectl", "raw"),
)


@dataclass(slots=True, kw_only=True)
class PhaseResult:
    """One contender's figures for one phase."""

    seconds: float | None = None
    requests: metrics.Delta | None = None
    verified: bool = False
    problem: str = ""
    background: dict[str, int] = field(default_factory=dict)
    """Writes in `requests` that the API server itself made (lease renewals)."""
    notes: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: dict[str, float | None] = field(default_factory=dict)
    load_1m: float | None = None
    round_seconds: list[float] = field(default_factory=list)
    """Wall seconds of every round (this result is the median round's)."""


def phase_title(phase: str, scenario: Scenario) -> str:
    if phase == COLD:
        return f"cold: apply {scenario.objects} ConfigMaps into an empty namespace"
    if phase == RESYNC:
        return f"resync: sync the unchanged {scenario.objects} ConfigMaps again"
    kept = scenario.objects - scenario.removed
    return (
        f"change+prune: {scenario.changed} changed, {scenario.removed} removed "
        f"({kept} still declared)"
    )


def phase_objects(phase: str, scenario: Scenario) -> int:
    """Denominator for requests per object: objects declared before or after the phase."""
    del phase  # every phase concerns all N objects (change+prune: kept + removed)
    return scenario.objects


def spread(seconds: Sequence[float]) -> str:
    """`1.100, 1.230, 1.500 s (3 rounds)`: every round's figure, in round order."""
    return ", ".join(f"{s:.3f}" for s in seconds) + f" s ({len(seconds)} rounds)"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def detail_lines(name: str, res: PhaseResult) -> list[str]:
    """The indented lines under a phase table for one contender."""
    lines: list[str] = []
    if len(res.round_seconds) > 1:
        lines.append(f"  {name} seconds by round: {spread(res.round_seconds)}")
    if res.requests is not None:
        by_res = ", ".join(f"{r}={n}" for r, n in res.requests.by_resource.items()) or "none"
        lines.append(f"  {name} requests by resource: {by_res}")
        if res.requests.errors:
            bad = ", ".join(f"{k}={n}" for k, n in res.requests.error_detail().items())
            lines.append(f"  {name} non-2xx answers: {bad}")
    if res.background:
        made = ", ".join(f"{k}={n}" for k, n in res.background.items())
        lines.append(f"  {name} writes include the API server's own lease renewals: {made}")
    if res.cpu_seconds:
        spent = ", ".join(
            f"{k} {'?' if v is None else f'{v:.2f}'}" for k, v in res.cpu_seconds.items()
        )
        lines.append(f"  {name} cpu seconds: {spent} (load 1m at start {res.load_1m})")
    if res.notes:
        notes = ", ".join(f"{k}={v}" for k, v in res.notes.items())
        lines.append(f"  {name} notes: {notes}")
    return lines


def _row(
    name: str,
    res: PhaseResult,
    results: dict[str, PhaseResult],
    objects: int,
    *,
    baselines: Sequence[str],
    widths: tuple[int, int],
) -> str:
    name_width, ratio_width = widths
    secs = "-" if res.seconds is None else f"{res.seconds:.3f}"
    versus = "".join(f"{fmt_ratio(ratio(results, name, b)):>{ratio_width}}" for b in baselines)
    req = res.requests
    verbs = metrics.VERBS
    if req is None:
        counts = " " * (9 + 10 + 8 * len(verbs) + 7 + 8 + 8)
    else:
        counts = (
            f"{req.total / objects:>9.2f}{req.total:>10}"
            + "".join(f"{req.by_verb.get(v, 0):>8}" for v in verbs)
            + f"{req.other_verbs():>7}{req.writes:>8}{req.errors:>8}"
        )
    status = "ok" if res.verified else f"FAILED: {res.problem}"
    return f"{name:<{name_width}}{secs:>10}{versus}{counts}  {status}"


def render_phase(
    phase: str,
    scenario: Scenario,
    order: Sequence[str],
    results: dict[str, PhaseResult],
    unavailable: Sequence[str],
) -> str:
    """The sync benchmark's table for one phase."""
    return render_table(
        title=phase_title(phase, scenario),
        objects=phase_objects(phase, scenario),
        order=order,
        results=results,
        unavailable=unavailable,
    )


def render_table(
    *,
    title: str,
    objects: int,
    order: Sequence[str],
    results: dict[str, PhaseResult],
    unavailable: Sequence[str],
    baselines: Sequence[str] = BASELINES,
    ratios: Sequence[tuple[str, str]] = RATIOS[:3],
    scale: Sequence[tuple[str, str]] = RATIOS[3:],
) -> str:
    """One table: a row per contender in `order`, its detail lines, the ratio lines.

    `baselines` are the `/name` columns; `ratios` are syncd's (the `ratios:`
    line), `scale` the others' (the `for scale:` line, left out when empty).
    """
    name_width = max([10, *(len(n) + 2 for n in order)])
    ratio_width = max([8, *(len(b) + 3 for b in baselines)])
    header = (
        f"{'contender':<{name_width}}{'seconds':>10}"
        + "".join(f"{'/' + b:>{ratio_width}}" for b in baselines)
        + f"{'req/obj':>9}{'requests':>10}"
        + "".join(f"{v:>8}" for v in metrics.VERBS)
        + f"{'other':>7}{'writes':>8}{'non2xx':>8}  verified"
    )
    lines = [f"== {title} ==", header]
    for name in order:
        res = results.get(name)
        if name in unavailable:
            lines.append(f"{name}: not available")
        elif res is None:
            lines.append(f"{name}: skipped (its setup or an earlier phase failed)")
        else:
            widths = (name_width, ratio_width)
            lines.append(_row(name, res, results, objects, baselines=baselines, widths=widths))
    for name in order:
        res = results.get(name)
        if res is not None:
            lines.extend(detail_lines(name, res))
    if "syncd" in unavailable:
        lines.append("ratios: syncd: not available")
    elif "syncd" not in order:
        lines.append("ratios: syncd: not run (left out by --only)")
    else:
        shown = ", ".join(f"{a}/{b} {fmt_ratio(ratio(results, a, b))}" for a, b in ratios)
        lines.append(f"ratios: {shown}")
    if scale:
        others = ", ".join(f"{a}/{b} {fmt_ratio(ratio(results, a, b))}" for a, b in scale)
        lines.append(f"for scale: {others}")
    return "\n".join(lines)


def result_json(res: PhaseResult, objects: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "seconds": res.seconds,
        "verified": res.verified,
        "problem": res.problem or None,
    }
    if res.requests is not None:
        out["requests"] = {
            "total": res.requests.total,
            "per_object": res.requests.total / objects,
            "writes": res.requests.writes,
            "non_2xx": res.requests.errors,
            "by_verb": res.requests.by_verb,
            "by_resource": res.requests.by_resource,
            "lists_by_resource": res.requests.lists_by_resource(),
            "detail": res.requests.detail,
        }
    out["background"] = res.background
    out["cpu_seconds"] = res.cpu_seconds
    out["load_1m"] = res.load_1m
    out["round_seconds"] = res.round_seconds
    if res.notes:
        out["notes"] = res.notes
    return out


def phases_json(
    all_results: dict[str, dict[str, PhaseResult]], scenario: Scenario
) -> dict[str, Any]:
    """Every phase's results and ratios, for BENCH_RESULT."""
    phases: dict[str, Any] = {}
    for phase, results in all_results.items():
        objects = phase_objects(phase, scenario)
        phases[phase] = {
            "objects": objects,
            "results": {name: result_json(res, objects) for name, res in results.items()},
            "ratios": {f"{a}/{b}": ratio(results, a, b) for a, b in RATIOS},
        }
    return phases
