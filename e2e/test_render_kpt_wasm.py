"""kpt pipelines with WASM functions built from Go (e2e/kptfn), run in syncd's sandbox."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from e2e.kube import unique
from e2e.rendersteps import wait_render_error
from e2e.syncsteps import create_root_sync, errors_with_code, get_object, wait_state
from syncd.render.kpt import KptLimits, render_kpt

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("go") is None, reason="needs the go toolchain"),
]

SOURCES = Path(__file__).parent / "kptfn"
FUNCTIONS = ("mutator", "loop", "readfile", "sleeper")
FUEL = 400_000_000


@pytest.fixture(scope="session")
def wasm_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("kptfn")
    env = {
        **os.environ,
        "GOOS": "wasip1",
        "GOARCH": "wasm",
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod",
        "CGO_ENABLED": "0",
    }
    built = {}
    for name in FUNCTIONS:
        target = out / f"{name}.wasm"
        subprocess.run(
            ["go", "build", "-o", str(target), f"./{name}"],
            cwd=SOURCES,
            env=env,
            check=True,
            capture_output=True,
            timeout=240,
        )
        built[name] = target
    return built


def _package(tmp_path: Path, module: Path, *, value: str = "v1") -> Path:
    root = tmp_path / "pkg"
    (root / "fns").mkdir(parents=True)
    shutil.copy(module, root / "fns" / "fn.wasm")
    (root / "Kptfile").write_text(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n"
        "pipeline:\n  mutators:\n  - exec: fns/fn.wasm\n    configMap:\n"
        f"      value: {value}\n"
    )
    (root / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
    )
    return root


def _annotations(body: dict) -> dict:
    return body["metadata"].get("annotations", {})


def test_a_wasm_mutator_changes_the_output(wasm_modules, tmp_path):
    output = render_kpt(
        _package(tmp_path, wasm_modules["mutator"]), limits=KptLimits(wasm_fuel=FUEL)
    )

    assert output.errors == ()
    assert output.functions_run == 1
    [obj] = output.objects
    assert obj.source_path == "cm.yaml"
    assert _annotations(obj.body) == {"wasm.syncd.dev/value": "v1", "wasm.syncd.dev/runs": "1"}


def test_an_endless_loop_is_stopped_by_the_fuel_limit(wasm_modules, tmp_path):
    started = time.monotonic()
    output = render_kpt(_package(tmp_path, wasm_modules["loop"]), limits=KptLimits(wasm_fuel=FUEL))

    assert output.objects == ()
    [error] = output.errors
    assert error.code.value == "SD1068"
    assert "fuel limit" in error.message
    assert "fns/fn.wasm" in error.message
    assert time.monotonic() - started < 30


def test_the_wall_limit_stops_a_loop_with_fuel_to_spare(wasm_modules, tmp_path):
    limits = KptLimits(wasm_fuel=10**15, timeout_seconds=1.5)
    output = render_kpt(_package(tmp_path, wasm_modules["loop"]), limits=limits)

    [error] = output.errors
    assert "time limit" in error.message


def test_a_function_that_sleeps_cannot_outlast_the_render(wasm_modules, tmp_path):
    # A sleeping guest burns no fuel and the host blocks in poll_oneoff, where no
    # epoch interrupt reaches it: the sandbox refuses to sleep at all.
    began = time.monotonic()
    output = render_kpt(
        _package(tmp_path, wasm_modules["sleeper"]), limits=KptLimits(timeout_seconds=30)
    )
    elapsed = time.monotonic() - began

    [error] = output.errors
    assert "exec fns/fn.wasm" in error.message or "fn.wasm" in error.message
    assert elapsed < 30, f"the sleeping function held the render for {elapsed:.1f}s"


def test_a_function_cannot_open_host_files(wasm_modules, tmp_path):
    output = render_kpt(
        _package(tmp_path, wasm_modules["readfile"]), limits=KptLimits(wasm_fuel=FUEL)
    )

    [error] = output.errors
    assert "open failed" in error.message
    assert "root:" not in error.message


def test_a_tiny_memory_limit_is_reported_as_such(wasm_modules, tmp_path):
    limits = KptLimits(wasm_fuel=FUEL, wasm_memory_bytes=1024 * 1024)
    output = render_kpt(_package(tmp_path, wasm_modules["mutator"]), limits=limits)

    [error] = output.errors
    assert "memory limit" in error.message


def test_two_renders_in_one_process_do_not_share_state(wasm_modules, tmp_path):
    first = render_kpt(
        _package(tmp_path / "a", wasm_modules["mutator"], value="first"),
        limits=KptLimits(wasm_fuel=FUEL),
    )
    second = render_kpt(
        _package(tmp_path / "b", wasm_modules["mutator"], value="second"),
        limits=KptLimits(wasm_fuel=FUEL),
    )

    assert _annotations(first.objects[0].body)["wasm.syncd.dev/value"] == "first"
    assert _annotations(second.objects[0].body)["wasm.syncd.dev/value"] == "second"
    assert _annotations(second.objects[0].body)["wasm.syncd.dev/runs"] == "1"


def test_a_module_reached_through_a_symlink_out_of_the_package_is_refused(wasm_modules, tmp_path):
    root = _package(tmp_path, wasm_modules["mutator"])
    (root / "fns" / "fn.wasm").unlink()
    (root / "fns" / "fn.wasm").symlink_to(wasm_modules["mutator"])

    output = render_kpt(root, limits=KptLimits(wasm_fuel=FUEL))

    [error] = output.errors
    assert "outside the package root" in error.message


def _wasm_repo(git_repo_factory, git_http, module: Path):
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "pkg/Kptfile": (
                "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: pkg}\n"
                "pipeline:\n  mutators:\n  - exec: fn.wasm\n"
            ),
            "pkg/fn.wasm": module.read_bytes(),
            "pkg/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wasm-cm}\n",
        },
        "wasm package",
    )
    return repo, sha


def test_a_runaway_or_prying_function_fails_only_its_own_sync(
    admin, request, syncd_controller, git_http, git_repo_factory, *, wasm_modules
):
    failing = {}
    for name in ("loop", "readfile"):
        repo, sha = _wasm_repo(git_repo_factory, git_http, wasm_modules[name])
        sync = create_root_sync(
            admin, request, repo=git_http.repo_url(repo.name), git={"dir": "pkg"}
        )
        failing[name] = (sync, sha)
    healthy_repo = git_repo_factory(git_http)
    healthy_cm = unique("healthy")
    healthy_sha = healthy_repo.commit(
        {"cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {healthy_cm}}}\n"}, "cm"
    )
    healthy = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(healthy_repo.name),
        cleanup=[f"/api/v1/namespaces/default/configmaps/{healthy_cm}"],
    )

    loop_sync, loop_sha = failing["loop"]
    (error,) = errors_with_code(wait_render_error(admin, loop_sync, loop_sha)["status"], "SD1068")
    assert "fuel limit" in error["message"], error
    read_sync, read_sha = failing["readfile"]
    (error,) = errors_with_code(wait_render_error(admin, read_sync, read_sha)["status"], "SD1068")
    assert "open failed" in error["message"], error
    assert "root:" not in error["message"]
    wait_state(admin, healthy, healthy_sha, "Synced")
    assert get_object(admin, "/api/v1/namespaces/default/configmaps/wasm-cm") is None
