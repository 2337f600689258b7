"""Run reports become metrics per sync; fixed errors and deleted syncs leave no series."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.sync import SyncId, SyncKind
from syncd.server.http import HealthServer
from syncd.server.metrics import SyncMetrics
from syncd.status.report import RunReport, StageReport, SyncCounts

SYNC = SyncId(kind=SyncKind.REPO_SYNC, namespace="team-a", name="repo")
LABELS = {"kind": "RepoSync", "namespace": "team-a", "name": "repo"}


def samples(metrics: SyncMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(metrics: SyncMetrics, metric: str, /, **labels: str) -> float | None:
    return samples(metrics).get((metric, frozenset(labels.items())))


def synced(applied: int = 3) -> RunReport:
    counts = SyncCounts(applied=applied, unchanged=1, pruned=2, failed=0, total=4)
    return RunReport(generation=1, commit="c1", sync=StageReport(commit="c1"), counts=counts)


def test_a_synced_run_sets_counts_timestamp_duration_and_result() -> None:
    metrics = SyncMetrics(wall_clock=lambda: 1_700_000_000.0)
    metrics.observe(SYNC, synced(), 2.5)
    assert value(metrics, "syncd_objects", **LABELS, action="applied") == 3
    assert value(metrics, "syncd_objects", **LABELS, action="pruned") == 2
    assert value(metrics, "syncd_declared_objects", **LABELS) == 4
    assert value(metrics, "syncd_last_synced_timestamp_seconds", **LABELS) == 1_700_000_000.0
    assert value(metrics, "syncd_runs_total", kind="RepoSync", result="synced") == 1
    assert value(metrics, "syncd_run_duration_seconds_sum", kind="RepoSync") == 2.5


def test_errors_are_counted_by_code_and_a_fixed_error_leaves_no_series() -> None:
    metrics = SyncMetrics(wall_clock=lambda: 0.0)
    failing = RunReport(
        generation=1,
        commit="c1",
        sync=StageReport(
            commit="c1",
            errors=(
                SyncdError("a", code=ErrorCode.OUTSIDE_TENANT_SCOPE),
                SyncdError("b", code=ErrorCode.OUTSIDE_TENANT_SCOPE),
                SyncdError("c", code=ErrorCode.FORBIDDEN),
            ),
        ),
    )
    metrics.observe(SYNC, failing, 1.0)
    assert value(metrics, "syncd_errors", **LABELS, code="SD1058") == 2
    assert value(metrics, "syncd_errors", **LABELS, code="SD2013") == 1
    assert value(metrics, "syncd_runs_total", kind="RepoSync", result="error") == 1
    assert value(metrics, "syncd_last_synced_timestamp_seconds", **LABELS) is None
    metrics.observe(SYNC, synced(), 1.0)
    assert value(metrics, "syncd_errors", **LABELS, code="SD1058") is None
    assert value(metrics, "syncd_errors", **LABELS, code="SD2013") is None


def test_a_forgotten_sync_has_no_series_left() -> None:
    metrics = SyncMetrics(wall_clock=lambda: 0.0)
    metrics.observe(SYNC, synced(), 1.0)
    metrics.forget(SYNC)
    assert not [key for key in samples(metrics) if ("name", "repo") in key[1]]
    metrics.forget(SYNC)  # twice is fine


@pytest.fixture
def served() -> Iterator[tuple[HealthServer, SyncMetrics, list[str]]]:
    metrics = SyncMetrics(wall_clock=lambda: 0.0)
    missing = ["RepoSyncs not listed yet"]
    server = HealthServer(host="127.0.0.1", port=0, metrics=metrics, ready=lambda: missing[0])
    server.start()
    try:
        yield server, metrics, missing
    finally:
        server.close()


def fetch(server: HealthServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_healthz_readyz_and_metrics_are_served(
    served: tuple[HealthServer, SyncMetrics, list[str]],
) -> None:
    server, metrics, missing = served
    assert fetch(server, "/healthz") == (200, "ok\n")
    assert fetch(server, "/readyz") == (503, "not ready: RepoSyncs not listed yet\n")
    missing[0] = ""
    assert fetch(server, "/readyz") == (200, "ok\n")
    metrics.observe(SYNC, synced(applied=7), 1.0)
    code, body = fetch(server, "/metrics")
    assert code == 200
    assert 'syncd_objects{action="applied",kind="RepoSync",name="repo",namespace="team-a"} 7.0' in (
        body
    )
    assert fetch(server, "/nope")[0] == 404
