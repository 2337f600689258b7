"""The tenants benchmark runs end to end at tiny sizes: real control plane, Git server, `syncd run`.

RootSyncs for now (RepoSync reconciliation lands separately); the figures
are not judged here, only that every part ran, verified and was reported.
"""

from __future__ import annotations

import json

import pytest

from bench import tenants_bench
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e


def test_a_tiny_tenants_run_syncs_measures_idle_and_reports_every_goal(
    tools: Tools, capsys: pytest.CaptureFixture[str]
) -> None:
    del tools  # built (or found in the cache) before the bench looks for them
    argv = ["--kind", "RootSync", "--syncs", "3", "--objects", "2", "--repos", "2"]
    code = tenants_bench.main([*argv, "--period", "2", "--idle-polls", "2", "--timeout", "90"])
    out = capsys.readouterr().out
    assert code == 0, out
    result = json.loads(out.split("BENCH_RESULT ", 1)[1])
    assert result["ok"] is True
    assert result["syncd_exit_code"] == 0
    assert result["results"]["raw"]["requests"]["by_verb"]["APPLY"] == 6
    goals = result["goals"]
    assert goals["all_synced"]["synced"] == 3
    idle = goals["idle_requests"]
    assert idle["lists_per_type"]["configmaps"] > 0
    assert not any(key.startswith("PUT leases") for key in idle["counted"])
    assert result["rss_bytes"]["peak"] >= result["rss_bytes"]["start"] > 0
    assert "== goals (issue 8, RootSync) ==" in out
    assert "syncd RSS (process tree)" in out
