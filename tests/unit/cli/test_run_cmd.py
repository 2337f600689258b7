"""`syncd run --help` states the real limits; the pool is sized for all who talk at once."""

from __future__ import annotations

import pytest

from syncd.api.settings import Settings
from syncd.cli.main import main
from syncd.cli.run_cmd import (
    SHUTDOWN_SECONDS,
    SPARE_CONNECTIONS,
    SYNC_CONNECTIONS,
    WATCH_CONNECTIONS,
    RunLimits,
)


def run_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # unwrap the paragraphs


def test_help_states_requests_in_flight_sharing_pool_size_and_shutdown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = run_help(capsys)
    limits = RunLimits.of(int(Settings.model_fields["apply_concurrency"].default))
    assert f"SYNCD_APPLY_CONCURRENCY threads ({limits.requests} by default)" in text
    assert "for all syncs together" in text
    assert "gets the same share as one with five" in text
    assert f"{limits.connections} keep-alive connections by default" in text
    assert f"{SYNC_CONNECTIONS} for sync worker threads" in text
    assert f"get {SHUTDOWN_SECONDS:.0f}s in all" in text
    assert "parallel applies per sync" not in text  # the old, wrong claim


@pytest.mark.parametrize("concurrency", [1, 16, 256])
def test_the_pool_holds_every_request_thread_sync_thread_and_the_watch(concurrency: int) -> None:
    limits = RunLimits.of(concurrency)
    assert limits.requests == concurrency
    everyone = concurrency + SYNC_CONNECTIONS + WATCH_CONNECTIONS
    assert limits.connections == everyone + SPARE_CONNECTIONS
    assert SPARE_CONNECTIONS > 0
