"""The render benchmark: `.venv/bin/python -m bench.render_bench`.

What does syncd's render stage cost? On one local control plane (no
controllers, no node), in rounds like `bench.sync_bench` (median round
reported), two contenders each cold-sync the same generated kustomize
package (a base of N ConfigMaps in several files, an overlay adding a
namespace, a label and a patch; `bench/kustomize_package.py`) into their own
empty namespace:

- `kustomize+raw`: the real `kustomize build` on the overlay, its output
  parsed and applied by the raw client (what `kustomize build | apply` gets);
- `syncd`: syncd's real pipeline in process (render with the real kustomize
  in a private copy, decode, validate, LIST, plan, inventory, apply, status).

It prints a table per round and for the median round (seconds, requests by
verb, CPU split, each contender's time split), the goal (syncd within 1.2x of
kustomize+raw) and a `BENCH_RESULT {json}` line. The namespace is verified
after each run with one LIST (exactly the expected ConfigMaps, patched and
labelled). Exits 1 if a contender or a verification fails, 2 on bad options;
a missed goal does not change the exit code.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import render_goal
from bench import rounds as rounds_mod
from bench.checks import create_namespace, wait_for_bootstrap
from bench.contender import COLD, Contender
from bench.kustomize_package import (
    BENCH_LABEL_VALUE,
    OVERLAY_LABEL,
    OVERLAY_LABEL_VALUE,
    RenderScenario,
    write_package,
)
from bench.kustomize_raw_contender import KustomizeRawContender
from bench.manifests import BENCH_LABEL
from bench.report import PhaseResult, render_table, result_json
from bench.sync_bench import Entry, checked, print_machine, run_one, set_up
from bench.syncd_render_contender import SyncdRenderContender
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.tools import Tools, locate_tools

CONTENDERS = (render_goal.BASELINE, render_goal.SUBJECT)
Results = dict[str, PhaseResult]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.render_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=2000, help="ConfigMaps the package builds")
    parser.add_argument("--per-file", type=int, default=100, help="ConfigMaps per base file")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="kustomize+raw's parallel requests"
    )
    parser.add_argument(
        "--only",
        default=",".join(CONTENDERS),
        help=f"comma-separated contenders, run in this order (default: {','.join(CONTENDERS)})",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is reported")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, packages)")
    return checked(parser, parser.parse_args(argv), CONTENDERS)


def slug(name: str) -> str:
    """A contender's name as a DNS label part (`kustomize+raw` -> `kustomize-raw`)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def build_contenders(
    names: Sequence[str], plane: ControlPlane, tools: Tools, concurrency: int
) -> list[Contender]:
    """Fresh contenders, in order (every round builds its own)."""
    built: list[Contender] = []
    for name in names:
        if name == render_goal.BASELINE:
            built.append(
                KustomizeRawContender(
                    kustomize=tools.kustomize,
                    server=plane.server,
                    ca_file=plane.ca_file,
                    token=plane.users["admin"].token,
                    concurrency=concurrency,
                )
            )
        else:
            built.append(SyncdRenderContender(plane, kustomize=tools.kustomize, helm=tools.helm))
    return built


def prepare(
    contenders: Sequence[Contender],
    admin: KubeHttp,
    scenario: RenderScenario,
    tmp: Path,
    round_no: int,
) -> list[Entry]:
    """Per contender: its namespace `render-<name>-<round>`, its package, its setup (untimed)."""
    entries: list[Entry] = []
    for contender in contenders:
        namespace = f"render-{slug(contender.name)}-{round_no}"
        create_namespace(admin, namespace)
        overlay = write_package(scenario, namespace, tmp / "packages" / namespace)
        entry = Entry(
            contender=contender,
            namespace=namespace,
            dirs={COLD: overlay},
            labels={BENCH_LABEL: BENCH_LABEL_VALUE, OVERLAY_LABEL: OVERLAY_LABEL_VALUE},
        )
        set_up(entry)
        entries.append(entry)
    return entries


def run_round(
    entries: Sequence[Entry],
    *,
    admin: KubeHttp,
    scenario: RenderScenario,
    server_pids: dict[str, int],
) -> Results:
    """Each contender's cold sync, timed and verified; its time split kept in its notes."""
    results: Results = {}
    for entry in entries:
        if entry.failed:
            continue
        res = run_one(entry, COLD, admin, scenario.expected(), server_pids)
        split = getattr(entry.contender, "split", None)
        if callable(split):
            res.notes.update(split())
        results[entry.contender.name] = res
        entry.failed = not res.verified
    return results


def table(scenario: RenderScenario, order: Sequence[str], results: Results) -> str:
    """The phase table, then each contender's time split."""
    title = (
        f"cold: kustomize package of {scenario.objects} ConfigMaps ({scenario.files} base file(s); "
        "overlay: namespace, labels, patch) into an empty namespace"
    )
    text = render_table(
        title=title,
        objects=scenario.objects,
        order=order,
        results=results,
        unavailable=(),
        baselines=(render_goal.BASELINE,),
        ratios=((render_goal.SUBJECT, render_goal.BASELINE),),
        scale=(),
    )
    splits = [
        render_goal.split_line(name, results[name].notes, results[name].seconds)
        for name in order
        if name in results and results[name].notes
    ]
    return "\n".join([text, *splits])


def summary_json(
    *,
    header: dict[str, Any],
    args: argparse.Namespace,
    scenario: RenderScenario,
    entries: Sequence[Entry],
    results: Results,
) -> dict[str, Any]:
    """Every figure of the run (the median round's), for the BENCH_RESULT line."""
    return {
        **header,
        "scenario": "render",
        "objects": scenario.objects,
        "per_file": scenario.per_file,
        "files": scenario.files,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "contenders": list(dict.fromkeys(e.contender.name for e in entries)),
        "results": {name: result_json(res, scenario.objects) for name, res in results.items()},
        "goal": render_goal.evaluate(results),
        "ok": all(not e.failed for e in entries),
    }


def run_rounds(
    args: argparse.Namespace,
    *,
    plane: ControlPlane,
    tools: Tools,
    scenario: RenderScenario,
    tmp: Path,
    contenders: list[Contender],
) -> tuple[list[dict[str, Results]], list[Entry]]:
    """Every round (fresh contenders, namespaces and packages), its table printed as it ends.

    Built contenders are added to `contenders` as they are made, so that the
    caller closes them even when a round raises.
    """
    admin = plane.http()
    server_pids = {p.name: p.pid for p in plane.processes}
    rounds: list[dict[str, Results]] = []
    every_entry: list[Entry] = []
    for index in range(args.rounds):
        taking_part = rounds_mod.round_order(args.only, index)
        built = build_contenders(taking_part, plane, tools, args.concurrency)
        contenders.extend(built)
        entries = prepare(built, admin, scenario, tmp, index + 1)
        every_entry.extend(entries)
        names = ", ".join(e.contender.name for e in entries)
        print(f"round {index + 1} of {args.rounds}: {names}\n")
        results = run_round(entries, admin=admin, scenario=scenario, server_pids=server_pids)
        rounds.append({COLD: results})
        print(table(scenario, args.only, results), end="\n\n", flush=True)
    return rounds, every_entry


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 if every contender verified in every round, else 1."""
    args = parse_args(argv)
    try:
        scenario = RenderScenario(objects=args.objects, per_file=args.per_file)
    except ValueError as exc:
        print(f"render_bench: {exc}", file=sys.stderr)
        return 2
    tools = locate_tools()
    tmp = Path(tempfile.mkdtemp(prefix="syncd-render-bench-"))
    plane = ControlPlane(
        workdir=tmp / "plane", tools=tools, with_controllers=False, with_node=False
    )
    contenders: list[Contender] = []
    ok = False
    try:
        plane.start()
        admin = plane.http()
        wait_for_bootstrap(admin)
        header = print_machine(plane)
        print(
            f"scenario: kustomize package, {scenario.objects} ConfigMaps in {scenario.files} "
            f"base files, one overlay; concurrency {args.concurrency} (kustomize+raw and syncd)\n"
        )
        rounds, every_entry = run_rounds(
            args, plane=plane, tools=tools, scenario=scenario, tmp=tmp, contenders=contenders
        )
        by_round = [render_goal.evaluate(r[COLD])["ratio"] for r in rounds]
        median = rounds_mod.median_results(rounds).get(COLD, {})
        if args.rounds > 1:
            print(f"==== the median of {args.rounds} rounds ====\n")
            print(table(scenario, args.only, median))
            print(f"  {render_goal.round_ratios(by_round)}", end="\n\n")
        summary = summary_json(
            header=header, args=args, scenario=scenario, entries=every_entry, results=median
        )
        summary["ratio_by_round"] = by_round
        print(render_goal.render(summary["goal"]), end="\n\n")
        print("BENCH_RESULT " + json.dumps(summary))
        ok = summary["ok"]
    finally:
        for contender in contenders:
            close = getattr(contender, "close", None)
            if callable(close):
                close()
        plane.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
