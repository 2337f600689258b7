"""The `syncd.dev/ignore-fields` annotation: JSON pointers to fields syncd lets go of (pure).

The value is a comma-separated list of RFC 6901 JSON pointers into the object
(`/spec/replicas`, `/metadata/annotations/team~1owner`; `~1` is `/`, `~0` is
`~`). A list index in a pointer (`/spec/template/spec/containers/0/image`)
addresses the element of the declared list, so it keeps meaning the same
container however the server orders or keys the list.

`parse_ignore_fields` validates the value (InvalidIgnoreFieldsError, which
callers report as SD1073); `strip_pointers` removes the pointed fields from an
apply body; `remove_pointed` removes them from a `fieldsV1` trie (the
managedFields surgery that makes the server keep a field syncd no longer
applies) and `owns_any` says whether a trie still owns any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from syncd.core.fieldpaths import FieldsV1, element_key
from syncd.core.metadata import IGNORE_FIELDS_ANNOTATION, SYNCD_ANNOTATIONS, SYNCD_LABELS

_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE: Final = re.compile(r"~(?![01])")

_IDENTITY: Final[tuple[tuple[str, ...], ...]] = (
    ("apiVersion",),
    ("kind",),
    ("metadata", "name"),
    ("metadata", "namespace"),
)
_SYNCD_KEYS: Final[tuple[tuple[str, ...], ...]] = tuple(
    [("metadata", "labels", key) for key in SYNCD_LABELS]
    + [("metadata", "annotations", key) for key in SYNCD_ANNOTATIONS]
)


class InvalidIgnoreFieldsError(ValueError):
    """A `syncd.dev/ignore-fields` value is malformed or names a field that may not be ignored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonPointer:
    """One RFC 6901 pointer, as its unescaped reference tokens."""

    tokens: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPointer:
        """The pointer `text` (`/a/b~1c`); InvalidIgnoreFieldsError when it is not one."""
        if not text.startswith("/"):
            raise InvalidIgnoreFieldsError(
                f'"{text}" is not a JSON pointer: it must start with "/" (e.g. /spec/replicas)'
            )
        if _BAD_ESCAPE.search(text):
            raise InvalidIgnoreFieldsError(
                f'"{text}" is not a JSON pointer: "~" must be followed by 0 (for "~") '
                'or 1 (for "/")'
            )
        tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/"))
        return cls(tokens=tokens)

    def __str__(self) -> str:
        """The escaped form, `/metadata/annotations/team~1owner`."""
        return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in self.tokens)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stripped:
    """An apply body without the pointed fields, and what was taken out."""

    body: dict[str, Any]
    removed: tuple[tuple[JsonPointer, Any], ...]
    """Each pointer that named a declared field, with the declared value."""


def parse_ignore_fields(value: str) -> tuple[JsonPointer, ...]:
    """The pointers of an ignore-fields annotation value, in order, without duplicates.

    Entries are separated by commas; whitespace around them is ignored and a
    blank value names nothing. Raises InvalidIgnoreFieldsError for an empty
    entry, a malformed pointer, or a pointer that may not be ignored: the
    whole object or `/metadata`, `/apiVersion`, `/kind`, `/metadata/name`,
    `/metadata/namespace` (or anything below them), and syncd's own labels
    and annotations (or `/metadata/labels` and `/metadata/annotations`,
    which hold them).
    """
    if not value.strip():
        return ()
    pointers: dict[JsonPointer, None] = {}
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            raise InvalidIgnoreFieldsError(
                f'{IGNORE_FIELDS_ANNOTATION}: empty entry in "{value}" '
                "(write comma-separated JSON pointers)"
            )
        try:
            pointer = JsonPointer.parse(entry)
            _check_allowed(pointer)
        except InvalidIgnoreFieldsError as err:
            raise InvalidIgnoreFieldsError(f"{IGNORE_FIELDS_ANNOTATION}: {err}") from None
        pointers[pointer] = None
    return tuple(pointers)


def _check_allowed(pointer: JsonPointer) -> None:
    """Raise InvalidIgnoreFieldsError when `pointer` names a field syncd may not let go of."""
    tokens = pointer.tokens
    if tokens in ((), ("",)):
        raise InvalidIgnoreFieldsError(f'"{pointer}" may not be ignored: it is the whole object')
    if tokens == ("metadata",):
        raise InvalidIgnoreFieldsError(
            f"\"{pointer}\" may not be ignored: it holds the object's identity and syncd's "
            "own labels and annotations"
        )
    for protected in _IDENTITY:
        if tokens[: len(protected)] == protected:
            raise InvalidIgnoreFieldsError(
                f'"{pointer}" may not be ignored: syncd needs the object\'s '
                f"{'.'.join(protected)} to identify it"
            )
    for protected in _SYNCD_KEYS:
        shorter = min(len(tokens), len(protected))
        if tokens[:shorter] == protected[:shorter]:
            raise InvalidIgnoreFieldsError(
                f'"{pointer}" may not be ignored: syncd writes the {protected[1][:-1]} '
                f"{protected[2]} itself"
            )


# -- apply bodies ----------------------------------------------------------


def strip_pointers(body: Mapping[str, Any], pointers: Iterable[JsonPointer]) -> Stripped:
    """`body` without the pointed fields, copying only the maps and lists along the paths.

    The input is never mutated; subtrees off the paths are shared. A map or
    list left empty by the removal is removed too (an empty map would make
    syncd own it as a leaf). Pointers that name nothing declared are ignored.
    """
    removed: list[tuple[JsonPointer, Any]] = []
    result = _strip(body, _tree(pointers), removed)
    return Stripped(body=dict(result), removed=tuple(removed))


_GONE: Final = object()


class _Node:
    """The pointers as a tree of tokens; `pointer` marks a pointed field."""

    __slots__ = ("children", "pointer")

    def __init__(self) -> None:
        """An empty node."""
        self.children: dict[str, _Node] = {}
        self.pointer: JsonPointer | None = None


def _tree(pointers: Iterable[JsonPointer]) -> _Node:
    """The pointers as one tree; a pointer below an already pointed field is dropped."""
    root = _Node()
    for pointer in pointers:
        node = root
        for token in pointer.tokens:
            if node.pointer is not None:
                break  # an ancestor is removed already
            node = node.children.setdefault(token, _Node())
        else:
            if pointer.tokens:
                node.pointer = pointer
                node.children.clear()
    return root


def _strip(node: Any, tree: _Node, removed: list[tuple[JsonPointer, Any]]) -> Any:
    """`node` without the tree's fields; `node` itself when nothing was removed."""
    if isinstance(node, Mapping):
        result: dict[str, Any] | None = None
        for token, sub in tree.children.items():
            if token in node:
                value = _strip_value(node[token], sub, removed)
                if value is not node[token]:
                    result = dict(node) if result is None else result
                    if value is _GONE:
                        del result[token]
                    else:
                        result[token] = value
        return node if result is None else result
    if isinstance(node, list):
        items = list(node)
        for token, sub in tree.children.items():
            if _INDEX.fullmatch(token) and int(token) < len(node):
                items[int(token)] = _strip_value(node[int(token)], sub, removed)
        if all(new is old for new, old in zip(items, node, strict=True)):
            return node
        return [item for item in items if item is not _GONE]
    return node


def _strip_value(value: Any, sub: _Node, removed: list[tuple[JsonPointer, Any]]) -> Any:
    """`value` stripped by `sub`, or `_GONE` when it is pointed or left empty."""
    if sub.pointer is not None:
        removed.append((sub.pointer, value))
        return _GONE
    result = _strip(value, sub, removed)
    if result is not value and isinstance(result, Mapping | list) and not result:
        return _GONE
    return result


# -- fieldsV1 tries --------------------------------------------------------


def remove_pointed(
    fields: FieldsV1, body: Mapping[str, Any], pointers: Iterable[JsonPointer]
) -> dict[str, Any]:
    """The trie without the pointed fields (and their subtrees).

    Map tokens follow `f:` keys; a list index is resolved through the
    declared element of `body` to its `k:`/`v:` child (or `i:<n>`). A pointer
    into an atomic node (a leaf above its end: an atomic list or struct)
    removes nothing, because that node can only be owned whole; neither does
    one that names nothing in the trie. Nodes left empty are removed (an empty
    node would mean an owned leaf). Copies only along the paths; the input is
    not mutated.
    """
    result: dict[str, Any] = dict(fields)
    for pointer in pointers:
        path = _resolve(fields, body, pointer)
        if path is not None and path[1]:
            result = _without(result, path[0])
    return result


def owns_any(fields: FieldsV1, body: Mapping[str, Any], pointers: Iterable[JsonPointer]) -> bool:
    """Whether the trie owns any pointed field, itself or through an atomic node above it."""
    return any(_resolve(fields, body, pointer) is not None for pointer in pointers)


def _resolve(
    fields: FieldsV1, body: Mapping[str, Any], pointer: JsonPointer
) -> tuple[tuple[str, ...], bool] | None:
    """(trie keys, removable) of the pointed field when the trie owns it, else None.

    Not removable when an atomic leaf above the field owns it.
    """
    node: Any = fields
    declared: Any = body
    keys: list[str] = []
    for position, token in enumerate(pointer.tokens):
        if not isinstance(node, Mapping):
            return None
        if not node and position:
            return tuple(keys), False
        key = _child_key(node, declared, token)
        if key is None:
            return None
        keys.append(key)
        node = node[key]
        declared = _declared_child(declared, token)
    return tuple(keys), True


def _child_key(node: FieldsV1, declared: Any, token: str) -> str | None:
    """The key of the trie child that `token` names, resolving list indices via `declared`."""
    field_key = "f:" + token
    if field_key in node:
        return field_key
    if not _INDEX.fullmatch(token):
        return None
    position = int(token)
    if isinstance(declared, list) and position < len(declared):
        return element_key(node, declared[position], position)
    key = f"i:{position}"
    return key if key in node else None


def _declared_child(declared: Any, token: str) -> Any:
    """The declared value that `token` names inside `declared`, or None."""
    if isinstance(declared, Mapping):
        return declared.get(token)
    if isinstance(declared, list) and _INDEX.fullmatch(token) and int(token) < len(declared):
        return declared[int(token)]
    return None


def _without(node: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """A copy of `node` without the node at `keys`, dropping parents it empties."""
    result = dict(node)
    head = keys[0]
    if len(keys) == 1:
        result.pop(head, None)
        return result
    child = result.get(head)
    if isinstance(child, Mapping):
        trimmed = _without(child, keys[1:])
        if trimmed:
            result[head] = trimmed
        else:
            del result[head]
    return result
