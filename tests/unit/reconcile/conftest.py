"""Fixtures of the pipeline tests (see `pipeline_env`)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from syncd.api.status import SyncState
from syncd.reconcile.worker import TriggerReason
from tests.unit.reconcile.pipeline_env import INITIAL, Env, make_env


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


@pytest.fixture
def env(tmp_path: Path, executor: ThreadPoolExecutor) -> Env:
    return make_env(tmp_path, executor)


@pytest.fixture
def synced_env(env: Env) -> Env:
    env.source.commit(INITIAL)
    assert env.run(TriggerReason.STARTUP)
    assert env.state() is SyncState.SYNCED
    env.clock.advance(60)
    return env
