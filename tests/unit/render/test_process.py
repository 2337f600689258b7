"""A renderer runs with a clean environment, within time and size bounds, its secrets redacted."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from syncd.core.errors import ErrorCode, RenderError
from syncd.core.render import RenderLimits
from syncd.render.process import clean_env, run_tool
from tests.unit.render.tools_fixture import script


def _run(tool: Path, tmp_path: Path, limits: RenderLimits, **kwargs: object) -> str:
    done = run_tool(
        [str(tool)],
        cwd=tmp_path,
        env=clean_env(tool, tmp_path / "scratch"),
        limits=limits,
        what="fake build",
        **kwargs,  # type: ignore[arg-type]
    )
    return done.stdout.decode()


def test_the_tool_sees_none_of_syncds_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNCD_KUBECONFIG", "/secret/kubeconfig")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    tool = script(tmp_path / "bin", "tool", "env")
    out = _run(tool, tmp_path, RenderLimits())
    names = {line.split("=", 1)[0] for line in out.splitlines()}
    assert "SYNCD_KUBECONFIG" not in names
    assert "KUBERNETES_SERVICE_HOST" not in names
    assert f"HOME={tmp_path / 'scratch' / 'home'}" in out.splitlines()
    assert os.environ["SYNCD_KUBECONFIG"] == "/secret/kubeconfig"


def test_a_tool_that_runs_too_long_is_killed_and_reported(tmp_path: Path) -> None:
    tool = script(tmp_path / "bin", "tool", "sleep 30")
    began = time.monotonic()
    with pytest.raises(RenderError) as caught:
        _run(tool, tmp_path, RenderLimits(timeout_seconds=0.5))
    assert time.monotonic() - began < 10
    assert caught.value.code is ErrorCode.RENDER_FAILURE
    assert "render time limit" in caught.value.message


def test_a_tool_whose_children_keep_the_pipe_open_is_still_stopped(tmp_path: Path) -> None:
    tool = script(tmp_path / "bin", "tool", "(sleep 30 &) ; echo started")
    began = time.monotonic()
    with pytest.raises(RenderError, match="render time limit"):
        _run(tool, tmp_path, RenderLimits(timeout_seconds=0.5))
    assert time.monotonic() - began < 10


def test_output_past_the_size_limit_is_refused(tmp_path: Path) -> None:
    tool = script(tmp_path / "bin", "tool", "yes aaaaaaaaaaaaaaaa")
    with pytest.raises(RenderError, match="render size limit"):
        _run(tool, tmp_path, RenderLimits(max_output_bytes=10_000))


def test_a_failing_tool_reports_its_stderr_with_secrets_masked(tmp_path: Path) -> None:
    tool = script(
        tmp_path / "bin",
        "tool",
        "echo 'fetch https://bob:hunter2@git.example/x failed' >&2; exit 3",
    )
    with pytest.raises(RenderError) as caught:
        _run(tool, tmp_path, RenderLimits(), secrets=["hunter2"])
    message = caught.value.message
    assert message.startswith("fake build failed: fetch https://git.example/x failed")
    assert "hunter2" not in message
    assert "bob" not in message


def test_paths_into_the_private_copy_are_not_shown(tmp_path: Path) -> None:
    tool = script(
        tmp_path / "bin",
        "tool",
        "echo \"missing '/tmp/syncd-render-abc123/checkout/apps/x.yaml'\" >&2; exit 1",
    )
    with pytest.raises(RenderError) as caught:
        _run(tool, tmp_path, RenderLimits())
    assert "missing 'apps/x.yaml'" in caught.value.message


def test_stderr_is_kept_only_up_to_its_bound(tmp_path: Path) -> None:
    tool = script(tmp_path / "bin", "tool", "head -c 200000 /dev/zero | tr '\\0' e >&2; exit 1")
    with pytest.raises(RenderError) as caught:
        _run(tool, tmp_path, RenderLimits(max_stderr_bytes=100))
    assert len(caught.value.message) < 300


def test_a_missing_binary_is_sd1068(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="could not start"):
        run_tool(
            [str(tmp_path / "nope")],
            cwd=tmp_path,
            env={},
            limits=RenderLimits(),
            what="fake build",
        )


def test_the_cli_lets_git_use_the_users_own_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("HOME", "/home/someone")
    tool = Path("/usr/bin/git")
    controller = clean_env(tool, tmp_path / "a")
    user = clean_env(tool, tmp_path / "b", user_git=True)
    assert "GIT_CONFIG_COUNT" not in controller
    assert controller["GIT_CONFIG_GLOBAL"] == os.devnull
    assert user["GIT_CONFIG_COUNT"] == "1"
    assert user["HOME"] == "/home/someone"
    assert "GIT_CONFIG_GLOBAL" not in user


def test_a_tool_that_needs_more_memory_than_the_limit_is_stopped_and_named(
    tmp_path: Path,
) -> None:
    limiter = shutil.which("prlimit")
    assert limiter is not None, "prlimit (util-linux) is part of every Debian system"
    # bash builds a 400 MB string: past a 256 MiB address space it cannot allocate it.
    grow = 'x=$(head -c 400000000 /dev/zero | tr "\\0" a); echo ${#x}'
    tool = script(tmp_path / "bin", "tool", f"exec bash -c '{grow}'")
    with pytest.raises(RenderError) as caught:
        run_tool(
            [str(tool)],
            cwd=tmp_path,
            env=clean_env(tool, tmp_path / "scratch"),
            limits=RenderLimits(memory_bytes=256 * 1024 * 1024),
            what="fake build",
            limiter=Path(limiter),
        )
    assert "needed more than 256 MiB of memory" in caught.value.message


def test_the_same_tool_runs_when_the_limit_allows_it(tmp_path: Path) -> None:
    limiter = shutil.which("prlimit")
    assert limiter is not None
    grow = 'x=$(head -c 4000000 /dev/zero | tr "\\0" a); echo ${#x}'
    tool = script(tmp_path / "bin", "tool", f"exec bash -c '{grow}'")
    done = run_tool(
        [str(tool)],
        cwd=tmp_path,
        env=clean_env(tool, tmp_path / "scratch"),
        limits=RenderLimits(memory_bytes=1024 * 1024 * 1024),
        what="fake build",
        limiter=Path(limiter),
    )
    assert done.stdout == b"4000000\n"
