"""The tenants benchmark: `.venv/bin/python -m bench.tenants_bench`.

Issue 8's acceptance line: N syncs (RepoSyncs by default) of M ConfigMaps
each, from R Git repositories, all in ONE `syncd run`. Starts one quiet
control plane (etcd and the API server only) and one real Git server
(`git http-backend`), writes the repositories (sync i reads repository
i % R, directory sync-<i>, objects in namespace tenant-<i>), then:

1. peer: the raw client applies the same N*M objects (into peer-<i>), timed;
2. syncd: `syncd run` as a child process, idle until it has listed the sync
   objects; then every sync object is created and the harness polls until
   all are Synced (Ready for their generation at their repository's commit);
   that time is the figure, with syncd/raw beside it;
3. idle: after one more period, `apiserver_request_total` over
   `--idle-polls` poll periods, per sync and poll, by verb and resource;
4. memory: the syncd process tree's resident set, sampled throughout: at
   start (no syncs), peak, and at the end of the idle window.

Then issue 8's goals as pass/fail lines (bench/tenant_goals.py) and one
`BENCH_RESULT {json}` line. Exits 1 when a contender fails or syncd does not
exit 0 on SIGTERM, 2 on bad options; goals do not change the exit code.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cpu, metrics
from bench import tenant_goals as goals
from bench.checks import wait_for_bootstrap
from bench.contender import COLD
from bench.raw_contender import RawContender
from bench.report import PhaseResult, render_table, result_json
from bench.rss import RssSampler
from bench.sync_bench import load_1m, print_machine
from bench.syncd_process import alive, start_syncd, stop_syncd, wait_watching
from bench.tenant_cluster import create_and_wait, prepare, verify_objects
from bench.tenant_scenario import (
    MANAGED_RESOURCES,
    PEER_PREFIX,
    TENANT_PREFIX,
    SyncKind,
    TenantScenario,
    repo_name,
)
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.demo import install_crds
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ManagedProcess
from syncd.devenv.tools import locate_tools


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.tenants_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--syncs", type=int, default=200, help="sync objects (N)")
    parser.add_argument("--objects", type=int, default=10, help="ConfigMaps per sync (M)")
    parser.add_argument("--repos", type=int, default=20, help="Git repositories (R)")
    parser.add_argument(
        "--kind",
        choices=[k.value for k in SyncKind],
        default=SyncKind.REPO_SYNC.value,
        help="the sync objects' kind (default RepoSync)",
    )
    parser.add_argument("--period", type=float, default=15.0, help="spec.git.period in seconds")
    parser.add_argument("--idle-polls", type=int, default=4, help="poll periods in the idle window")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds to wait for all syncs to be Synced"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="the raw peer's threads")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, repos)")
    args = parser.parse_args(argv)
    if args.idle_polls < 1 or args.concurrency < 1 or args.timeout <= 0:
        parser.error("--idle-polls and --concurrency must be at least 1, --timeout positive")
    return args


@dataclass(slots=True, kw_only=True)
class SyncdRun:
    """What the syncd part measured."""

    result: PhaseResult
    idle: goals.IdleCost | None = None
    rss_start: int | None = None
    rss_peak: int | None = None
    rss_idle: int | None = None
    exit_code: int | None = None
    synced: int = 0
    synced_seconds: float | None = None
    notes: list[str] = field(default_factory=list)


def write_repos(
    git: GitHttpServer, scenario: TenantScenario
) -> tuple[dict[int, str], dict[int, str]]:
    """One commit per repository with its syncs' directories; (urls, commits) by repository."""
    urls: dict[int, str] = {}
    commits: dict[int, str] = {}
    for repo in range(scenario.repos):
        name = repo_name(repo)
        created = GitRepo.create(git.root, name)
        commits[repo] = created.commit(scenario.repo_files(repo), f"{name}: the tenants' objects")
        urls[repo] = git.repo_url(name)
    return urls, commits


def run_peer(
    admin: KubeHttp,
    plane: ControlPlane,
    scenario: TenantScenario,
    workdir: Path,
    *,
    concurrency: int,
    server_pids: dict[str, int],
) -> PhaseResult:
    """The raw client applies every sync's objects (into the peer namespaces), timed."""
    workdir.mkdir(parents=True)
    for i in range(scenario.syncs):
        for name, text in scenario.files(i, PEER_PREFIX).items():
            (workdir / f"{i:05d}-{name}").write_text(text)
    raw = RawContender(
        server=plane.server,
        ca_file=plane.ca_file,
        token=plane.users["admin"].token,
        concurrency=concurrency,
    )
    res = PhaseResult(load_1m=load_1m())
    try:
        raw.setup("default")
        leases_before = metrics.lease_versions(admin)
        before = metrics.snapshot(admin)
        cpu_before = cpu.mark(server_pids)
        began = time.perf_counter()
        try:
            raw.run_phase(COLD, workdir)
        except Exception as exc:  # noqa: BLE001 - reported, then the run exits 1
            res.problem = f"{type(exc).__name__}: {exc}"
        res.seconds = time.perf_counter() - began
        res.cpu_seconds = cpu.usage(cpu_before, cpu.mark(server_pids))
        res.requests = metrics.delta(before, metrics.snapshot(admin))
        res.background = res.requests.background(
            metrics.renewed(leases_before, metrics.lease_versions(admin))
        )
    finally:
        raw.close()
    if not res.problem:
        res.problem = verify_objects(admin, scenario, PEER_PREFIX)
    res.verified = not res.problem
    return res


def run_syncd(
    admin: KubeHttp,
    process: ManagedProcess,
    scenario: TenantScenario,
    *,
    repos: tuple[dict[int, str], dict[int, str]],
    idle_polls: int,
    timeout: float,
    server_pids: dict[str, int],
) -> SyncdRun:
    """Create the syncs under a running syncd, wait until all are Synced, then measure idle."""
    plural = scenario.kind.plural
    wait_watching(admin, process, plural, before=0)
    sampler = RssSampler(process.pid).start()
    run = SyncdRun(result=PhaseResult(load_1m=load_1m()), rss_start=sampler.now())
    res = run.result
    pids = {**server_pids, "syncd": process.pid}
    leases_before = metrics.lease_versions(admin)
    before = metrics.snapshot(admin)
    cpu_before = cpu.mark(pids)
    began = time.perf_counter()
    urls, commits = repos
    wait = create_and_wait(
        admin,
        scenario,
        repo_urls=urls,
        commits=commits,
        timeout=timeout,
        alive=lambda: alive(process),
    )
    res.seconds = wait.seconds if wait.seconds is not None else time.perf_counter() - began
    res.cpu_seconds = cpu.usage(cpu_before, cpu.mark(pids))
    res.requests = goals.without(
        metrics.delta(before, metrics.snapshot(admin)), wait.harness_requests
    )
    res.background = res.requests.background(
        metrics.renewed(leases_before, metrics.lease_versions(admin))
    )
    run.synced, run.synced_seconds = wait.synced, wait.seconds
    res.problem = wait.problem or verify_objects(admin, scenario, TENANT_PREFIX)
    res.verified = not res.problem
    res.notes = {"harness_requests_left_out": dict(wait.harness_requests)}
    try:
        if res.verified:
            run.idle = measure_idle(admin, scenario, idle_polls=idle_polls)
            if why := alive(process):
                res.problem, res.verified = why, False
        run.rss_idle = sampler.now()
        run.rss_peak = sampler.peak
    finally:
        sampler.stop()
        run.exit_code = stop_syncd(process)
    if run.exit_code != 0 and res.verified:
        res.problem, res.verified = f"syncd exited {run.exit_code} on SIGTERM", False
    return run


def measure_idle(admin: KubeHttp, scenario: TenantScenario, *, idle_polls: int) -> goals.IdleCost:
    """After one settling period, the requests of `idle_polls` periods (nothing else runs)."""
    time.sleep(scenario.period_seconds)
    before = metrics.snapshot(admin)
    began = time.perf_counter()
    time.sleep(idle_polls * scenario.period_seconds)
    after = metrics.snapshot(admin)
    window = time.perf_counter() - began
    return goals.idle_cost(
        metrics.delta(before, after),
        syncs=scenario.syncs,
        window_seconds=window,
        period_seconds=scenario.period_seconds,
    )


def mib(value: int | None) -> str:
    return "?" if value is None else f"{value / goals.MIB:.0f} MiB"


def report(
    scenario: TenantScenario, peer: PhaseResult, syncd: SyncdRun, header: dict[str, Any]
) -> dict[str, Any]:
    """Print the table, the memory line and the goals; return the BENCH_RESULT figures."""
    results = {"raw": peer, "syncd": syncd.result}
    title = (
        f"{scenario.syncs} {scenario.kind.value}s x {scenario.objects} ConfigMaps from "
        f"{scenario.repos} repositories: raw applies them / syncd Synced after creation"
    )
    print(
        render_table(
            title=title,
            objects=scenario.total_objects,
            order=["raw", "syncd"],
            results=results,
            unavailable=[],
            baselines=("raw",),
            ratios=(("syncd", "raw"),),
            scale=(),
        ),
        end="\n\n",
    )
    print(
        f"syncd RSS (process tree): at start {mib(syncd.rss_start)}, peak {mib(syncd.rss_peak)}, "
        f"idle {mib(syncd.rss_idle)}; exit status {syncd.exit_code}\n"
    )
    evaluated = goals.evaluate(
        synced=goals.synced_goal(syncd.synced_seconds, syncd.synced, scenario.syncs),
        idle=goals.idle_goal(syncd.idle, MANAGED_RESOURCES),
        rss=goals.rss_goal(syncd.rss_peak, syncd.rss_idle),
    )
    print(goals.render(evaluated, kind=scenario.kind.value), end="\n\n")
    ratio = None
    if peer.verified and syncd.result.verified and peer.seconds and syncd.result.seconds:
        ratio = syncd.result.seconds / peer.seconds
    return {
        **header,
        "kind": scenario.kind.value,
        "syncs": scenario.syncs,
        "objects_per_sync": scenario.objects,
        "repos": scenario.repos,
        "period_seconds": scenario.period_seconds,
        "results": {n: result_json(r, scenario.total_objects) for n, r in results.items()},
        "ratio_syncd_raw": ratio,
        "rss_bytes": {"start": syncd.rss_start, "peak": syncd.rss_peak, "idle": syncd.rss_idle},
        "syncd_exit_code": syncd.exit_code,
        "goals": evaluated,
        "ok": peer.verified and syncd.result.verified,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when both sides verified and syncd stopped cleanly, else 1."""
    args = parse_args(argv)
    try:
        scenario = TenantScenario(
            syncs=args.syncs,
            objects=args.objects,
            repos=args.repos,
            kind=SyncKind(args.kind),
            period_seconds=args.period,
        )
    except ValueError as exc:
        print(f"tenants_bench: {exc}", file=sys.stderr)
        return 2
    tools = locate_tools()
    tmp = Path(tempfile.mkdtemp(prefix="syncd-tenants-"))
    plane = ControlPlane(
        workdir=tmp / "plane", tools=tools, with_controllers=False, with_node=False
    )
    git = GitHttpServer(tmp / "git" / "repos", log_path=tmp / "git" / "http-backend.log")
    process: ManagedProcess | None = None
    summary: dict[str, Any] = {"ok": False}
    try:
        plane.start()
        git.start()
        admin = plane.http()
        wait_for_bootstrap(admin)
        install_crds(plane)
        header = print_machine(plane)
        print(
            f"scenario: {scenario.syncs} {scenario.kind.value}s x {scenario.objects} ConfigMaps "
            f"from {scenario.repos} repositories, period {scenario.period_seconds:g}s, idle "
            f"window {args.idle_polls} periods; raw concurrency {args.concurrency}\n",
            flush=True,
        )
        repos = write_repos(git, scenario)
        prepare(admin, scenario, (TENANT_PREFIX, PEER_PREFIX))
        server_pids = {p.name: p.pid for p in plane.processes}
        peer = run_peer(
            admin,
            plane,
            scenario,
            tmp / "peer",
            concurrency=args.concurrency,
            server_pids=server_pids,
        )
        process = start_syncd(plane, tmp / "syncd")
        syncd = run_syncd(
            admin,
            process,
            scenario,
            repos=repos,
            idle_polls=args.idle_polls,
            timeout=args.timeout,
            server_pids=server_pids,
        )
        summary = report(scenario, peer, syncd, header)
        print("BENCH_RESULT " + json.dumps(summary))
    finally:
        if process is not None:
            process.stop()
        git.stop()
        plane.stop()
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
