"""Rounds: the whole scenario several times, figures taken from the median round.

One run of a phase on this 2-core machine varies by ±25% from one minute to
the next (the API server's garbage collection, etcd's compaction, the load of
the previous phase). A goal judged on one run is luck. So the harness runs the
scenario `--rounds` times, every round in fresh namespaces with freshly built
contenders, in an order rotated each round so that no contender always goes
first after a quiet spell, and reports per phase and contender the round
whose time is the median. Its requests and CPU figures stay those of that one
round, so every number in a table comes from one real run.

kubectl takes part in the first round only: its ApplySet prune alone takes
about three minutes, and its figures are context, not a goal.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.report import PhaseResult

SLOW_CONTENDERS = frozenset({"kubectl"})
"""Contenders that take part in the first round only."""


def round_order(names: Sequence[str], index: int) -> list[str]:
    """Round `index` (0-based): the contenders rotated by the round; slow ones in round 0 only."""
    taking_part = [n for n in names if index == 0 or n not in SLOW_CONTENDERS]
    if not taking_part:
        return []
    shift = index % len(taking_part)
    return taking_part[shift:] + taking_part[:shift]


def median_results(
    rounds: Sequence[dict[str, dict[str, PhaseResult]]],
) -> dict[str, dict[str, PhaseResult]]:
    """Per phase and contender, the result of its median round, carrying every round's seconds.

    A contender that failed in any round is represented by that failure, so a
    failure is never hidden by the other rounds. With an even number of rounds
    the slower of the two middle rounds is taken.
    """
    merged: dict[str, dict[str, PhaseResult]] = {}
    for results in rounds:
        for phase in results:
            merged.setdefault(phase, {})
    for phase, chosen in merged.items():
        names = dict.fromkeys(name for results in rounds for name in results.get(phase, {}))
        for name in names:
            runs = [r[phase][name] for r in rounds if name in r.get(phase, {})]
            seconds = [r.seconds for r in runs if r.seconds is not None]
            failed = [r for r in runs if not r.verified]
            if failed:
                pick = failed[0]
            else:
                ranked = sorted(runs, key=lambda r: r.seconds or 0.0)
                pick = ranked[len(ranked) // 2]
            pick.round_seconds = seconds
            chosen[name] = pick
    return merged
