"""Drift: the declared fields a live object no longer holds.

The comparison is a *subset* test: every field syncd declares must be present
in the live object with an equal value; extra live fields (defaults, other
managers' fields) are fine. Lists must have the same length and match
element by element, each element again as a subset, so fields the API server
defaults inside containers or ports are not drift.

Equality rules:

- numbers compare by value (`1 == 1.0`); as in Python (and in the fast
  path that compares whole equal subtrees at C speed) `true == 1`, a mix the
  API server's schemas rule out for typed fields; strings never equal numbers;
- a declared `null` states no opinion and never drifts;
- a declared empty value (`{}`, `[]`, `""`, `0`, `false`) whose key is
  absent from the live object is not drift: the API server drops such
  fields (`omitempty`), and re-applying them would never converge;
- resource quantities (under `resources`, `limits`, `requests`, `hard`,
  `overhead`, `capacity`) compare by value: the server stores `cpu: 1` as
  `"1"` and `0.5` as `"500m"`;
- server-owned fields are ignored: `status` and `metadata.managedFields`,
  `resourceVersion`, `creationTimestamp`, `generation` and `uid`.

Paths look like `.data.key`, `.spec.template.spec.containers[0].image`; keys
other than letters, digits, `_` and `-` are quoted: `.metadata.labels["app.kubernetes.io/name"]`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from syncd.core.quantity import same_quantity

IGNORED_METADATA: Final = frozenset(
    {"managedFields", "resourceVersion", "creationTimestamp", "generation", "uid"}
)
_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_EMPTY: Final[tuple[object, ...]] = (None, "", False, {}, [])
# Fields holding resource quantities, which the API server canonicalises
# (`cpu: 1` -> "1", `0.5` -> "500m"): compared by value.
_QUANTITY_PATH: Final = re.compile(r"\.(resources|limits|requests|hard|overhead|capacity)\b")


def drifted_fields(declared: Mapping[str, Any], live: Mapping[str, Any]) -> list[str]:
    """The paths where `live` does not contain `declared`'s value (empty: no drift)."""
    out: list[str] = []
    for key, value in declared.items():
        if key == "status":
            continue
        path = _key_path("", key)
        if key not in live:
            if not _is_empty(value):
                out.append(path)
            continue
        live_value = live[key]
        if key == "metadata" and isinstance(value, Mapping) and isinstance(live_value, Mapping):
            _compare_mapping(value, live_value, path, out, ignore=IGNORED_METADATA)
        elif type(value) is not type(live_value) or value != live_value:
            _compare(value, live_value, path, out)
    return out


def _compare(declared: object, live: object, path: str, out: list[str]) -> None:
    if declared is None:
        return
    if isinstance(declared, Mapping):
        if isinstance(live, Mapping):
            _compare_mapping(declared, live, path, out, ignore=frozenset())
        else:
            out.append(path)
    elif isinstance(declared, list):
        if not isinstance(live, list) or len(declared) != len(live):
            out.append(path)
            return
        for index, (item, live_item) in enumerate(zip(declared, live, strict=True)):
            if type(item) is not type(live_item) or item != live_item:
                _compare(item, live_item, f"{path}[{index}]", out)
    elif not _scalar_equal(declared, live) and not (
        _QUANTITY_PATH.search(path) and same_quantity(declared, live)
    ):
        out.append(path)


def _compare_mapping(
    declared: Mapping[str, Any],
    live: Mapping[str, Any],
    path: str,
    out: list[str],
    *,
    ignore: frozenset[str],
) -> None:
    for key, value in declared.items():
        if key in ignore:
            continue
        if key not in live:
            if not _is_empty(value):
                out.append(_key_path(path, key))
            continue
        live_value = live[key]
        if type(value) is not type(live_value) or value != live_value:
            _compare(value, live_value, _key_path(path, key), out)


def _scalar_equal(declared: object, live: object) -> bool:
    if isinstance(declared, int | float) and isinstance(live, int | float):
        return declared == live
    return type(declared) is type(live) and declared == live


def _is_empty(value: object) -> bool:
    """None, "", 0, false, {} or [] (tuple membership compares with ==, so 0 == False counts)."""
    return value in _EMPTY


def _key_path(path: str, key: str) -> str:
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"
