"""The sync benchmark harness: `.venv/bin/python -m bench.sync_bench`.

Starts one local control plane (no controllers, no node), gives every
contender its own namespace on it, and runs three phases, each contender in
turn so that request counts are attributable:

1. cold:         apply N ConfigMaps into the empty namespace;
2. resync:       sync the same, unchanged directory again;
3. change+prune: the declared set changes C objects and drops R.

The contenders, in this order by default: raw (re-applies everything),
ideal (sends only the needed applies and deletes), syncd (its real
pipeline) and kubectl. For every phase and contender it prints wall seconds
(of `run_phase` only) and their ratio to raw's and ideal's, API requests per
object from `apiserver_request_total` deltas (by verb); then the issue's
goals for syncd as a table (bench/goals.py) and one `BENCH_RESULT {json}`
line. After each phase the namespace is verified with one LIST, untimed.
Exits 1 if any contender fails or any verification fails; goals do not
change the exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cpu, goals, metrics
from bench import rounds as rounds_mod
from bench.checks import create_namespace, verify, wait_for_bootstrap
from bench.contender import CHANGE_PRUNE, COLD, PHASES, RESYNC, Contender
from bench.ideal_contender import IdealContender
from bench.kubectl_contender import KubectlContender, summarize
from bench.manifests import MANAGED_RESOURCES, Scenario, write_change_prune, write_cold
from bench.raw_contender import RawContender
from bench.report import PhaseResult, phases_json, render_phase
from bench.syncd_contender import make_syncd_contender
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.tools import locate_tools

CONTENDERS = ("raw", "ideal", "syncd", "kubectl")


@dataclass(slots=True, kw_only=True)
class Entry:
    """A contender taking part in the run."""

    contender: Contender
    namespace: str
    dirs: dict[str, Path]
    labels: dict[str, str] = field(default_factory=dict)
    """Labels every verified object must carry (none for the sync benchmark)."""
    failed: bool = False


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.sync_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=2000, help="ConfigMaps in the cold set")
    parser.add_argument("--changed", type=int, default=200, help="objects changed by change+prune")
    parser.add_argument("--removed", type=int, default=1000, help="objects dropped by change+prune")
    parser.add_argument("--per-file", type=int, default=100, help="YAML documents per file")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="raw's and ideal's parallel requests"
    )
    parser.add_argument(
        "--only",
        default=",".join(CONTENDERS),
        help=f"comma-separated contenders, run in this order (default: {','.join(CONTENDERS)})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="run the scenario this many times and report the median round (kubectl: first only)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, manifests)")
    return checked(parser, parser.parse_args(argv), CONTENDERS)


def checked(
    parser: argparse.ArgumentParser, args: argparse.Namespace, contenders: Sequence[str]
) -> argparse.Namespace:
    """`args` with `--only` as a list of known contenders; usage errors for bad values."""
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(contenders))
    if unknown or not only:
        parser.error(f"--only takes a subset of {','.join(contenders)}; got {args.only!r}")
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.only = list(dict.fromkeys(only))
    return args


def build_contenders(
    names: Sequence[str], plane: ControlPlane, workdir: Path, concurrency: int
) -> tuple[list[Contender], list[str]]:
    """The available contenders in order, and the names of unavailable ones."""
    available: list[Contender] = []
    unavailable: list[str] = []
    for name in names:
        if name in ("raw", "ideal"):
            ssa = RawContender if name == "raw" else IdealContender
            available.append(
                ssa(
                    server=plane.server,
                    ca_file=plane.ca_file,
                    token=plane.users["admin"].token,
                    concurrency=concurrency,
                )
            )
        elif name == "kubectl":
            available.append(
                KubectlContender(
                    kubectl_argv=plane.kubectl_argv, cache_dir=workdir / "kubectl-cache"
                )
            )
        else:
            syncd = make_syncd_contender(plane)
            if syncd is None:
                unavailable.append(name)
            else:
                available.append(syncd)
    return available, unavailable


def run_one(
    entry: Entry,
    phase: str,
    admin: KubeHttp,
    expected: dict[str, str],
    server_pids: dict[str, int],
) -> PhaseResult:
    """Snapshot metrics, time the phase (with CPU marks), snapshot again, verify.

    The kube-system leases are read just outside the two snapshots, so that
    the API server's own lease renewals in the window can be told apart.
    """
    res = PhaseResult(load_1m=load_1m())
    leases_before = metrics.lease_versions(admin)
    before = metrics.snapshot(admin)
    cpu_before = cpu.mark(server_pids)
    began = time.perf_counter()
    try:
        entry.contender.run_phase(phase, entry.dirs[phase])
    except Exception as exc:  # noqa: BLE001 - reported, then the run exits 1
        res.seconds = time.perf_counter() - began
        res.problem = f"{type(exc).__name__}: {exc}"
    else:
        res.seconds = time.perf_counter() - began
    res.cpu_seconds = cpu.usage(cpu_before, cpu.mark(server_pids))
    after = metrics.snapshot(admin)
    res.requests = metrics.delta(before, after)
    res.background = res.requests.background(
        metrics.renewed(leases_before, metrics.lease_versions(admin))
    )
    if isinstance(entry.contender, KubectlContender):
        res.notes = {f"kubectl_{k}": v for k, v in summarize(entry.contender.last_output).items()}
    if not res.problem:
        res.problem = verify(admin, entry.namespace, expected, entry.labels)
        res.verified = not res.problem
    return res


def load_1m() -> float | None:
    """The machine's one-minute load average, if the OS reports one."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def print_header(plane: ControlPlane, scenario: Scenario, concurrency: int) -> dict[str, Any]:
    """Print and return the control plane version and the machine's core count."""
    machine = print_machine(plane)
    files = -(-scenario.objects // scenario.per_file)
    print(
        f"scenario: {scenario.objects} ConfigMaps in {files} files; change+prune changes "
        f"{scenario.changed} and removes {scenario.removed}; raw and ideal concurrency "
        f"{concurrency}"
    )
    return machine


def print_machine(plane: ControlPlane) -> dict[str, Any]:
    """Print the control plane, the machine and its load (warn when busy); return the first two."""
    version = plane.http().get("/version").json().get("gitVersion", "?")
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"control plane {version} at {plane.server} (started in {plane.startup_seconds:.1f}s)")
    print(
        f"machine: {cores} cores ({usable} usable), {platform.machine()}, "
        f"Python {platform.python_version()}; load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}"
    )
    if load[0] > usable / 2:
        print(
            "warning: the machine is busy with other work; timings will be noisy "
            "(see 'other' CPU seconds per phase)"
        )
    return {"control_plane_version": version, "cores": cores, "usable_cores": usable}


def prepare(
    contenders: Sequence[Contender], admin: KubeHttp, scenario: Scenario, tmp: Path, round_no: int
) -> list[Entry]:
    """Create each contender's namespace and manifest directories, then set it up.

    Round 1 uses `bench-<name>`, later rounds `bench-<name>-<round>`. A
    contender whose setup raises is reported here and takes no phase (the run exits 1).
    """
    entries: list[Entry] = []
    for contender in contenders:
        suffix = "" if round_no == 1 else f"-{round_no}"
        namespace = f"bench-{contender.name}{suffix}"
        create_namespace(admin, namespace)
        base = tmp / "manifests" / f"{contender.name}{suffix}"
        write_cold(scenario, namespace, base / "cold")
        write_change_prune(scenario, namespace, base / "change-prune")
        dirs = {COLD: base / "cold", RESYNC: base / "cold", CHANGE_PRUNE: base / "change-prune"}
        entry = Entry(contender=contender, namespace=namespace, dirs=dirs)
        set_up(entry)
        entries.append(entry)
    return entries


def set_up(entry: Entry) -> None:
    """The contender's setup; a failure is printed and marks the entry failed (exit 1 later)."""
    try:
        entry.contender.setup(entry.namespace)
    except Exception:  # noqa: BLE001 - reported, then the run exits 1
        print(f"{entry.contender.name}: setup failed, it does not run:", file=sys.stderr)
        traceback.print_exc()
        entry.failed = True


def run_phases(
    entries: Sequence[Entry],
    *,
    admin: KubeHttp,
    scenario: Scenario,
    order: Sequence[str],
    unavailable: Sequence[str],
    server_pids: dict[str, int],
) -> dict[str, dict[str, PhaseResult]]:
    """Every phase, every contender in turn; prints each phase's table as it completes."""
    all_results: dict[str, dict[str, PhaseResult]] = {}
    for phase in PHASES:
        expected = scenario.expected(phase_is_final=phase == CHANGE_PRUNE)
        results: dict[str, PhaseResult] = {}
        for entry in entries:
            if entry.failed:
                continue
            res = run_one(entry, phase, admin, expected, server_pids)
            results[entry.contender.name] = res
            entry.failed = not res.verified
        all_results[phase] = results
        print(render_phase(phase, scenario, order, results, unavailable), end="\n\n", flush=True)
    return all_results


def summary_json(
    *,
    header: dict[str, Any],
    args: argparse.Namespace,
    entries: Sequence[Entry],
    unavailable: Sequence[str],
    all_results: dict[str, dict[str, PhaseResult]],
    scenario: Scenario,
) -> dict[str, Any]:
    """Every figure of the run, for the BENCH_RESULT line."""
    return {
        **header,
        "objects": scenario.objects,
        "changed": scenario.changed,
        "removed": scenario.removed,
        "per_file": scenario.per_file,
        "concurrency": args.concurrency,
        "contenders": list(dict.fromkeys(e.contender.name for e in entries)),
        "rounds": args.rounds,
        "unavailable": list(unavailable),
        "phases": phases_json(all_results, scenario),
        "goals": goals.evaluate(all_results, managed=MANAGED_RESOURCES),
        "ok": all(not e.failed for e in entries),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 if every contender verified in every phase, else 1."""
    args = parse_args(argv)
    try:
        scenario = Scenario(
            objects=args.objects, changed=args.changed, removed=args.removed, per_file=args.per_file
        )
    except ValueError as exc:
        print(f"sync_bench: {exc}", file=sys.stderr)
        return 2
    tools = locate_tools()
    tmp = Path(tempfile.mkdtemp(prefix="syncd-bench-"))
    plane = ControlPlane(
        workdir=tmp / "plane", tools=tools, with_controllers=False, with_node=False
    )
    contenders: list[Contender] = []
    try:
        plane.start()
        admin = plane.http()
        wait_for_bootstrap(admin)
        header = print_header(plane, scenario, args.concurrency)
        server_pids = {p.name: p.pid for p in plane.processes}
        rounds: list[dict[str, dict[str, PhaseResult]]] = []
        every_entry: list[Entry] = []
        unavailable: list[str] = []
        for index in range(args.rounds):
            taking_part = rounds_mod.round_order(args.only, index)
            built, unavailable = build_contenders(taking_part, plane, tmp, args.concurrency)
            contenders.extend(built)
            for name in unavailable:
                print(f"{name}: not available (bench/syncd_contender.py returned None)")
            entries = prepare(built, admin, scenario, tmp, index + 1)
            every_entry.extend(entries)
            names = ", ".join(e.contender.name for e in entries) or "none"
            print(f"round {index + 1} of {args.rounds}: {names}\n")
            rounds.append(
                run_phases(
                    entries,
                    admin=admin,
                    scenario=scenario,
                    order=[name for name in args.only if name in taking_part],
                    unavailable=unavailable,
                    server_pids=server_pids,
                )
            )
        all_results = rounds_mod.median_results(rounds)
        if args.rounds > 1:
            print(f"==== the median of {args.rounds} rounds ====\n")
            for phase, results in all_results.items():
                table = render_phase(phase, scenario, args.only, results, unavailable)
                print(table, end="\n\n", flush=True)
        summary = summary_json(
            header=header,
            args=args,
            entries=every_entry,
            unavailable=unavailable,
            all_results=all_results,
            scenario=scenario,
        )
        if summary["goals"]["available"]:
            print(goals.render(summary["goals"]), end="\n\n")
        else:
            print("goals: n/a (syncd did not run)\n")
        print("BENCH_RESULT " + json.dumps(summary))
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
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
