"""The `starlark` built-in as the pipeline calls it: the script runs in a bounded child process.

A Starlark script is the package author's code. `starlark-pyo3` bounds its
time (the pipeline's deadline cancels it) but not its memory, and a failed
allocation on the Starlark heap aborts the process it runs in. So each call
starts `starlark_child` with a clean environment, the resource list on
stdin, an address-space limit (`STARLARK_MEMORY_BYTES`) and the pipeline's
remaining time: a runaway script ends that child and is reported (SD1068);
the controller and every other sync go on.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import syncd
from syncd.core.errors import RenderError
from syncd.core.limits import MIB
from syncd.core.render import RenderLimits
from syncd.render.kpt.builtins.common import failure
from syncd.render.kpt.model import Deadline, FunctionOutcome, Result
from syncd.render.process import clean_env, run_tool

STARLARK_MEMORY_BYTES: Final = 1024 * MIB
"""Address space of one script's process (the interpreter itself takes about a tenth)."""
_CHILD: Final = "syncd.render.kpt.builtins.starlark_child"
_MAX_OUTPUT: Final = 256 * MIB


def run_starlark(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run the functionConfig's script over `items` in a child process."""
    remaining = deadline.remaining(time.monotonic())
    if remaining <= 0:
        return failure("the script was not started: the pipeline's time limit passed")
    with tempfile.TemporaryDirectory(prefix="syncd-starlark-") as scratch:
        work = Path(scratch)
        request = work / "request.json"
        request.write_text(json.dumps({"items": items, "config": config}), encoding="utf-8")
        env = clean_env(
            Path(sys.executable), work, {"PYTHONPATH": str(Path(syncd.__file__).parent.parent)}
        )
        try:
            done = run_tool(
                [sys.executable, "-m", _CHILD, str(STARLARK_MEMORY_BYTES), f"{remaining:.3f}"],
                cwd=work,
                env=env,
                limits=RenderLimits(timeout_seconds=remaining + 5, max_output_bytes=_MAX_OUTPUT),
                what="the starlark script",
                stdin=request,
                check=False,
            )
        except RenderError as exc:
            return failure(exc.message)
    if done.returncode != 0:
        if done.returncode < 0 or "memory" in done.stderr:
            return failure(
                f"the script was stopped: it needed more than {STARLARK_MEMORY_BYTES // MIB} MiB "
                "of memory"
            )
        return failure(f"the script could not run: {done.stderr[-2000:]}")
    return _outcome(done.stdout)


def _outcome(stdout: bytes) -> FunctionOutcome:
    try:
        answer = json.loads(stdout)
    except ValueError:
        return failure("the script's process wrote no readable answer")
    items = answer.get("items") if isinstance(answer, dict) else None
    results = Result.list_of(answer.get("results")) if isinstance(answer, dict) else ()
    if items is not None and not (
        isinstance(items, list) and all(isinstance(item, dict) for item in items)
    ):
        return failure("the script's process answered items that are not objects")
    return FunctionOutcome(items=items, results=results)
