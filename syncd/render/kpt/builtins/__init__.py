"""The built-in kpt functions, by catalogue name.

Each built-in takes the items (deep copies it may change in place), the
functionConfig (None when the step gives none) and the pipeline's deadline,
and returns a `FunctionOutcome`; a bad config is an error result, never an
exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

from syncd.render.kpt.builtins.labels import set_annotations, set_labels
from syncd.render.kpt.builtins.name_substring import ensure_name_substring
from syncd.render.kpt.builtins.namespace import set_namespace
from syncd.render.kpt.builtins.search_replace import search_replace
from syncd.render.kpt.builtins.setters import apply_setters, create_setters
from syncd.render.kpt.builtins.starlark_run import run_starlark
from syncd.render.kpt.model import Deadline, FunctionOutcome

Builtin = Callable[[list[dict[str, Any]], dict[str, Any] | None], FunctionOutcome]
BuiltinFn = Callable[..., FunctionOutcome]

BUILTINS: Final[Mapping[str, Callable[..., FunctionOutcome]]] = MappingProxyType(
    {
        "apply-setters": apply_setters,
        "create-setters": create_setters,
        "ensure-name-substring": ensure_name_substring,
        "search-replace": search_replace,
        "set-annotations": set_annotations,
        "set-labels": set_labels,
        "set-namespace": set_namespace,
        "starlark": run_starlark,
    }
)

__all__ = ["BUILTINS", "Deadline"]
