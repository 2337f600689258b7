"""Building JSON-like values from a YAML stream without recursion and within limits.

Owns YAML decoding. PyYAML's composer and constructor recurse once per
nesting level (the C composer is recursive Cython: ~30,000 levels of `[[[`
overflow the C stack and kill the process), and they expand aliases and
merge keys without counting them. So this module never composes nodes: it
reads libyaml's *events* (produced iteratively by its state machine) and
builds the values itself with an explicit stack:

- nesting deeper than `max_depth` (at most `DEPTH_CEILING`) stops the
  document at the event that passes the limit (SD1072), whether it comes
  from the text or from an alias whose value is deep;
- every value counts as a node, an alias counts as the whole value it stands
  for, so "billion laughs" documents (aliases of aliases) and doubling merge
  keys pass `max_nodes` (SD1072) long before they cost memory: a value is
  built once and shared, like PyYAML does;
- an alias to a node that is not finished (a recursive document) and a
  repeated anchor are errors (SD1006);
- merge keys (`<<: *base`, `<<: [*a, *b]`) are supported as Kubernetes'
  decoder supports them: explicit keys win, then earlier merge sources;
  the merged values count against `max_nodes` as expanded;
- scalars follow `syncd.parse.scalars` (Kubernetes' JSON view of YAML);
  mapping keys become strings; a key that is a list or mapping is an error.

Errors leave as `YamlError` (message, line, column, code); the decoder adds
the file name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from syncd.core.errors import ErrorCode
from syncd.core.limits import DEPTH_CEILING, DecodeLimits
from syncd.parse.located import LocatedError
from syncd.parse.scalars import (
    MAP_TAG,
    MERGE_TAG,
    SEQ_TAG,
    ScalarError,
    key_text,
    plain_value,
    tagged_value,
)
from syncd.parse.text import SURROGATE

try:
    from yaml import CSafeLoader as _EventSource
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _EventSource  # type: ignore[assignment]

_CHECK_SURROGATES: Final = not getattr(yaml, "__with_libyaml__", False)
"""libyaml refuses surrogate escapes itself; PyYAML's pure scanner does not."""
_NO_KEY: Final = object()
"""A mapping's state between entries: the next scalar is a key."""
_IN_LIST: Final = object()
"""The `key` of every sequence frame."""
_MERGE: Final = object()
"""The key `<<`: the value is merged into the mapping."""
_PLAIN_CACHE_MAX: Final = 4096
_PLAIN_CACHE_LEN: Final = 64


class YamlError(LocatedError):
    """A YAML stream that cannot be decoded, with where and which code."""


@dataclass(frozen=True, slots=True, kw_only=True)
class YamlDocument:
    """One document's value, its line, and the lines of a List's `items` (1-based)."""

    value: object
    line: int
    item_lines: tuple[int, ...] = ()


class _Frame:
    """A mapping or sequence being built."""

    __slots__ = ("anchor", "container", "height", "key", "lines", "merges", "start")

    def __init__(self, container: list[object] | dict[str, object], anchor: str | None) -> None:
        self.container = container
        self.anchor = anchor
        self.key: object = _NO_KEY if type(container) is dict else _IN_LIST
        self.height = 0
        self.start = 0
        self.merges: list[list[dict[str, object]]] | None = None
        self.lines: list[int] | None = None


@dataclass(frozen=True, slots=True)
class _Anchored:
    value: object
    size: int
    height: int


def yaml_documents(text: str, *, limits: DecodeLimits, max_documents: int) -> list[YamlDocument]:
    """The documents of `text` (empty ones hold None), or YamlError for the first problem.

    Reading stops after `max_documents + 1` documents: the caller's budget
    of documents and objects is then spent, and the rest would be wasted.
    """
    source = _EventSource(text)
    get = source.get_event
    cache: dict[str, object] = {}
    documents: list[YamlDocument] = []
    try:
        get()  # StreamStartEvent
        while len(documents) <= max_documents and type(get()) is not StreamEndEvent:
            documents.append(_Document(limits, cache).build(get))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        raise YamlError(
            problem, line=mark.line + 1 if mark else 0, column=mark.column + 1 if mark else 0
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "a byte"
        raise YamlError(
            f"unacceptable character {character}: {exc.reason}", line=line, column=column
        ) from None
    finally:
        source.dispose()
    return documents


class _Document:
    """The state of one document: anchors and the node count."""

    __slots__ = ("_anchors", "_cache", "_max_depth", "_max_nodes", "_nodes")

    def __init__(self, limits: DecodeLimits, cache: dict[str, object]) -> None:
        self._max_depth = min(limits.max_depth, DEPTH_CEILING)
        self._max_nodes = limits.max_nodes
        self._anchors: dict[str, _Anchored | _Frame] = {}
        self._nodes = 0
        self._cache = cache

    def build(self, next_event: Callable[[], Any]) -> YamlDocument:  # noqa: PLR0912, PLR0915
        """Consume events up to DocumentEndEvent and return the document (one hot loop)."""
        stack: list[_Frame] = []
        item_lines: list[int] = []
        top: _Frame | None = None
        root: object = None
        root_line = 0
        cache = self._cache
        max_nodes = self._max_nodes
        while True:
            event: Any = next_event()
            cls = type(event)
            height = 0
            if cls is ScalarEvent:
                self._nodes += 1
                if self._nodes > max_nodes:
                    self._too_many(event)
                tag = event.tag
                raw = event.value
                if tag is None and event.implicit[0]:
                    if top is not None and top.key is _NO_KEY and raw == "<<":
                        value: object = _MERGE
                    else:
                        value = cache.get(raw, _NO_KEY)
                        if value is _NO_KEY:
                            value = self._scalar(None, raw, event)
                            if len(cache) < _PLAIN_CACHE_MAX and len(raw) <= _PLAIN_CACHE_LEN:
                                cache[raw] = value
                elif tag is None or tag == "!":
                    value = raw
                    if _CHECK_SURROGATES and event.style == '"':
                        _check_surrogates(raw, event)
                elif tag == MERGE_TAG and top is not None and top.key is _NO_KEY:
                    value = _MERGE
                else:
                    value = self._scalar(tag, raw, event)
                if event.anchor is not None:
                    self._anchor(event.anchor, event)
                    anchored_value = "<<" if value is _MERGE else value
                    self._anchors[event.anchor] = _Anchored(value=anchored_value, size=1, height=0)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                self._nodes += 1
                if self._nodes > max_nodes:
                    self._too_many(event)
                if len(stack) >= self._max_depth:
                    self._too_deep(event)
                is_map = cls is MappingStartEvent
                if event.tag not in (None, "!", MAP_TAG if is_map else SEQ_TAG):
                    _fail(f"tag {event.tag!r} cannot be used on a {_kind(is_map)}", event)
                if top is not None and top.key is _NO_KEY:
                    _fail(f"a mapping key is a {_kind(is_map)}; keys must be scalars", event)
                frame = _Frame({} if is_map else [], event.anchor)
                frame.start = self._nodes
                if event.anchor is not None:
                    self._anchor(event.anchor, event)
                    self._anchors[event.anchor] = frame
                if not stack:
                    root_line = event.start_mark.line + 1
                elif len(stack) == 1 and top is not None and top.key == "items" and not is_map:
                    frame.lines = []
                if top is not None and top.lines is not None:
                    top.lines.append(event.start_mark.line + 1)
                stack.append(frame)
                top = frame
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                value = _finish(frame, event)
                if frame.lines is not None:
                    item_lines = frame.lines
                height = frame.height + 1
                if frame.anchor is not None:
                    self._anchors[frame.anchor] = _Anchored(
                        value=value, size=self._nodes - frame.start + 1, height=height
                    )
                top = stack[-1] if stack else None
                if top is None:
                    root = value
                    continue
            elif cls is AliasEvent:
                anchored = self._alias(event)
                self._nodes += anchored.size
                if self._nodes > max_nodes:
                    self._too_many(event)
                height = anchored.height
                if len(stack) + height > self._max_depth:
                    self._too_deep(event)
                value = anchored.value
            elif cls is DocumentEndEvent:
                return YamlDocument(value=root, line=root_line, item_lines=tuple(item_lines))
            else:  # pragma: no cover - libyaml emits no other event inside a document
                _fail(f"unexpected {cls.__name__}", event)
            if top is None:
                root = value
                root_line = event.start_mark.line + 1
                continue
            if top.lines is not None and cls is not MappingEndEvent and cls is not SequenceEndEvent:
                top.lines.append(event.start_mark.line + 1)
            top.height = max(top.height, height)
            container = top.container
            if type(container) is list:
                container.append(value)
            elif top.key is _NO_KEY:
                if type(value) is list or type(value) is dict:
                    _fail(
                        "a mapping key is an alias of a list or mapping; keys must be scalars",
                        event,
                    )
                top.key = value if value is _MERGE else key_text(value)
            else:
                if top.key is _MERGE:
                    _add_merge(top, value, event)
                else:
                    container[top.key] = value  # type: ignore[index, call-overload]
                top.key = _NO_KEY

    @staticmethod
    def _scalar(tag: str | None, raw: str, event: Any) -> object:
        try:
            return plain_value(raw) if tag is None else tagged_value(tag, raw)
        except ScalarError as exc:
            _fail(str(exc), event)

    def _anchor(self, name: str, event: Any) -> None:
        if name in self._anchors:
            _fail(f"anchor &{_name(name)} is defined twice in one document", event)

    def _alias(self, event: Any) -> _Anchored:
        anchored = self._anchors.get(event.anchor)
        if anchored is None:
            _fail(f"alias *{_name(event.anchor)} names no anchor defined before it", event)
        if isinstance(anchored, _Frame):
            _fail(f"alias *{_name(event.anchor)} is inside the node it names (a cycle)", event)
        return anchored

    def _too_many(self, event: Any) -> NoReturn:
        _fail(
            f"the document expands to more than {self._max_nodes} values (aliases and merge "
            "keys counted as expanded)",
            event,
            code=ErrorCode.SOURCE_TOO_LARGE,
        )

    def _too_deep(self, event: Any) -> NoReturn:
        _fail(
            f"lists and mappings nest deeper than {self._max_depth} levels "
            "(SYNCD_MAX_DEPTH; aliases counted as expanded)",
            event,
            code=ErrorCode.SOURCE_TOO_LARGE,
        )


def _finish(frame: _Frame, event: Any) -> object:
    container = frame.container
    if frame.merges is None:
        return container
    merged: dict[str, object] = {}
    for group in frame.merges:
        for source in reversed(group):
            merged.update(source)
    merged.update(container)  # type: ignore[arg-type]
    return merged


def _add_merge(frame: _Frame, value: object, event: Any) -> None:
    if type(value) is dict:
        group = [value]
    elif type(value) is list and all(type(item) is dict for item in value):
        group = list(value)
    else:
        _fail("a merge key (<<) takes a mapping or a list of mappings", event)
    if frame.merges is None:
        frame.merges = []
    frame.merges.append(group)


def _check_surrogates(raw: str, event: Any) -> None:
    if SURROGATE.search(raw) is not None:
        _fail("a string holds a lone UTF-16 surrogate, which has no UTF-8 form", event)


def _kind(is_map: bool) -> str:
    return "mapping" if is_map else "list"


def _name(anchor: str) -> str:
    return repr(anchor)[1:-1]


def _fail(problem: str, event: Any, *, code: ErrorCode = ErrorCode.PARSE_ERROR) -> NoReturn:
    mark = event.start_mark
    raise YamlError(problem, line=mark.line + 1, column=mark.column + 1, code=code)
