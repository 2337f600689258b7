"""The render benchmark's package: the real kustomize builds exactly what the bench predicts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from bench.kustomize_package import RenderScenario, built_objects, write_package
from syncd.devenv.tools import Tools

pytestmark = pytest.mark.e2e


def test_the_real_kustomize_builds_exactly_the_predicted_objects(
    tmp_path: Path, tools: Tools
) -> None:
    scenario = RenderScenario(objects=7, per_file=3)
    overlay = write_package(scenario, "ns-e", tmp_path)
    done = subprocess.run(
        [str(tools.kustomize), "build", str(overlay)], capture_output=True, check=True
    )
    built = [d for d in yaml.safe_load_all(done.stdout) if d]
    by_name = {o["metadata"]["name"]: o for o in built}
    assert len(built) == 7
    assert by_name == {o["metadata"]["name"]: o for o in built_objects(scenario, "ns-e")}
