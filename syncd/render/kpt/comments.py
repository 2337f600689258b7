"""Finding the `kpt-set:` setter comments of a YAML file, by document and field path.

syncd's decoder (`syncd.parse.yaml_stream`) builds plain values and drops
comments, but `apply-setters` is driven by line comments such as
`image: nginx:1.16.1 # kpt-set: nginx:${tag}`. This module reads the same
libyaml *event* stream (no values are built, aliases are not expanded, so
the cost is linear in the text, which the decoder has already accepted
within its limits) and notes, for each scalar or collection value, a line
comment that follows it on the same line:

- a scalar value: the comment after the scalar (multi-line scalars have none);
- a block mapping or sequence value: the comment after its key (`env: # kpt-set: ${env}`);
- a flow collection: the comment after its closing bracket.

Only comments that hold `kpt-set:` are kept.
"""

from __future__ import annotations

from typing import Any, Final

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)

from syncd.render.kpt.annotations import FieldPath

try:
    from yaml import CSafeLoader as _EventSource
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _EventSource  # type: ignore[assignment]

SETTER_MARK: Final = "kpt-set:"


class _Frame:
    """A mapping or sequence being walked: its path, and the key or index of the next value."""

    __slots__ = ("is_map", "key", "key_end", "next_index", "path")

    def __init__(self, path: FieldPath, *, is_map: bool) -> None:
        self.path = path
        self.is_map = is_map
        self.key: str | None = None
        self.key_end: Any = None
        self.next_index = 0

    def child(self) -> FieldPath:
        return (*self.path, self.key if self.is_map and self.key is not None else self.next_index)

    def advance(self) -> None:
        if self.is_map:
            self.key = None
        else:
            self.next_index += 1


def setter_comments(text: str) -> list[dict[FieldPath, str]]:
    """Per document of `text` (empty ones too), the setter comments by field path."""
    if SETTER_MARK not in text:
        return []
    lines = text.split("\n")
    source = _EventSource(text)
    documents: list[dict[FieldPath, str]] = []
    try:
        while True:
            event = source.get_event()
            if isinstance(event, StreamEndEvent):
                break
            if isinstance(event, DocumentStartEvent):
                documents.append(_document(source, lines))
    except yaml.YAMLError:
        return documents
    finally:
        source.dispose()
    return documents


def _document(source: Any, lines: list[str]) -> dict[FieldPath, str]:
    found: dict[FieldPath, str] = {}
    stack: list[_Frame] = []
    while True:
        event = source.get_event()
        if isinstance(event, DocumentEndEvent):
            return found
        top = stack[-1] if stack else None
        if isinstance(event, ScalarEvent) and top is not None and top.is_map and top.key is None:
            top.key = event.value
            top.key_end = event.end_mark
            continue
        if isinstance(event, ScalarEvent | AliasEvent):
            start, end = event.start_mark, event.end_mark
            if isinstance(event, ScalarEvent) and start and end and start.line == end.line:
                _note(found, top.child() if top else (), _after(lines, event.end_mark))
            if top is not None:
                top.advance()
            continue
        if isinstance(event, CollectionStartEvent):
            path = top.child() if top else ()
            if top is not None and top.is_map and top.key_end is not None and not event.flow_style:
                _note(found, path, _after(lines, top.key_end).lstrip(":"))
            stack.append(_Frame(path, is_map=isinstance(event, MappingStartEvent)))
            continue
        if isinstance(event, MappingEndEvent | SequenceEndEvent):
            frame = stack.pop()
            if event.end_mark is not None:
                _flow_end(found, frame, lines, event)
            if stack:
                stack[-1].advance()


def _flow_end(found: dict[FieldPath, str], frame: _Frame, lines: list[str], event: Any) -> None:
    """A flow collection's comment follows its closing bracket."""
    mark = event.end_mark
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    before = line[: mark.column].rstrip() if mark is not None else ""
    if before.endswith(("]", "}")):
        _note(found, frame.path, _after(lines, event.end_mark))


def _after(lines: list[str], mark: Any) -> str:
    if mark is None or mark.line >= len(lines):
        return ""
    text: str = lines[mark.line][mark.column :]
    return text


def _note(found: dict[FieldPath, str], path: FieldPath, rest: str) -> None:
    rest = rest.strip()
    if not rest.startswith("#"):
        return
    comment = rest[1:].strip()
    if SETTER_MARK in comment:
        found[path] = comment
