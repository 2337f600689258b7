"""The tenants benchmark's arithmetic and goals (pure: figures in, figures and text out).

Issue 8's acceptance line: N syncs of M objects from R repositories in one
`syncd run`, "all Synced within 60 s of creation, idle cost at most 1 LIST
per type plus 1 GET per sync per poll, RSS under 600 MiB".

The idle cost is read from the API server's `apiserver_request_total` over a
window of several poll periods, with every `leases` request left out (the
API server renews its own identity lease every 10 s; syncd never touches
Leases), summed over answer codes and divided by syncs and polls (the
window's seconds over the period: each sync is polled once per period). It
is met when, per sync and poll, no type is LISTed more than once, GETs are
at most one, and all requests together stay within that budget (one LIST
per managed type plus one GET): a watch renewal or a write is not free.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bench import metrics

SYNCED_WITHIN_SECONDS: Final = 60.0
LISTS_PER_TYPE: Final = 1.0
GETS_PER_SYNC: Final = 1.0
RSS_LIMIT_MIB: Final = 600.0
API_SERVER_OWN: Final = frozenset({"leases"})
"""Resources only the API server itself uses during the idle window (its identity lease)."""
MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class IdleCost:
    """Requests in the idle window, per "VERB resource", and what they are divided by."""

    syncs: int
    window_seconds: float
    period_seconds: float
    counted: dict[str, int]
    """syncd's requests, "VERB resource" -> count (all answer codes)."""
    left_out: dict[str, int] = field(default_factory=dict)
    """The API server's own requests in the window, not held against syncd."""

    @property
    def polls(self) -> float:
        """Polls per sync in the window."""
        return self.window_seconds / self.period_seconds

    def rate(self, count: float) -> float:
        """`count` requests as requests per sync per poll."""
        divisor = self.syncs * self.polls
        return count / divisor if divisor > 0 else 0.0

    def per_sync_poll(self) -> dict[str, float]:
        """Every "VERB resource" per sync per poll."""
        return {key: self.rate(n) for key, n in self.counted.items()}

    def lists_per_type(self) -> dict[str, float]:
        """LISTs per sync per poll, by resource."""
        return {
            key.split(" ", 1)[1]: rate
            for key, rate in self.per_sync_poll().items()
            if key.startswith("LIST ")
        }

    def by_verb(self) -> dict[str, float]:
        """Requests per sync per poll, by verb."""
        verbs: Counter[str] = Counter()
        for key, n in self.counted.items():
            verbs[key.split(" ", 1)[0]] += n
        return {verb: self.rate(n) for verb, n in sorted(verbs.items())}

    @property
    def gets(self) -> float:
        """GETs (any resource) per sync per poll."""
        return self.by_verb().get("GET", 0.0)

    @property
    def writes(self) -> float:
        """Write requests per sync per poll."""
        return sum(r for v, r in self.by_verb().items() if v in metrics.WRITE_VERBS)

    @property
    def total(self) -> float:
        """All counted requests per sync per poll."""
        return self.rate(sum(self.counted.values()))


def idle_cost(
    delta: metrics.Delta, *, syncs: int, window_seconds: float, period_seconds: float
) -> IdleCost:
    """The idle window's requests, summed over codes, the API server's own left out."""
    counted: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    for key, n in delta.detail.items():
        verb, resource, _code = key.split(" ")
        base = resource.split("/", 1)[0]
        (left_out if base in API_SERVER_OWN else counted)[f"{verb} {resource}"] += n
    return IdleCost(
        syncs=syncs,
        window_seconds=window_seconds,
        period_seconds=period_seconds,
        counted=dict(sorted(counted.items())),
        left_out=dict(sorted(left_out.items())),
    )


def idle_goal(cost: IdleCost | None, managed: Sequence[str]) -> dict[str, Any]:
    """At most one LIST per type and one GET per sync per poll, and nothing beyond that budget."""
    budget = len(managed) * LISTS_PER_TYPE + GETS_PER_SYNC
    goal: dict[str, Any] = {"managed": list(managed), "budget": budget, "met": None}
    if cost is None:
        return goal
    lists = cost.lists_per_type()
    goal.update(
        lists_per_type=lists,
        gets=cost.gets,
        writes=cost.writes,
        total=cost.total,
        by_verb=cost.by_verb(),
        per_sync_poll=cost.per_sync_poll(),
        counted=cost.counted,
        left_out=cost.left_out,
        polls=cost.polls,
        window_seconds=cost.window_seconds,
        met=(
            all(rate <= LISTS_PER_TYPE for rate in lists.values())
            and cost.gets <= GETS_PER_SYNC
            and cost.total <= budget
        ),
    )
    return goal


def synced_goal(seconds: float | None, synced: int, syncs: int) -> dict[str, Any]:
    """Every sync Synced within SYNCED_WITHIN_SECONDS of the first creation."""
    all_synced = synced == syncs
    return {
        "seconds": seconds if all_synced else None,
        "synced": synced,
        "syncs": syncs,
        "limit": SYNCED_WITHIN_SECONDS,
        "met": all_synced and seconds is not None and seconds <= SYNCED_WITHIN_SECONDS,
    }


def rss_goal(peak_bytes: int | None, idle_bytes: int | None) -> dict[str, Any]:
    """The syncd process tree's peak RSS under RSS_LIMIT_MIB."""
    peak = None if peak_bytes is None else peak_bytes / MIB
    idle = None if idle_bytes is None else idle_bytes / MIB
    return {
        "peak_mib": peak,
        "idle_mib": idle,
        "limit_mib": RSS_LIMIT_MIB,
        "met": None if peak is None else peak < RSS_LIMIT_MIB,
    }


def evaluate(
    *, synced: Mapping[str, Any], idle: Mapping[str, Any], rss: Mapping[str, Any]
) -> dict[str, Any]:
    """The three goals and whether all are met (None when one could not be measured)."""
    goals = {"all_synced": dict(synced), "idle_requests": dict(idle), "rss": dict(rss)}
    met = [g["met"] for g in goals.values()]
    return {**goals, "all_met": None if None in met else all(met)}


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def _rates(rates: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in rates.items()) or "none"


def render(goals: Mapping[str, Any], *, kind: str) -> str:
    """The goals as a table, then the idle breakdown (the way the other benches print goals)."""
    synced, idle, rss = goals["all_synced"], goals["idle_requests"], goals["rss"]
    if synced["seconds"] is None:
        synced_seen = f"{synced['synced']} of {synced['syncs']} Synced (timed out)"
    else:
        synced_seen = f"{synced['seconds']:.1f}s"
    if idle["met"] is None:
        idle_seen = "n/a"
    else:
        lists = ", ".join(f"LIST {r} {v:.2f}" for r, v in idle["lists_per_type"].items())
        idle_seen = f"{lists or 'no LIST'}; GET {idle['gets']:.2f}; all {idle['total']:.2f}"
    rss_seen = "n/a" if rss["peak_mib"] is None else f"peak {rss['peak_mib']:.0f} MiB"
    if rss["idle_mib"] is not None:
        rss_seen += f" (idle {rss['idle_mib']:.0f} MiB)"
    managed = ", ".join(f"LIST {r} 1" for r in idle["managed"])
    rows = [
        ("all Synced after creation", synced_seen, f"<= {synced['limit']:.0f}s", synced["met"]),
        (
            "idle: requests per sync per poll",
            idle_seen,
            f"<= {managed} + GET 1 (all {idle['budget']:g})",
            idle["met"],
        ),
        ("syncd RSS (process tree)", rss_seen, f"< {rss['limit_mib']:.0f} MiB", rss["met"]),
    ]
    width = max(len(r[1]) for r in rows) + 2
    target_width = max(len(r[2]) for r in rows) + 2
    lines = [
        f"== goals (issue 8, {kind}) ==",
        f"{'goal':<34}{'measured':<{width}}{'target':<{target_width}}result",
    ]
    lines += [
        f"{g:<34}{seen:<{width}}{target:<{target_width}}{_verdict(met)}"
        for g, seen, target, met in rows
    ]
    if idle["met"] is not None:
        lines.append(
            f"  idle window {idle['window_seconds']:.1f}s = {idle['polls']:.2f} polls per sync; "
            f"per sync per poll: {_rates(idle['per_sync_poll'])}"
        )
        raw = ", ".join(f"{k}={n}" for k, n in idle["counted"].items()) or "none"
        lines.append(f"  idle requests counted: {raw}")
        if idle["left_out"]:
            own = ", ".join(f"{k}={n}" for k, n in idle["left_out"].items())
            lines.append(f"  not counted: the API server's own {own}")
    all_met = {True: "yes", False: "no", None: "n/a"}[goals["all_met"]]
    lines.append(f"all goals met: {all_met}")
    return "\n".join(lines)


def without(delta: metrics.Delta, own: Mapping[str, int]) -> metrics.Delta:
    """`delta` less the requests in `own` ("VERB resource code" -> count): the harness's own."""
    detail = {k: n - own.get(k, 0) for k, n in delta.detail.items()}
    by_verb: Counter[str] = Counter()
    by_resource: Counter[str] = Counter()
    errors = 0
    for key, n in detail.items():
        if n <= 0:
            continue
        verb, resource, code = key.split(" ")
        by_verb[verb] += n
        by_resource[resource] += n
        if not code.startswith("2"):
            errors += n
    return metrics.Delta(
        by_verb={verb: by_verb.get(verb, 0) for verb in metrics.VERBS} | dict(by_verb),
        by_resource=dict(sorted(by_resource.items())),
        errors=errors,
        detail={k: n for k, n in detail.items() if n > 0},
    )
