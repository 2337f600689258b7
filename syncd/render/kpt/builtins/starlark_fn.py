"""The `starlark` built-in's evaluation: a StarlarkRun script run with `starlark-pyo3`.

The only importer of `starlark`; it runs inside `starlark_child`, never in the
controller's own process (see `starlark_run`). Config: a `StarlarkRun`
(`fn.kpt.dev/v1alpha1`: `source`, `params`) or a ConfigMap whose
`data.source` is the script. The script sees `ctx.resource_list` (`items`,
`functionConfig`), edits the items in place or assigns a new list, and may
add `results`. The dialect is Starlark's extended one with top-level
statements (as the catalogue's function allows), plus `struct` and `json`;
`print` output is dropped. The script is cancelled when the pipeline's
deadline passes. A script error (including `fail()`) is an error result
carrying the script's message.
"""

from __future__ import annotations

import time
from typing import Any, Final

import starlark

from syncd.render.kpt.builtins.common import config_data, failure, is_typed
from syncd.render.kpt.model import Deadline, FunctionOutcome, Result

_PRELUDE: Final = "ctx = struct(resource_list = __resource_list)\n"
_MAX_MESSAGE: Final = 4000


def evaluate(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run the functionConfig's script over `items`, in this process.

    Only `starlark_child` calls this: an allocation the Starlark heap cannot
    make aborts the whole process, so scripts run in a child with a memory
    limit (`run_starlark` in `starlark_run`).
    """
    source = _source(config)
    if source is None:
        return failure(
            "FunctionConfig must be a StarlarkRun or a ConfigMap with a non-empty `source`"
        )
    name = str(((config or {}).get("metadata") or {}).get("name") or "starlark-function-run")
    resource_list: dict[str, Any] = {"items": items, "functionConfig": config or {}}
    dialect = starlark.Dialect.extended()
    dialect.enable_top_level_stmt = True
    dialect.enable_f_strings = True
    dialect.enable_load = False
    extensions = [starlark.LibraryExtension.StructType, starlark.LibraryExtension.Json]
    globals_ = starlark.Globals.extended_by(extensions)
    module = starlark.Module()
    module["__resource_list"] = resource_list
    module.add_callable("print", _discard)
    options = starlark.EvalOptions(
        check_cancelled=lambda: time.monotonic() >= deadline.at, max_callstack_size=500
    )
    try:
        starlark.eval_with(options, module, starlark.parse("prelude", _PRELUDE, dialect), globals_)
        script = starlark.parse(f"{name}.star", source, dialect)
        starlark.eval_with(options, module, script, globals_)
        result = module["__resource_list"]
    except starlark.StarlarkError as exc:
        if time.monotonic() >= deadline.at:
            return failure("the script was stopped: the pipeline's time limit passed")
        return failure(f"the script failed: {str(exc)[:_MAX_MESSAGE]}")
    except (RecursionError, ValueError, TypeError) as exc:
        return failure(f"the script's resource list cannot be read back: {exc}")
    return _outcome(result)


def _discard(*args: object, **kwargs: object) -> None:
    """`print` in a script: output is not kept (a controller has no terminal)."""
    del args, kwargs


def _source(config: dict[str, Any] | None) -> str | None:
    data = config_data(config)
    if data is not None:
        source: object = data.get("source")
    elif is_typed(config, "StarlarkRun"):
        source = (config or {}).get("source")
    else:
        return None
    return source if isinstance(source, str) and source.strip() else None


def _outcome(result: object) -> FunctionOutcome:
    if not isinstance(result, dict):
        return failure("the script replaced ctx.resource_list with something that is not a mapping")
    items = result.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return failure("ctx.resource_list['items'] must be a list of mappings")
    return FunctionOutcome(items=items, results=Result.list_of(result.get("results")))
