"""The `syncd` contender: syncd's real reconcile pipeline, in process.

Each phase is one `Pipeline.run`, exactly what `syncd run` does when a poll
finds a new revision: resolve, fetch, parse, validate, LIST live state per
type, plan, record the inventory, apply in parallel waves, prune, record,
write status. The source is the phase's directory; its revision is a hash of
the files' bytes (resolving costs a read of the files, no parse), so the
unchanged resync phase takes the same path as an unchanged Git poll.

setup() installs the CRDs, creates the RootSync and warms discovery (a
running agent has all of that before its first sync).
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.contender import Contender
from syncd.api.models import RootSync
from syncd.cli.clock import SystemClock
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.ports import Cluster, JsonObject, Source, SourceSnapshot
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId, SyncKind
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.demo import SYSTEM_NS, install_crds
from syncd.reconcile.pipeline import Pipeline, PipelinePorts
from syncd.reconcile.worker import TriggerReason
from syncd.render.stage import PackageRenderer

CONCURRENCY = 16


class DirectorySource:
    """A Source whose revision is the content hash of one directory's files."""

    def __init__(self) -> None:
        """No directory until the first phase points it at one."""
        self.directory = Path()

    def resolve(self) -> str:
        """sha256 over the files' names and bytes."""
        digest = hashlib.sha256()
        for path in sorted(self.directory.glob("*.yaml")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:40]

    def fetch(self, commit: str) -> SourceSnapshot:
        """The directory itself (it is already local)."""
        return SourceSnapshot(commit=commit, directory=self.directory)


class SyncdContender:
    """Runs syncd's pipeline for one RootSync against the bench control plane."""

    name = "syncd"

    def __init__(
        self,
        control_plane: ControlPlane,
        *,
        source: DirectorySource | None = None,
        renderer: PackageRenderer | None = None,
    ) -> None:
        """Connect to the control plane as admin.

        `source` defaults to a `DirectorySource`; `renderer` to the pipeline's
        own default (the tools on PATH). The render benchmark passes both.
        """
        self._plane = control_plane
        self._cluster = KubeClient(
            load_connection(control_plane.kubeconfig), max_connections=CONCURRENCY * 2
        )
        self._executor = ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="apply")
        self._source = source or DirectorySource()
        self._renderer = renderer
        self._pipeline: Pipeline | None = None
        self._root_sync: JsonObject | None = None
        self._ref: ObjectRef | None = None

    def setup(self, namespace: str) -> None:
        """Install CRDs, create the RootSync `bench-<namespace>`, warm discovery."""
        install_crds(self._plane)
        name = f"bench-{namespace}"[:63]
        ref = ObjectRef(
            group="syncd.dev", version="v1beta1", kind="RootSync", namespace=SYSTEM_NS, name=name
        )
        body = {
            "apiVersion": "syncd.dev/v1beta1",
            "kind": "RootSync",
            "metadata": {"name": name, "namespace": SYSTEM_NS},
            "spec": {"git": {"repo": "file:///unused", "dir": "."}},
        }
        self._root_sync = self._cluster.apply(ref, body, field_manager="bench")
        self._ref = ref
        self._cluster.resource_type("", "ConfigMap")
        sync = SyncId(kind=SyncKind.ROOT_SYNC, namespace=SYSTEM_NS, name=name)
        ports = PipelinePorts(
            cluster=self._cluster,
            clock=SystemClock(),
            executor=self._executor,
            cache_dir=Path("/nonexistent"),
            stop=threading.Event(),
            source_factory=self._factory,
            renderer=self._renderer,
        )
        self._pipeline = Pipeline(sync, ports=ports, latest=self._latest)

    def _factory(self, cluster: Cluster, sync: RootSync, cache_dir: Path, timeout: float) -> Source:
        del cluster, sync, cache_dir, timeout
        return self._source

    def _latest(self) -> JsonObject | None:
        return self._root_sync

    def run_phase(self, phase: str, manifest_dir: Path) -> None:
        """One pipeline run over `manifest_dir`; raises if the run reported errors."""
        del phase
        if self._pipeline is None:
            raise RuntimeError("setup() was not called")
        self._source.directory = manifest_dir
        ok = self._pipeline.run(frozenset({TriggerReason.POLL}))
        if not ok:
            raise RuntimeError(f"syncd's run reported errors: {self._status_errors()}")

    def _status_errors(self, limit: int = 3) -> str:
        """The first errors on the RootSync's status, as `CODE message` (read after a failure)."""
        live = self._cluster.get(self._ref) if self._ref is not None else None
        status = (live or {}).get("status") or {}
        errors = [
            f"{e.get('code')} {str(e.get('message', ''))[:200]}"
            for stage in ("source", "rendering", "sync")
            for e in (status.get(stage) or {}).get("errors") or []
        ]
        if not errors:
            return "none on the RootSync's status"
        more = f" (+{len(errors) - limit} more)" if len(errors) > limit else ""
        return "; ".join(errors[:limit]) + more


def make_syncd_contender(control_plane: ControlPlane) -> Contender | None:
    """The syncd contender for `control_plane`."""
    return SyncdContender(control_plane)
