"""Every hostile package gets a coded verdict from decode, vet and render, cheaply and honestly.

Each corpus case (tests/hostile/corpus.py) is written into a temp dir and run
through `decode_directory`, `syncd vet` and `syncd render` in-process, under a
time budget (pytest-timeout: a hang fails the case instead of the suite) and
a memory budget (tracemalloc peak). vet and render must agree with the
decoder on the objects, print only honest lines (every line an error, the
summary or a `# Source:` of a decoded file) and never raise. The cases that
crashed, hung or exhausted memory before run through a real `syncd render`
process first (under an address-space cap, with its peak RSS checked), so
that a segfault fails one test instead of killing pytest.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml

from syncd.cli.render_cmd import render
from syncd.cli.vet_cmd import vet
from syncd.parse.decode import decode_directory
from tests.hostile.builders import configmap
from tests.hostile.corpus import CASES, Case

TIME_BUDGET_SECONDS = 60
"""Per case, for decode, vet and render together (generous: CI machines are shared)."""
MEMORY_BUDGET_BYTES = 160 * 1024 * 1024
"""Peak of Python allocations per case; the largest cases read one 8 MiB file."""
PROCESS_MEMORY_BUDGET_KIB = 768 * 1024
"""Peak RSS of one `syncd vet` or `syncd render` process (the interpreter and imports included)."""
CODE = re.compile(r"^(SD\d{4}): ")

# Runs `syncd` as the CLI does, under an address-space cap so a runaway
# allocation fails the child instead of the machine, and reports peak RSS.
_CLI = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
from syncd.cli.main import main
try:
    code = main(sys.argv[1:])
finally:
    sys.stderr.write(f"\\nmaxrss-kib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
sys.exit(code)
"""


def test_the_corpus_has_at_least_sixty_cases_with_unique_names() -> None:
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)


def _package(case: Case, tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "ok.yaml").write_text(configmap("ok"))
    try:
        case.build(root)
    except PermissionError:
        if case.needs_mknod:
            pytest.skip("creating device nodes needs CAP_MKNOD")
        raise
    return root


def _codes(lines: list[str]) -> set[str]:
    return {match.group(1) for line in lines if (match := CODE.match(line))}


def _run_cli(*args: str) -> tuple[int, str, str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    rss = re.search(r"maxrss-kib=(\d+)", done.stderr)
    return done.returncode, done.stdout, done.stderr, int(rss.group(1)) if rss else -1


def _check_in_a_subprocess(case: Case, root: Path) -> None:
    """`syncd render` in its own process: a segfault or runaway fails here, not pytest."""
    status, stdout, stderr, rss = _run_cli("render", str(root))
    assert status == 1, (status, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-2000:]
    assert _codes(stderr.splitlines()) == case.expected_vet_codes
    rendered = [doc for doc in yaml.safe_load_all(stdout) if doc]
    assert sorted(doc["metadata"]["name"] for doc in rendered) == sorted(case.render_names)
    assert 0 < rss < PROCESS_MEMORY_BUDGET_KIB, rss


@pytest.mark.timeout(TIME_BUDGET_SECONDS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_hostile_package_gets_coded_errors_and_vet_and_render_agree(
    case: Case, tmp_path: Path
) -> None:
    root = _package(case, tmp_path)
    if case.crash:
        _check_in_a_subprocess(case, root)
    tracemalloc.start()
    try:
        decoded = decode_directory(root, limits=case.limits)
        vet_out = io.StringIO()
        vet_status = vet(root, kubeconfig=None, out=vet_out, limits=case.limits)
        out, err = io.StringIO(), io.StringIO()
        render_status = render(root, kubeconfig=None, out=out, err=err, limits=case.limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert {e.code.value for e in decoded.errors} == case.codes, decoded.errors
    assert sorted(m.ref.name for m in decoded.manifests) == sorted(case.objects)
    assert decoded.complete == (not case.codes)
    assert peak < MEMORY_BUDGET_BYTES

    *error_lines, summary = vet_out.getvalue().splitlines()
    assert all(CODE.match(line) for line in error_lines), error_lines
    assert _codes(error_lines) == case.expected_vet_codes
    counts = re.search(r": (\d+) objects, (\d+) errors?$", summary)
    assert counts is not None, summary
    assert (int(counts[1]), int(counts[2])) == (len(decoded.manifests), len(error_lines))
    assert vet_status == (1 if case.expected_vet_codes else 0)

    rendered = [doc for doc in yaml.safe_load_all(out.getvalue()) if doc]
    assert sorted(doc["metadata"]["name"] for doc in rendered) == sorted(case.render_names)
    sources = {m.source_path for m in decoded.manifests}
    for line in out.getvalue().splitlines():
        if line.startswith("#"):
            assert line.removeprefix("# Source: ") in sources, line
        assert line.isprintable(), line
    assert all(CODE.match(line) for line in err.getvalue().splitlines())
    assert _codes(err.getvalue().splitlines()) == case.expected_vet_codes
    assert render_status == vet_status
