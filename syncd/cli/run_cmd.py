"""`syncd run`: the controller process (composition root).

Reads settings from SYNCD_* variables, connects to the API server, watches
RootSync objects in its namespace and RepoSync objects in every namespace,
runs one worker per sync (both kinds through the same pipeline; a RepoSync
acting as its namespace's service account) and polls each source at its
period. Every sync sends its requests through its own lane of
one fair executor (SYNCD_APPLY_CONCURRENCY threads in all), and the
connection pool is sized for everything that talks to the API server at
once (`RunLimits`). SIGTERM or SIGINT stops it cleanly within
`SHUTDOWN_SECONDS`: every worker is told at once, runs stop between waves,
readiness waits return, queued requests are cancelled at the deadline, and
the process exits 0. Nothing is left half-recorded: the inventory is written
before applying.
"""

from __future__ import annotations

import argparse
import signal
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from syncd.api.settings import Settings, SettingsError, load_settings
from syncd.cli.clock import SystemClock
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.errors import ClusterError
from syncd.core.sync import SyncId, SyncKind
from syncd.logging import LogFormat, configure_logging, get_logger
from syncd.reconcile.lanes import FairExecutor
from syncd.reconcile.manager import SyncManager
from syncd.reconcile.pipeline import Pipeline, PipelinePorts
from syncd.reconcile.shutdown import Deadline
from syncd.reconcile.sources import spec_sources
from syncd.reconcile.worker import SyncRun
from syncd.render.stage import PackageRenderer
from syncd.render.tools import Tools
from syncd.schedule.scheduler import PollScheduler
from syncd.server.http import HealthServer
from syncd.server.metrics import SyncMetrics
from syncd.source.git import TlsContexts

SHUTDOWN_SECONDS = 20.0
"""How long SIGTERM waits in all for runs to end (below Kubernetes' default 30 s grace)."""
SYNC_CONNECTIONS = 64
"""Pool connections kept for sync worker threads (each sends one request at a time)."""
WATCH_CONNECTIONS = 2
"""The RootSync and RepoSync watches hold one connection each."""
SPARE_CONNECTIONS = 4
"""Headroom (discovery refreshes, a watch being replaced)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunLimits:
    """What may talk to the API server at once, and the pool that carries it."""

    requests: int
    """Request threads shared by every sync (applies, readiness polls, LISTs, deletes)."""
    connections: int
    """Keep-alive connections the pool holds: requests + sync threads + watch + spare."""

    @classmethod
    def of(cls, apply_concurrency: int) -> RunLimits:
        """The limits for SYNCD_APPLY_CONCURRENCY = `apply_concurrency`."""
        return cls(
            requests=apply_concurrency,
            connections=apply_concurrency
            + SYNC_CONNECTIONS
            + WATCH_CONNECTIONS
            + SPARE_CONNECTIONS,
        )


_DEFAULT_CONCURRENCY = int(Settings.model_fields["apply_concurrency"].default)
_DEFAULTS = RunLimits.of(_DEFAULT_CONCURRENCY)


def _item(label: str, text: str) -> str:
    return textwrap.fill(
        text, width=80, initial_indent=f"  {label:<14} ", subsequent_indent=" " * 17
    )


_LIMITS = "\n".join(
    [
        _item(
            "requests",
            f"SYNCD_APPLY_CONCURRENCY threads ({_DEFAULTS.requests} by default) send every apply, "
            "readiness poll, LIST and delete, for all syncs together.",
        ),
        _item(
            "sharing",
            "Each sync queues its requests in its own lane; a free thread takes the next one "
            "from the sync with the fewest in flight, in turn. A sync with thousands queued "
            "gets the same share as one with five; a sync alone may use every thread.",
        ),
        _item(
            "per sync",
            "On top of its share, each sync's worker thread sends one request at a time "
            "(source, inventory, status, Events).",
        ),
        _item(
            "pool",
            f"{_DEFAULTS.connections} keep-alive connections by default: one per request "
            f"thread, {SYNC_CONNECTIONS} for sync worker threads, {WATCH_CONNECTIONS} for the "
            f"RootSync and RepoSync watches, {SPARE_CONNECTIONS} spare. Past "
            f"{SYNC_CONNECTIONS} syncs talking at once, extra connections are opened per "
            "request and closed after it.",
        ),
    ]
)

HELP = f"""\
Run the syncd controller: watch RootSync objects (in SYNCD_NAMESPACE) and
RepoSync objects (in every namespace) and keep the cluster as their sources
declare. A RepoSync acts as its service account (spec.serviceAccountName,
default syncd-<name>) by impersonation, so syncd's own account needs the
impersonate verb on serviceaccounts (manifests/rbac/).

configuration (environment):
  SYNCD_KUBECONFIG         kubeconfig to use (default: in-cluster, then ~/.kube/config)
  SYNCD_NAMESPACE          where RootSync objects live (default: syncd-system)
  SYNCD_APPLY_CONCURRENCY  requests in flight in all, shared by every sync
                           (default: {_DEFAULT_CONCURRENCY})
  SYNCD_LOG_LEVEL          debug | info | warning | error (default: info)
  SYNCD_LOG_FORMAT         json | console (default: json)
  SYNCD_CACHE_DIR          where fetched sources are cached
  SYNCD_MAX_FILE_BYTES     largest manifest file a source may hold (default: 8 MiB)
  SYNCD_MAX_PACKAGE_BYTES  largest total of a package's manifest files (default: 64 MiB)
  SYNCD_MAX_OBJECTS        most objects one package may declare (default: 20000)
  SYNCD_MAX_DEPTH          deepest nesting in one document (default: 100, at most 200)
  SYNCD_KUSTOMIZE          the kustomize binary (default: kustomize on PATH)
  SYNCD_HELM               the helm binary (default: helm on PATH)
  SYNCD_RENDER_TIMEOUT_SECONDS  longest one renderer may run (default: 120)
  SYNCD_RENDER_MEMORY_BYTES  address space of one renderer process (default: 2 GiB)
  SYNCD_WASM_FUEL          fuel per kpt WASM function call (default: 4000000000)
  SYNCD_WASM_MEMORY_BYTES  memory of one kpt WASM function (default: 256 MiB)
  SYNCD_CLUSTER_NAME       this cluster's name for ClusterSelectors (default: none)
  SYNCD_METRICS_PORT       serve /healthz, /readyz and /metrics on this port (default: 0, off)
  SYNCD_METRICS_ADDRESS    the address they bind (default: 127.0.0.1; 0.0.0.0 in a pod)

limits (what talks to the API server at once):
{_LIMITS}

shutdown:
  SIGTERM or SIGINT tells every sync at once: a run stops between waves and
  readiness waits return; the workers get {SHUTDOWN_SECONDS:.0f}s in all, then queued
  requests are cancelled. Exit status 0. The inventory always lists what
  was applied (it is written before applying).

example:
  SYNCD_KUBECONFIG=~/.kube/config SYNCD_LOG_FORMAT=console syncd run
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `run` subcommand."""
    parser = commands.add_parser(
        "run",
        help="run the controller (watch RootSyncs and RepoSyncs and sync them)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kubeconfig", type=Path, help="overrides SYNCD_KUBECONFIG")
    parser.add_argument("--namespace", help="overrides SYNCD_NAMESPACE")
    parser.set_defaults(handler=run)


def _health_server(
    settings: Settings, metrics: SyncMetrics, managers: list[SyncManager]
) -> HealthServer | None:
    """/healthz, /readyz and /metrics, started, when SYNCD_METRICS_PORT asks; OSError if taken."""
    if not settings.metrics_port:
        return None
    server = HealthServer(
        host=settings.metrics_address,
        port=settings.metrics_port,
        metrics=metrics,
        ready=lambda: _not_ready(managers),
    )
    server.start()
    return server


def _not_ready(managers: list[SyncManager]) -> str:
    """'' once every sync kind has been listed, else which ones are not yet."""
    waiting = [
        f"{manager.kind.value}s not listed yet" for manager in managers if not manager.listed
    ]
    return ", ".join(waiting)


def run(args: argparse.Namespace) -> int:
    """Run until SIGTERM or SIGINT."""
    overrides = {
        key: value
        for key, value in (("kubeconfig", args.kubeconfig), ("namespace", args.namespace))
        if value is not None
    }
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        sys.stderr.write(f"syncd: invalid configuration: {exc}\n")
        return 2
    configure_logging(settings.log_level, fmt=LogFormat(settings.log_format))
    log = get_logger("cli.run")
    try:
        connection = load_connection(settings.kubeconfig)
    except ClusterError as exc:
        sys.stderr.write(f"syncd: cannot connect: {exc}\n")
        return 2
    limits = RunLimits.of(settings.apply_concurrency)
    clock = SystemClock()
    cluster = KubeClient(connection, max_connections=limits.connections)
    stop = threading.Event()
    requests = FairExecutor(workers=limits.requests, monotonic=clock.monotonic)
    renderer = PackageRenderer(
        tools=Tools(kustomize=settings.kustomize, helm=settings.helm),
        limits=settings.render_limits(),
        decode_limits=settings.decode_limits(),
    )

    # One TLS context per CA for every sync's Git pool, not one per pooled connection.
    sources = spec_sources(TlsContexts())
    metrics = SyncMetrics(wall_clock=time.time)

    def runner(sync: SyncId, latest: Any) -> SyncRun:
        lane = requests.lane(str(sync))
        halt = threading.Event()  # this sync's stop: its removal, or the process's
        ports = PipelinePorts(
            cluster=cluster,
            clock=clock,
            executor=lane,
            cache_dir=settings.cache_dir,
            stop=halt,
            source_factory=sources,
            limits=settings.decode_limits(),
            renderer=renderer,
            system_namespace=settings.namespace,
            cluster_name=settings.cluster_name,
            observer=metrics.observe,
        )
        pipeline = Pipeline(sync, ports=ports, latest=latest)

        def release() -> None:
            lane.shutdown(wait=False, cancel_futures=True)
            metrics.forget(sync)

        return SyncRun(run=pipeline.run, interrupt=halt.set, release=release)

    scheduler = PollScheduler()
    managers = [
        SyncManager(
            cluster,
            namespace=namespace,
            kind=kind,
            scheduler=scheduler,
            runner_factory=runner,
            stop=stop,
            monotonic=clock.monotonic,
        )
        for kind, namespace in ((SyncKind.ROOT_SYNC, settings.namespace), (SyncKind.REPO_SYNC, ""))
    ]

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    try:
        server = _health_server(settings, metrics, managers)
    except OSError as exc:
        where = f"{settings.metrics_address}:{settings.metrics_port}"
        sys.stderr.write(f"syncd: cannot serve metrics on {where}: {exc.strerror or exc}\n")
        return 2
    log.info(
        "cli.started",
        namespace=settings.namespace,
        server=connection.server,
        requests=limits.requests,
        connections=limits.connections,
    )
    scheduler.start()
    for manager in managers:
        manager.start()
    stop.wait()
    deadline = Deadline.after(SHUTDOWN_SECONDS, monotonic=clock.monotonic)
    log.info("cli.stopping", timeout=SHUTDOWN_SECONDS)
    scheduler.shutdown()
    abandoned = [
        sync for manager in managers for sync in manager.shutdown(timeout=deadline.remaining())
    ]
    threads_done = requests.shutdown(timeout=deadline.remaining())
    if server is not None:
        server.close()
    log.info(
        "cli.stopped",
        abandoned=[str(sync) for sync in abandoned],
        requests_stopped=threads_done,
    )
    return 0
