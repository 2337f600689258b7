"""`make demo` / `make cluster` for people: what they print works, and Ctrl-C cleans up."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.devenv.gitrepo import git_env
from syncd.devenv.proc import wait_until
from syncd.devenv.tools import REPO_ROOT, Tools

pytestmark = pytest.mark.e2e


def test_demo_syncs_examples_follows_a_commit_and_stops_on_sigterm(
    tools: Tools, tmp_path: Path
) -> None:
    env = {**os.environ, "SYNCD_TOOLS_DIR": str(tools.bin_dir), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "syncd.devenv", "demo", "--workdir", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:

        def running() -> bool:
            line = proc.stdout.readline() if proc.stdout else ""
            if line:
                lines.append(line)
            if proc.poll() is not None:
                raise AssertionError("demo exited early:\n" + "".join(lines))
            return "press Ctrl-C to stop" in line

        wait_until(running, timeout=120, what="demo running", interval=0)
        output = "".join(lines)
        # The main job: the RootSync reached Ready at both commits.
        synced = re.findall(r"^root\s+True\s+Synced\s+([0-9a-f]{7})\s+0\s", output, re.MULTILINE)
        assert len(synced) == 2, output
        assert synced[0] != synced[1]
        assert "Hello again, from a new commit" in output
        assert re.search(r"deployment.apps/web\s+2/2", output), output
        kubectl = re.search(r"try:\s+(\S+) get namespaces", output)
        repo = re.search(r"git repo:\s+(\S+) \(branch main, ([0-9a-f]{7})\)", output)
        assert kubectl, output
        assert repo, output
        namespaces = subprocess.run(
            [kubectl.group(1), "get", "namespaces", "-o", "name"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert "namespace/kube-system" in namespaces.stdout
        remote = subprocess.run(
            ["git", "ls-remote", repo.group(1), "refs/heads/main"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env=git_env(),
        )
        assert synced[0] == repo.group(2)
        # The demo's second commit is the branch head the RootSync followed.
        assert remote.stdout.startswith(synced[1])
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "[devenv] stopped in" in out


def test_demo_names_the_examples_in_its_help_and_refuses_an_unknown_one() -> None:
    run = [sys.executable, "-m", "syncd.devenv", "demo"]
    helped = subprocess.run(
        [*run, "--help"], cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert helped.returncode == 0, helped.stderr
    for name in ("hello", "kustomize", "helm", "kpt", "hierarchy"):
        assert re.search(rf"^  {name}\s+\S", helped.stdout, re.MULTILINE), helped.stdout
    refused = subprocess.run(
        [*run, "--example", "nope"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "no example named 'nope'" in refused.stdout
    assert "hello, helm, hierarchy, kpt, kustomize" in refused.stdout
