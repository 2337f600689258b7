"""The issue's benchmark goals for syncd: evaluated from the phase results, printed as a table.

Issue 6's acceptance line, checked on the same run:

- cold: syncd within `COLD_LIMIT` x raw's wall time;
- resync: syncd's unchanged re-sync makes exactly 0 write requests (every
  write verb, rejected ones included; the API server's own lease renewals,
  proven by a moved resourceVersion, are listed but not held against syncd)
  and at most `LIST_LIMIT` LIST per managed type;
- change+prune: syncd within `CHANGE_PRUNE_LIMIT` x the ideal client's wall time.

A goal is `None` (n/a) when syncd or its baseline did not run or did not
verify in that phase. Goals never change the exit code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from bench import metrics
from bench.contender import CHANGE_PRUNE, COLD, RESYNC

COLD_LIMIT: Final = 1.3
LIST_LIMIT: Final = 1
CHANGE_PRUNE_LIMIT: Final = 1.3


class Timed(Protocol):
    """What the goals read from one contender's phase result."""

    @property
    def seconds(self) -> float | None: ...
    @property
    def requests(self) -> metrics.Delta | None: ...
    @property
    def verified(self) -> bool: ...
    @property
    def background(self) -> dict[str, int]: ...


Results = Mapping[str, Mapping[str, Timed]]


def ratio(results: Mapping[str, Timed], num: str, den: str) -> float | None:
    """Wall-time ratio num/den in one phase, None unless both ran and verified."""
    a, b = results.get(num), results.get(den)
    if a is None or b is None or a.seconds is None or b.seconds is None or b.seconds <= 0:
        return None
    if not (a.verified and b.verified):
        return None
    return a.seconds / b.seconds


def _ratio_goal(results: Mapping[str, Timed], baseline: str, limit: float) -> dict[str, Any]:
    value = ratio(results, "syncd", baseline)
    return {
        "baseline": baseline,
        "ratio": value,
        "limit": limit,
        "met": None if value is None else value <= limit,
    }


def _resync_goals(
    result: Timed | None, managed: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    writes: dict[str, Any] = {"limit": 0, "met": None}
    lists: dict[str, Any] = {"managed": list(managed), "limit": LIST_LIMIT, "met": None}
    if result is None or result.requests is None or not result.verified:
        return writes, lists
    detail = result.requests.write_detail()
    background = result.background
    counted = dict(detail)
    for key, n in background.items():
        counted[key] = counted.get(key, 0) - n
    counted = {k: n for k, n in counted.items() if n > 0}
    total = sum(counted.values())
    writes.update(
        writes=total, detail=counted, background=background, met=total == 0, seconds=result.seconds
    )
    by_resource = result.requests.lists_by_resource()
    managed_lists = {r: by_resource.get(r, 0) for r in managed}
    lists.update(
        lists=managed_lists,
        other_lists={r: n for r, n in by_resource.items() if r not in managed},
        met=all(n <= LIST_LIMIT for n in managed_lists.values()),
    )
    return writes, lists


def evaluate(all_results: Results, *, managed: Sequence[str]) -> dict[str, Any]:
    """The issue's goals for syncd, or {"available": False} when syncd did not run."""
    cold, resync, change = (all_results.get(p, {}) for p in (COLD, RESYNC, CHANGE_PRUNE))
    if "syncd" not in cold:
        return {"available": False}
    resync_writes, resync_lists = _resync_goals(resync.get("syncd"), managed)
    change_goal = _ratio_goal(change, "ideal", CHANGE_PRUNE_LIMIT)
    change_goal["ratio_vs_raw"] = ratio(change, "syncd", "raw")
    goals = {
        "cold_vs_raw": _ratio_goal(cold, "raw", COLD_LIMIT),
        "resync_writes": resync_writes,
        "resync_lists_per_managed_type": resync_lists,
        "change_prune_vs_ideal": change_goal,
    }
    met = [g["met"] for g in goals.values()]
    return {"available": True, **goals, "all_met": None if None in met else all(met)}


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k}={n}" for k, n in counts.items()) or "none"


def render(goals: Mapping[str, Any]) -> str:
    """The goals as a small table (call only when goals["available"])."""
    cold = goals["cold_vs_raw"]
    writes = goals["resync_writes"]
    lists = goals["resync_lists_per_managed_type"]
    change = goals["change_prune_vs_ideal"]
    write_seen = "n/a" if writes["met"] is None else str(writes["writes"])
    if writes.get("detail"):
        write_seen += f" ({_counts(writes['detail'])})"
    list_seen = "n/a" if lists["met"] is None else _counts(lists["lists"])
    rows = [
        ("cold: syncd/raw", _fmt(cold["ratio"]), f"<= {cold['limit']:.2f}x", cold["met"]),
        ("resync: write requests", write_seen, "0", writes["met"]),
        ("resync: LISTs per managed type", list_seen, f"<= {LIST_LIMIT} each", lists["met"]),
        (
            "change+prune: syncd/ideal",
            f"{_fmt(change['ratio'])} (syncd/raw {_fmt(change['ratio_vs_raw'])})",
            f"<= {change['limit']:.2f}x",
            change["met"],
        ),
    ]
    width = max(len(r[1]) for r in rows) + 2
    lines = [
        "== goals (issue 6, syncd) ==",
        f"{'goal':<34}{'measured':<{width}}{'target':<14}result",
    ]
    lines += [f"{g:<34}{seen:<{width}}{target:<14}{_verdict(met)}" for g, seen, target, met in rows]
    if writes.get("background"):
        lines.append(
            f"  not counted: the API server's own lease renewals {_counts(writes['background'])}"
        )
    if lists.get("other_lists"):
        lines.append(f"  other LISTs in syncd's resync: {_counts(lists['other_lists'])}")
    all_met = {True: "yes", False: "no", None: "n/a"}[goals["all_met"]]
    lines.append(f"all goals met: {all_met}")
    return "\n".join(lines)
