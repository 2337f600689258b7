"""Shared fixtures of the status tests: a fake cluster holding one RootSync, and its writer."""

from __future__ import annotations

import pytest

from syncd.status.report import RunReport, StageReport
from syncd.status.writer import StatusWriter
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from tests.unit.kube import BUILTIN_TYPES, ROOT_SYNC, ref_of, root_sync

REF = ref_of(ROOT_SYNC, "root", "syncd-system")
"""The RootSync every status test writes to."""


def synced_report(commit: str, *, generation: int = 1) -> RunReport:
    """The report of a run that synced `commit` with no errors."""
    return RunReport(
        generation=generation,
        commit=commit,
        source=StageReport(commit=commit),
        rendering=StageReport(commit=commit),
        sync=StageReport(commit=commit),
        synced=True,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cluster(clock: FakeClock) -> FakeCluster:
    fake = FakeCluster(BUILTIN_TYPES, clock=clock)
    fake.apply(REF, root_sync(), field_manager="kubectl")
    return fake


@pytest.fixture
def writer(cluster: FakeCluster, clock: FakeClock) -> StatusWriter:
    return StatusWriter(cluster, clock=clock)
