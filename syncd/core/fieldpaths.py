"""The vocabulary of `fieldsV1` tries: their keys, list children and field-path syntax (pure).

Trie keys are `f:<field>`, `k:<json of key fields>`, `v:<json value>`,
`i:<index>` and `.` (the node itself). `format_path` shows a trie path the way
the API server shows field paths: `.field` segments, associative keys as
`[name="app"]` (several keys comma-joined, in the server's sorted order), set
items as `[="value"]`, indices as `[3]`. A map key that is not a plain word
(letters, digits, `_`, `-`) is shown quoted in brackets,
`.metadata.labels["app.kubernetes.io/name"]`, so that dots in keys cannot be
mistaken for nesting. `ListIndex` and `element_key` find the child of a list
node that owns a declared element (`direct_key` is the fast path that spells
the key the way the server does). Used by `syncd.core.fields` and
`syncd.core.pointers`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

FieldsV1 = Mapping[str, Any]
"""A `fieldsV1` trie (decoded JSON)."""

FieldPath = tuple[str, ...]
"""A path in a trie: its keys from the root, e.g. `("f:spec", "f:replicas")`."""

SELF: Final = "."
"""The key marking a node as owned itself, as well as its children."""

_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_ENCODE: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""Compact JSON, as the server spells `k:` and `v:` keys (one encoder, built once)."""


def element_key(node: FieldsV1, item: Any, position: int) -> str | None:
    """The key of the child of list `node` that owns the declared element `item`.

    `k:` by key fields (tolerating key fields `item` omits), `v:` by value,
    else `i:<position>`; None when no child matches.
    """
    index = ListIndex(node)
    if isinstance(item, Mapping) and index.keyed:
        found = index.matches(item)
        return found[0][0] if found else None
    raw = index.values.get(canonical(item)) if index.values else None
    if raw is not None:
        return raw
    key = f"i:{position}"
    return key if isinstance(node.get(key), Mapping) else None


def key_names(node: FieldsV1) -> tuple[str, ...]:
    """The key field names of an associative list node, from its first `k:` child."""
    for raw in node:
        if raw.startswith("k:"):
            key = decode_key(raw[2:])
            return tuple(sorted(key)) if isinstance(key, dict) else ()
    return ()


def direct_key(node: FieldsV1, item: Any, position: int, names: tuple[str, ...]) -> str | None:
    """The child key spelled the way the server spells it, when that child exists.

    A fast path: an element that declares every key field, a scalar set
    element, or an index. Anything else (a defaulted key field the element
    omits, a float, exotic escaping) goes through `ListIndex`.
    """
    if isinstance(item, Mapping):
        if not names or any(name not in item for name in names):
            key = f"i:{position}"
        else:
            key = "k:" + _ENCODE({name: item[name] for name in names})
    elif isinstance(item, list):
        key = f"i:{position}"
    else:
        key = "v:" + _ENCODE(item)
        if key not in node:
            key = f"i:{position}"
    child = node.get(key)
    return key if isinstance(child, Mapping) else None


class ListIndex:
    """The children of one list node, parsed once: `k:` keys, `v:` values."""

    __slots__ = ("exact", "key_names", "keyed", "values")

    def __init__(self, node: FieldsV1) -> None:
        """Parse the `k:` and `v:` children of `node`."""
        self.keyed: list[tuple[str, dict[str, Any], FieldsV1]] = []
        self.exact: dict[str, tuple[str, dict[str, Any], FieldsV1]] = {}
        self.values: dict[str, str] = {}
        names: set[str] = set()
        for raw, child in node.items():
            if not isinstance(child, Mapping):
                continue
            if raw.startswith("k:"):
                key = decode_key(raw[2:])
                if isinstance(key, dict) and key:
                    self.keyed.append((raw, key, child))
                    self.exact[canonical(key)] = (raw, key, child)
                    names.update(key)
            elif raw.startswith("v:"):
                self.values[canonical(decode_key(raw[2:]))] = raw
        self.key_names = frozenset(names)

    def matches(self, item: Mapping[str, Any]) -> list[tuple[str, dict[str, Any], FieldsV1]]:
        """Children whose key fields equal the item's, tolerating key fields it omits."""
        if all(name in item for name in self.key_names):
            hit = self.exact.get(canonical({name: item[name] for name in self.key_names}))
            if hit is not None:
                return [hit]
        return [
            entry
            for entry in self.keyed
            if any(name in item for name in entry[1])
            and all(name not in item or same(item[name], v) for name, v in entry[1].items())
        ]


def format_path(path: FieldPath) -> str:
    """A trie path in the field-path syntax: `.spec.containers[name="app"].image`."""
    parts: list[str] = []
    for key in path:
        if key.startswith("f:"):
            parts.append(field_segment(key[2:]))
        elif key.startswith("k:"):
            decoded = decode_key(key[2:])
            parts.append(key_segment(decoded) if isinstance(decoded, dict) else f"[{key[2:]}]")
        elif key.startswith("v:"):
            parts.append(f"[={scalar_text(decode_key(key[2:]))}]")
        elif key.startswith("i:"):
            parts.append(f"[{key[2:]}]")
    return "".join(parts)


def field_segment(name: str) -> str:
    """One map key as a path segment: `.name`, or `["a.b/c"]` when it is not a plain word."""
    if _PLAIN_KEY.fullmatch(name):
        return f".{name}"
    return f"[{json.dumps(name, ensure_ascii=False)}]"


def key_segment(key: Mapping[str, Any]) -> str:
    """An associative element's key fields as a segment: `[containerPort=80,protocol="TCP"]`."""
    return "[" + ",".join(f"{name}={scalar_text(key[name])}" for name in key) + "]"


def scalar_text(value: Any) -> str:
    """A value as shown in a path: JSON (strings quoted, numbers and booleans bare)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def decode_key(text: str) -> Any:
    """The JSON after a `k:` or `v:` prefix; the text itself when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _normal(value: Any) -> Any:
    """`value` with integral floats as integers, recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """A comparison key: sorted compact JSON, integral floats as integers (1.0 is 1)."""
    return json.dumps(_normal(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def same(a: Any, b: Any) -> bool:
    """Whether two JSON values are equal as the server compares them (true is not 1)."""
    if type(a) is type(b) and not isinstance(a, float | Mapping | list):
        return bool(a == b)
    return canonical(a) == canonical(b)
