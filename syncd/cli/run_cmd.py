"""`syncd run`: the controller process (composition root).

Reads settings from SYNCD_* variables, connects to the API server, watches
RootSync objects in its namespace, runs one worker per sync and polls each
source at its period. SIGTERM or SIGINT stops it cleanly: workers finish the
request in flight, nothing is left half-recorded (the inventory is written
before applying).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any

from syncd.api.settings import SettingsError, load_settings
from syncd.cli.clock import SystemClock
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.errors import ClusterError
from syncd.core.sync import SyncId
from syncd.logging import LogFormat, configure_logging, get_logger
from syncd.reconcile.manager import SyncManager
from syncd.reconcile.pipeline import Pipeline, PipelinePorts
from syncd.reconcile.sources import spec_source
from syncd.reconcile.worker import TriggerReason
from syncd.schedule.scheduler import PollScheduler

HELP = """\
Run the syncd controller: watch RootSync objects and keep the cluster as
their sources declare.

configuration (environment):
  SYNCD_KUBECONFIG         kubeconfig to use (default: in-cluster, then ~/.kube/config)
  SYNCD_NAMESPACE          where RootSync objects live (default: syncd-system)
  SYNCD_APPLY_CONCURRENCY  parallel applies per sync (default: 16)
  SYNCD_LOG_LEVEL          debug | info | warning | error (default: info)
  SYNCD_LOG_FORMAT         json | console (default: json)
  SYNCD_CACHE_DIR          where fetched sources are cached

example:
  SYNCD_KUBECONFIG=~/.kube/config SYNCD_LOG_FORMAT=console syncd run
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `run` subcommand."""
    parser = commands.add_parser(
        "run",
        help="run the controller (watch RootSyncs and sync them)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--kubeconfig", type=Path, help="overrides SYNCD_KUBECONFIG")
    parser.add_argument("--namespace", help="overrides SYNCD_NAMESPACE")
    parser.set_defaults(handler=run)


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
    cluster = KubeClient(connection, max_connections=settings.apply_concurrency * 2)
    stop = threading.Event()
    executor = ThreadPoolExecutor(
        max_workers=settings.apply_concurrency, thread_name_prefix="apply"
    )
    ports = PipelinePorts(
        cluster=cluster,
        clock=SystemClock(),
        executor=executor,
        cache_dir=settings.cache_dir,
        stop=stop,
        source_factory=spec_source,
    )

    def runner(sync: SyncId, latest: Any) -> Any:
        pipeline = Pipeline(sync, ports=ports, latest=latest)

        def run_once(reasons: frozenset[TriggerReason]) -> bool:
            return pipeline.run(reasons)

        return run_once

    scheduler = PollScheduler()
    manager = SyncManager(
        cluster,
        namespace=settings.namespace,
        scheduler=scheduler,
        runner_factory=runner,
        stop=stop,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    log.info("cli.started", namespace=settings.namespace, server=connection.server)
    scheduler.start()
    manager.start()
    stop.wait()
    log.info("cli.stopping")
    scheduler.shutdown()
    manager.shutdown()
    executor.shutdown(wait=True, cancel_futures=True)
    log.info("cli.stopped")
    return 0
