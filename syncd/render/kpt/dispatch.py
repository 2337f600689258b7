"""Which code runs a pipeline step: a built-in by image name, or a `.wasm` module by `exec`.

Images map to built-ins by name: `gcr.io/kpt-fn/<name>:<tag>`,
`ghcr.io/kptdev/krm-functions-catalog/<name>:<tag>` or a bare `<name>`
(tag and digest are ignored). `exec` names a WASM module (a `.wasm` file
inside the package, relative to the Kptfile, as kpt's alpha
`--allow-alpha-wasm` form): absolute paths, `..` and symlinks that leave
the root are refused. Any other `exec` would run a binary, which syncd never
does. A WASM step talks the KRM function protocol: a ResourceList (JSON) on
stdin, one (YAML or JSON) on stdout.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from syncd.core.limits import DecodeLimits
from syncd.parse.located import LocatedError
from syncd.parse.yaml_stream import yaml_documents
from syncd.render.kpt.builtins import BUILTINS
from syncd.render.kpt.model import Deadline, FunctionOutcome, FunctionSpec, KptLimits, Result
from syncd.render.kpt.wasm import WasmLimits, run_wasm

_PREFIXES: Final = ("gcr.io/kpt-fn/", "ghcr.io/kptdev/krm-functions-catalog/")

Runner = Callable[[list[dict[str, Any]], dict[str, Any] | None], FunctionOutcome | str]
"""Runs one step over items and a functionConfig: its outcome, or why it could not run."""


def builtin_name(image: str) -> str | None:
    """The catalogue name an image refers to, None when it is not one syncd knows."""
    reference = image.split("@", 1)[0]
    for prefix in _PREFIXES:
        if reference.startswith(prefix):
            reference = reference[len(prefix) :]
            break
    name = reference.split(":", 1)[0]
    return name if "/" not in name and name in BUILTINS else None


def resolve(
    spec: FunctionSpec, *, root: Path, package: str, limits: KptLimits, deadline: Deadline
) -> Runner | str:
    """The runner for a step, or a message saying why it has none."""
    if spec.image:
        name = builtin_name(spec.image)
        if name is None:
            known = ", ".join(sorted(BUILTINS))
            return f"image {spec.image!r} has no built-in implementation (built-ins: {known})"
        builtin = BUILTINS[name]
        return lambda items, config: builtin(items, config, deadline=deadline)
    if not spec.exec_path.endswith(".wasm"):
        return (
            f"exec {spec.exec_path!r} would run a binary, which syncd never does; "
            "use a built-in image or a .wasm module inside the package"
        )
    module = wasm_path(root, package, spec.exec_path)
    if isinstance(module, str):
        return module
    wasm_limits = WasmLimits(
        fuel=limits.wasm_fuel,
        memory_bytes=limits.wasm_memory_bytes,
        max_stdout_bytes=limits.max_output_bytes,
        deadline=deadline,
    )
    return lambda items, config: _run_module(module, items, config, limits=wasm_limits)


def wasm_path(root: Path, package: str, exec_path: str) -> Path | str:
    """The module file inside the root, or why `exec_path` is refused."""
    if posixpath.isabs(exec_path) or "\\" in exec_path:
        return f"exec {exec_path!r} must be a path relative to the Kptfile"
    joined = posixpath.normpath(posixpath.join(package, exec_path))
    if joined == ".." or joined.startswith("../"):
        return f"exec {exec_path!r} points outside the package root"
    candidate = root / joined
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    if os.path.commonpath([real_root, real]) != real_root:
        return f"exec {exec_path!r} resolves (through a symlink) outside the package root"
    if not Path(real).is_file():
        return f"exec {exec_path!r}: no such file in the package"
    return Path(real)


def _run_module(
    module: Path,
    items: list[dict[str, Any]],
    config: dict[str, Any] | None,
    *,
    limits: WasmLimits,
) -> FunctionOutcome | str:
    request: dict[str, Any] = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
    }
    if config is not None:
        request["functionConfig"] = config
    output = run_wasm(module, json.dumps(request).encode(), limits=limits)
    if isinstance(output, str):
        return output
    return parse_resource_list(output, limits=limits.max_stdout_bytes)


def parse_resource_list(output: bytes, *, limits: int) -> FunctionOutcome | str:
    """A function's stdout read as a ResourceList, with syncd's YAML decoder and its limits."""
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        return "its output is not UTF-8"
    bounds = DecodeLimits(max_file_bytes=max(limits, 1), max_package_bytes=max(limits, 1))
    try:
        documents = yaml_documents(text, limits=bounds, max_documents=1)
    except LocatedError as exc:
        return f"its output is not a ResourceList: {exc.problem} (line {exc.line})"
    values = [document.value for document in documents if document.value is not None]
    if (
        len(values) != 1
        or not isinstance(values[0], dict)
        or values[0].get("kind") != "ResourceList"
    ):
        return "its output is not one ResourceList"
    body: dict[str, Any] = json.loads(json.dumps(values[0]))
    items = body.get("items") or []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return "its output's items are not a list of objects"
    return FunctionOutcome(items=items, results=Result.list_of(body.get("results")))
