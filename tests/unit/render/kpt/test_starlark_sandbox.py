"""A hostile Starlark script costs one SD1068, never the controller's process."""

from __future__ import annotations

import os
import time

from syncd.render.kpt import KptLimits
from tests.unit.render.kpt.helpers import kptfile, render

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"


def _package(script: str) -> dict[str, str]:
    pipeline = "  mutators:\n  - image: gcr.io/kpt-fn/starlark:v0.4\n    configPath: fn.yaml\n"
    config = (
        "apiVersion: fn.kpt.dev/v1alpha1\nkind: StarlarkRun\nmetadata:\n  name: fn\n"
        "  annotations:\n    config.kubernetes.io/local-config: 'true'\nsource: |\n"
        + "".join(f"  {line}\n" for line in script.splitlines())
    )
    return {"Kptfile": kptfile("p", pipeline), "fn.yaml": config, "cm.yaml": CM}


def test_a_script_that_allocates_without_bound_is_stopped_and_reported(tmp_path):
    pid = os.getpid()
    output = render(tmp_path, _package("x = [0] * 1000000000"))

    assert os.getpid() == pid  # this process is alive and the same one
    [error] = output.errors
    assert "MiB of memory" in error.message
    assert output.objects == ()


def test_a_script_that_runs_too_long_is_cancelled_at_the_pipeline_deadline(tmp_path):
    began = time.monotonic()
    script = "n = 0\nfor i in range(2000000000):\n    for j in range(2000000000):\n        n += 1"
    output = render(tmp_path, _package(script), limits=KptLimits(timeout_seconds=2))

    [error] = output.errors
    assert "time limit" in error.message
    assert time.monotonic() - began < 20


def test_a_well_behaved_script_still_edits_the_items(tmp_path):
    script = (
        'for r in ctx.resource_list["items"]:\n'
        '    if r["kind"] == "ConfigMap":\n'
        '        r["data"]["edited"] = "yes"'
    )
    output = render(tmp_path, _package(script))

    assert output.errors == ()
    assert [o.body["data"] for o in output.objects] == [{"a": "b", "edited": "yes"}]
