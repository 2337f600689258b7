"""Fixtures of the pruner tests (see `prune_env`)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.apply.pruner import Pruner
from syncd.testing.clock import FakeClock
from syncd.testing.fake_cluster import FakeCluster
from tests.unit.apply.prune_env import make_pruner
from tests.unit.kube import BUILTIN_TYPES, WIDGET


@pytest.fixture
def cluster() -> FakeCluster:
    """A cluster that also serves the Widget custom resource (tests may override it)."""
    return FakeCluster((*BUILTIN_TYPES, WIDGET), clock=FakeClock())


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


@pytest.fixture
def pruner(cluster: FakeCluster, pool: ThreadPoolExecutor) -> Pruner:
    return make_pruner(cluster, pool)
