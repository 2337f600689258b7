"""The pipeline test environment: a FakeCluster, a FakeSource and one Pipeline over them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from syncd.api.models import RootSync
from syncd.api.status import SyncObjectStatus, SyncState
from syncd.core.inventory import InventorySet
from syncd.core.ports import Cluster, JsonObject, Source
from syncd.core.refs import ObjectRef
from syncd.core.sync import SyncId, SyncKind
from syncd.inventory.store import InventoryStore
from syncd.reconcile.pipeline import Pipeline, PipelinePorts
from syncd.reconcile.sources import SourceFactory
from syncd.reconcile.worker import TriggerReason
from syncd.render.stage import PackageRenderer
from syncd.render.tools import Tools
from syncd.status.writer import previous_status
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from syncd.testing.fake_source import FakeSource
from tests.unit.kube import (
    BUILTIN_TYPES,
    NAMESPACE,
    ROOT_SYNC,
    configmap,
    namespace,
    ref_of,
    root_sync,
)

SYNC = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="root")
REF = ref_of(ROOT_SYNC, "root", "syncd-system")
NS_REF = ref_of(NAMESPACE, "app")
POLL = frozenset({TriggerReason.POLL})


def doc(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj)


INITIAL = {
    "namespace.yaml": doc(namespace("app")),
    "cm-a.yaml": doc(configmap("a")),
    "cm-b.yaml": doc(configmap("b")),
}


@dataclass
class Env:
    cluster: FakeCluster
    source: FakeSource
    clock: FakeClock
    pipeline: Pipeline
    built: list[RootSync] = field(default_factory=list)

    def run(self, *reasons: TriggerReason) -> bool:
        return self.pipeline.run(frozenset(reasons) or POLL)

    def status(self) -> SyncObjectStatus:
        live = self.cluster.peek(REF)
        assert live is not None
        status = previous_status(live)
        assert status is not None
        return status

    def state(self) -> SyncState | None:
        summary = self.status().summary
        return summary.state if summary else None

    def inventory(self) -> InventorySet:
        return InventoryStore(self.cluster, sync=SYNC).load().refs

    def set_spec(self, spec: dict[str, Any]) -> None:
        self.cluster.apply(REF, root_sync(spec), field_manager="kubectl")

    def mark(self) -> int:
        return len(self.cluster.requests)

    def since(self, mark: int) -> list[tuple[str, str]]:
        return self.cluster.requests[mark:]


def make_env(
    tmp_path: Path, executor: ThreadPoolExecutor, spec: dict[str, Any] | None = None
) -> Env:
    clock = FakeClock()
    cluster = FakeCluster(BUILTIN_TYPES, clock=clock)
    cluster.apply(REF, root_sync(spec), field_manager="kubectl")
    source = FakeSource(tmp_path / "source")
    built: list[RootSync] = []

    def factory(_: Cluster, sync: RootSync, cache_dir: Path, timeout: float) -> Source:
        assert timeout >= 30
        assert cache_dir == tmp_path / "cache"
        built.append(sync)
        return source

    pipeline = make_pipeline(
        cluster, clock=clock, executor=executor, cache_dir=tmp_path / "cache", factory=factory
    )
    return Env(cluster=cluster, source=source, clock=clock, pipeline=pipeline, built=built)


def live(env: Env, ref: ObjectRef) -> dict[str, Any]:
    obj = env.cluster.peek(ref)
    assert obj is not None
    return obj


def make_pipeline(
    cluster: FakeCluster,
    *,
    clock: FakeClock,
    executor: ThreadPoolExecutor,
    cache_dir: Path,
    factory: SourceFactory,
    stop: threading.Event | None = None,
    latest: Callable[[], JsonObject | None] | None = None,
    sync: SyncId = SYNC,
) -> Pipeline:
    """The pipeline of `sync` on `cluster`; its sync object is read from `cluster` by default."""
    ports = PipelinePorts(
        cluster=cluster,
        clock=clock,
        executor=executor,
        cache_dir=cache_dir,
        stop=stop or threading.Event(),
        source_factory=factory,
        # No renderer binaries: unit tests never depend on what PATH holds.
        renderer=PackageRenderer(
            tools=Tools(kustomize=cache_dir / "no-kustomize", helm=cache_dir / "no-helm")
        ),
    )
    ref = ObjectRef(
        group="syncd.dev",
        version="v1beta1",
        kind=sync.kind.value,
        namespace=sync.namespace,
        name=sync.name,
    )
    return Pipeline(sync, ports=ports, latest=latest or (lambda: cluster.peek(ref)))
