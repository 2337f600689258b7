"""`render_kpt`: what `kpt fn render` does for one package tree, in process.

Packages render depth-first, bottom-up (kpt's default order): a package's
input is its own resources (its Kptfile included) followed by the rendered
output of its subpackages, in path order. Its mutators run in order, each
on the previous one's output (only on the selected resources when the step
has `selectors`/`exclude`); then its validators run, each on a copy. A step
fails the render when it cannot run or returns a result of severity
`error`; the first failure stops everything and no objects are returned.
The functionConfig of a step is its `configPath` resource as the pipeline
has it at that moment (earlier mutators may have changed it), or a
ConfigMap `function-input` built from `configMap`.
"""

from __future__ import annotations

import json
import posixpath
import time
from pathlib import Path
from typing import Any

from syncd.core.errors import RenderError
from syncd.core.limits import DecodeLimits
from syncd.render.kpt.annotations import (
    CREATED_BY,
    PACKAGE,
    file_of,
    package_of,
    set_annotation,
)
from syncd.render.kpt.dispatch import resolve
from syncd.render.kpt.kptfile import read_pipeline
from syncd.render.kpt.model import Deadline, FunctionSpec, KptLimits, KptOutput
from syncd.render.kpt.output import finish
from syncd.render.kpt.reader import Package, read_tree
from syncd.render.kpt.selection import merge, select


class _State:
    """One render's progress: the steps run and the functionConfig files seen."""

    __slots__ = ("config_files", "deadline", "functions_run", "limits", "root")

    def __init__(self, root: Path, limits: KptLimits, deadline: Deadline) -> None:
        self.root = root
        self.limits = limits
        self.deadline = deadline
        self.functions_run = 0
        self.config_files: set[tuple[str, str]] = set()


def render_kpt(root: Path, *, limits: KptLimits | None = None) -> KptOutput:
    """Render the kpt package at `root` (a private, writable copy); errors are returned."""
    limits = limits or KptLimits()
    deadline = Deadline(at=time.monotonic() + limits.timeout_seconds)
    tree = read_tree(root, limits=DecodeLimits())
    if isinstance(tree, list):
        return KptOutput(objects=(), errors=tuple(tree), functions_run=0)
    state = _State(root, limits, deadline)
    rendered = _render(tree, state)
    if isinstance(rendered, RenderError):
        return KptOutput(objects=(), errors=(rendered,), functions_run=state.functions_run)
    objects = finish(rendered, config_files=state.config_files, max_bytes=limits.max_output_bytes)
    if isinstance(objects, RenderError):
        return KptOutput(objects=(), errors=(objects,), functions_run=state.functions_run)
    return KptOutput(objects=objects, errors=(), functions_run=state.functions_run)


def _render(package: Package, state: _State) -> list[dict[str, Any]] | RenderError:
    items = [_copy(item) for item in package.items]
    for child in package.children:
        rendered = _render(child, state)
        if isinstance(rendered, RenderError):
            return rendered
        items.extend(rendered)
    pipeline = read_pipeline(package.kptfile)
    if isinstance(pipeline, str):
        return RenderError(f"kpt package {package.path}: Kptfile: {pipeline}")
    for spec in (*pipeline.mutators, *pipeline.validators):
        if spec.config_path:
            state.config_files.add((package.path, spec.config_path))
    for spec in pipeline.mutators:
        mutated = _step(package.path, spec, items, state, mutate=True)
        if isinstance(mutated, RenderError):
            return mutated
        items = mutated
    for spec in pipeline.validators:
        checked = _step(package.path, spec, items, state, mutate=False)
        if isinstance(checked, RenderError):
            return checked
    return items


def _step(  # noqa: PLR0911 - one return per way a step fails
    package: str,
    spec: FunctionSpec,
    items: list[dict[str, Any]],
    state: _State,
    *,
    mutate: bool,
) -> list[dict[str, Any]] | RenderError:
    role = "mutator" if mutate else "validator"

    def error(message: str) -> RenderError:
        return RenderError(f"kpt package {package}: {role} {spec.label}: {message}")

    if state.deadline.remaining(time.monotonic()) <= 0:
        return error(
            f"not run: the pipeline's time limit of {state.limits.timeout_seconds}s passed"
        )
    config = _function_config(package, spec, items)
    if isinstance(config, str):
        return error(config)
    runner = resolve(
        spec, root=state.root, package=package, limits=state.limits, deadline=state.deadline
    )
    if isinstance(runner, str):
        return error(runner)
    chosen = select(items, selectors=spec.selectors, exclude=spec.exclude)
    outcome = runner([_copy(items[index]) for index in chosen], config)
    state.functions_run += 1
    if isinstance(outcome, str):
        return error(outcome)
    failed = [result.message for result in outcome.results if result.is_error]
    if failed:
        return error("; ".join(failed))
    if not mutate:
        return items
    produced = outcome.items if outcome.items is not None else []
    for item in produced:
        problem = _adopt(item, package=package, creator=spec.short_name)
        if problem:
            return error(problem)
    if spec.selectors or spec.exclude:
        return merge(items, chosen, produced)
    return produced


def _adopt(item: dict[str, Any], *, package: str, creator: str) -> str:
    """Give an item the package it now belongs to; a path outside its package is refused."""
    if not package_of(item):
        set_annotation(item, PACKAGE, package)
    path = file_of(item)[0]
    if not path:
        set_annotation(item, CREATED_BY, creator)
        return ""
    clean = posixpath.normpath(path)
    if posixpath.isabs(clean) or clean == ".." or clean.startswith("../"):
        return f"function must not write resources outside the package: path {path!r}"
    return ""


def _function_config(
    package: str, spec: FunctionSpec, items: list[dict[str, Any]]
) -> dict[str, Any] | str | None:
    if spec.config_map:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "function-input"},
            "data": dict(spec.config_map),
        }
    if not spec.config_path:
        return None
    candidates = [
        item
        for item in items
        if package_of(item) == package and posixpath.normpath(file_of(item)[0]) == spec.config_path
    ]
    if not candidates:
        return f"functionConfig {spec.config_path!r} is not a resource of the package"
    candidates.sort(key=lambda item: file_of(item)[1])
    return _copy(candidates[0])


def _copy(item: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(item))
    return copied
