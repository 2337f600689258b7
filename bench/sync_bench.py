"""The sync benchmark harness: `.venv/bin/python -m bench.sync_bench`.

Starts one local control plane (no controllers, no node), gives every
contender its own namespace on it, and runs three phases, each contender in
turn so that request counts are attributable:

1. cold:         apply N ConfigMaps into the empty namespace;
2. resync:       sync the same, unchanged directory again;
3. change+prune: the declared set changes C objects and drops R.

For every phase and contender it prints wall seconds (of `run_phase` only),
API requests per object from `apiserver_request_total` deltas (by verb),
and the ratios syncd/kubectl and syncd/raw; then one `BENCH_RESULT {json}`
line. After each phase the namespace is verified with one LIST, untimed.
Exits 1 if any contender fails or any verification fails.
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cpu, metrics
from bench.contender import CHANGE_PRUNE, COLD, PHASES, RESYNC, Contender
from bench.kubectl_contender import KubectlContender, summarize
from bench.manifests import Scenario, write_change_prune, write_cold
from bench.raw_contender import RawContender
from bench.syncd_contender import make_syncd_contender
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until
from syncd.devenv.tools import locate_tools

CONTENDERS = ("raw", "syncd", "kubectl")
APPLYSET_ID_LABEL = "applyset.kubernetes.io/id"
GOAL_COLD_RATIO = 1.4
GOAL_RESYNC_SECONDS = 1.0
GOAL_CHANGE_PRUNE_RATIO = 1.5


@dataclass(slots=True, kw_only=True)
class PhaseResult:
    """One contender's figures for one phase."""

    seconds: float | None = None
    requests: metrics.Delta | None = None
    verified: bool = False
    problem: str = ""
    notes: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: dict[str, float | None] = field(default_factory=dict)
    load_1m: float | None = None


@dataclass(slots=True, kw_only=True)
class Entry:
    """A contender taking part in the run."""

    contender: Contender
    namespace: str
    dirs: dict[str, Path]
    failed: bool = False


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.sync_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=2000, help="ConfigMaps in the cold set")
    parser.add_argument("--changed", type=int, default=200, help="objects changed by change+prune")
    parser.add_argument("--removed", type=int, default=1000, help="objects dropped by change+prune")
    parser.add_argument("--per-file", type=int, default=100, help="YAML documents per file")
    parser.add_argument("--concurrency", type=int, default=16, help="raw's parallel requests")
    parser.add_argument(
        "--only",
        default=",".join(CONTENDERS),
        help="comma-separated contenders, run in this order (default: raw,syncd,kubectl)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, manifests)")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(CONTENDERS))
    if unknown or not only:
        parser.error(f"--only takes a subset of {','.join(CONTENDERS)}; got {args.only!r}")
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    args.only = list(dict.fromkeys(only))
    return args


def wait_for_bootstrap(admin: KubeHttp) -> None:
    """Wait until the API server has created its own objects, so they do not count."""

    def settled() -> bool:
        path = "/api/v1/namespaces/default/services/kubernetes"
        return (
            admin.get(path).status == 200
            and admin.get("/api/v1/namespaces/kube-system").status == 200
        )

    wait_until(settled, timeout=60.0, what="the API server's bootstrap objects")


def create_namespace(admin: KubeHttp, namespace: str) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    resp = admin.post("/api/v1/namespaces", body)
    if resp.status != 201:
        raise RuntimeError(f"creating namespace {namespace}: {resp.status} {resp.text[:200]}")


def verify(admin: KubeHttp, namespace: str, expected: dict[str, str]) -> str:
    """One LIST; '' if the namespace holds exactly `expected` (name -> data.version)."""
    resp = admin.get(f"/api/v1/namespaces/{namespace}/configmaps")
    if resp.status != 200:
        return f"LIST configmaps failed: {resp.status} {resp.text[:200]}"
    live: dict[str, str | None] = {}
    for item in resp.json()["items"]:
        meta = item["metadata"]
        if APPLYSET_ID_LABEL in (meta.get("labels") or {}):
            continue  # an ApplySet parent, not a declared object
        live[meta["name"]] = (item.get("data") or {}).get("version")
    missing = sorted(set(expected) - set(live))
    extra = sorted(set(live) - set(expected))
    wrong = sorted(n for n in set(live) & set(expected) if live[n] != expected[n])
    if not (missing or extra or wrong):
        return ""
    parts = [f"{len(live)} ConfigMaps, expected {len(expected)}"]
    for label, names in (("missing", missing), ("unexpected", extra), ("wrong version", wrong)):
        if names:
            parts.append(f"{len(names)} {label} (e.g. {', '.join(names[:3])})")
    return "; ".join(parts)


def build_contenders(
    names: Sequence[str], plane: ControlPlane, workdir: Path, concurrency: int
) -> tuple[list[Contender], list[str]]:
    """The available contenders in order, and the names of unavailable ones."""
    available: list[Contender] = []
    unavailable: list[str] = []
    for name in names:
        if name == "raw":
            available.append(
                RawContender(
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


def ratio(results: dict[str, PhaseResult], num: str, den: str) -> float | None:
    a, b = results.get(num), results.get(den)
    if a is None or b is None or a.seconds is None or b.seconds is None or b.seconds <= 0:
        return None
    if a.problem or b.problem:
        return None
    return a.seconds / b.seconds


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def detail_lines(name: str, res: PhaseResult) -> list[str]:
    """The indented lines under a phase table for one contender."""
    lines: list[str] = []
    if res.requests is not None:
        by_res = ", ".join(f"{r}={n}" for r, n in res.requests.by_resource.items()) or "none"
        lines.append(f"  {name} requests by resource: {by_res}")
        if res.requests.errors:
            bad = ", ".join(f"{k}={n}" for k, n in res.requests.error_detail().items())
            lines.append(f"  {name} non-2xx answers: {bad}")
    if res.cpu_seconds:
        spent = ", ".join(
            f"{k} {'?' if v is None else f'{v:.2f}'}" for k, v in res.cpu_seconds.items()
        )
        lines.append(f"  {name} cpu seconds: {spent} (load 1m at start {res.load_1m})")
    if res.notes:
        notes = ", ".join(f"{k}={v}" for k, v in res.notes.items())
        lines.append(f"  {name} notes: {notes}")
    return lines


def render_phase(
    phase: str,
    scenario: Scenario,
    order: Sequence[str],
    results: dict[str, PhaseResult],
    unavailable: Sequence[str],
) -> str:
    objects = phase_objects(phase, scenario)
    verbs = metrics.VERBS
    header = (
        f"{'contender':<10}{'seconds':>10}{'req/obj':>9}{'requests':>10}"
        + "".join(f"{v:>8}" for v in verbs)
        + f"{'other':>7}{'writes':>8}{'non2xx':>8}  verified"
    )
    lines = [f"== {phase_title(phase, scenario)} ==", header]
    for name in order:
        if name in unavailable:
            lines.append(f"{name}: not available")
            continue
        res = results.get(name)
        if res is None:
            lines.append(f"{name}: skipped (failed in an earlier phase)")
            continue
        secs = "-" if res.seconds is None else f"{res.seconds:.3f}"
        req = res.requests
        if req is None:
            counts = " " * (9 + 10 + 8 * len(verbs) + 7 + 8 + 8)
        else:
            counts = (
                f"{req.total / objects:>9.2f}{req.total:>10}"
                + "".join(f"{req.by_verb.get(v, 0):>8}" for v in verbs)
                + f"{req.other_verbs():>7}{req.writes:>8}{req.errors:>8}"
            )
        status = "ok" if res.verified else f"FAILED: {res.problem}"
        lines.append(f"{name:<10}{secs:>10}{counts}  {status}")
    for name in order:
        res = results.get(name)
        if res is not None:
            lines.extend(detail_lines(name, res))
    if "syncd" in unavailable:
        lines.append("ratios: syncd: not available (no syncd/kubectl or syncd/raw ratio)")
    elif "syncd" not in order:
        lines.append("ratios: syncd: not run (left out by --only)")
    else:
        lines.append(
            f"ratios: syncd/kubectl {fmt_ratio(ratio(results, 'syncd', 'kubectl'))}, "
            f"syncd/raw {fmt_ratio(ratio(results, 'syncd', 'raw'))}"
        )
    lines.append(f"for scale: kubectl/raw {fmt_ratio(ratio(results, 'kubectl', 'raw'))}")
    return "\n".join(lines)


def evaluate_goals(all_results: dict[str, dict[str, PhaseResult]]) -> dict[str, Any]:
    """The issue's goals for syncd, or {"available": False}."""
    cold, resync, change = (all_results.get(p, {}) for p in (COLD, RESYNC, CHANGE_PRUNE))
    if "syncd" not in cold:
        return {"available": False}
    cold_ratio = ratio(cold, "syncd", "raw")
    change_ratio = ratio(change, "syncd", "raw")
    syncd_resync = resync.get("syncd")
    resync_ok: bool | None = None
    resync_writes: dict[str, int] | None = None
    if syncd_resync is not None and syncd_resync.seconds is not None:
        writes = syncd_resync.requests.writes if syncd_resync.requests else None
        if syncd_resync.requests is not None:
            resync_writes = syncd_resync.requests.write_detail()
        resync_ok = (
            syncd_resync.verified and syncd_resync.seconds < GOAL_RESYNC_SECONDS and writes == 0
        )
    return {
        "available": True,
        "cold_within_1.4x_raw": None if cold_ratio is None else cold_ratio <= GOAL_COLD_RATIO,
        "cold_ratio": cold_ratio,
        "resync_under_1s_zero_writes": resync_ok,
        "resync_seconds": None if syncd_resync is None else syncd_resync.seconds,
        "resync_writes": resync_writes,
        "change_prune_within_1.5x_raw": (
            None if change_ratio is None else change_ratio <= GOAL_CHANGE_PRUNE_RATIO
        ),
        "change_prune_ratio": change_ratio,
    }


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
            "detail": res.requests.detail,
        }
    out["cpu_seconds"] = res.cpu_seconds
    out["load_1m"] = res.load_1m
    if res.notes:
        out["notes"] = res.notes
    return out


def run_one(
    entry: Entry,
    phase: str,
    admin: KubeHttp,
    expected: dict[str, str],
    server_pids: dict[str, int],
) -> PhaseResult:
    """Snapshot metrics, time the phase (with CPU marks), snapshot again, verify."""
    res = PhaseResult(load_1m=load_1m())
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
    if isinstance(entry.contender, KubectlContender):
        res.notes = {f"kubectl_{k}": v for k, v in summarize(entry.contender.last_output).items()}
    if not res.problem:
        res.problem = verify(admin, entry.namespace, expected)
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
    version = plane.http().get("/version").json().get("gitVersion", "?")
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    files = -(-scenario.objects // scenario.per_file)
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
    print(
        f"scenario: {scenario.objects} ConfigMaps in {files} files; change+prune changes "
        f"{scenario.changed} and removes {scenario.removed}; raw concurrency {concurrency}"
    )
    return {"control_plane_version": version, "cores": cores, "usable_cores": usable}


def prepare(
    contenders: Sequence[Contender], admin: KubeHttp, scenario: Scenario, tmp: Path
) -> list[Entry]:
    """Create each contender's namespace and manifest directories, then set it up."""
    entries: list[Entry] = []
    for contender in contenders:
        namespace = f"bench-{contender.name}"
        create_namespace(admin, namespace)
        base = tmp / "manifests" / contender.name
        write_cold(scenario, namespace, base / "cold")
        write_change_prune(scenario, namespace, base / "change-prune")
        dirs = {COLD: base / "cold", RESYNC: base / "cold", CHANGE_PRUNE: base / "change-prune"}
        contender.setup(namespace)
        entries.append(Entry(contender=contender, namespace=namespace, dirs=dirs))
    return entries


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
    phases: dict[str, Any] = {}
    for phase, results in all_results.items():
        objects = phase_objects(phase, scenario)
        phases[phase] = {
            "objects": objects,
            "results": {name: result_json(res, objects) for name, res in results.items()},
            "ratios": {
                "syncd/kubectl": ratio(results, "syncd", "kubectl"),
                "syncd/raw": ratio(results, "syncd", "raw"),
                "kubectl/raw": ratio(results, "kubectl", "raw"),
            },
        }
    return {
        **header,
        "objects": scenario.objects,
        "changed": scenario.changed,
        "removed": scenario.removed,
        "per_file": scenario.per_file,
        "concurrency": args.concurrency,
        "contenders": [e.contender.name for e in entries],
        "unavailable": list(unavailable),
        "phases": phases,
        "goals": evaluate_goals(all_results),
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
        contenders, unavailable = build_contenders(args.only, plane, tmp, args.concurrency)
        for name in unavailable:
            print(f"{name}: not available (bench/syncd_contender.py returned None)")
        entries = prepare(contenders, admin, scenario, tmp)
        print(f"contenders: {', '.join(e.contender.name for e in entries) or 'none'}\n")
        server_pids = {p.name: p.pid for p in plane.processes}
        all_results = run_phases(
            entries,
            admin=admin,
            scenario=scenario,
            order=args.only,
            unavailable=unavailable,
            server_pids=server_pids,
        )
        summary = summary_json(
            header=header,
            args=args,
            entries=entries,
            unavailable=unavailable,
            all_results=all_results,
            scenario=scenario,
        )
        if summary["goals"]["available"]:
            print(f"goals: {json.dumps(summary['goals'])}")
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
