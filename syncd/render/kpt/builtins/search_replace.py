"""The `search-replace` built-in, after the kpt function catalogue's.

Config: a ConfigMap whose `data` holds matchers (`by-value`,
`by-value-regex`, `by-path`, `by-file-path`; all given must match) and
mutators (`put-value`, `put-comment`; `${1}`... are the regex's groups).
`by-path` is a dotted path where `*` matches one field and `**` any number
(list elements are crossed by `*`/`**` or by their index). The regex matches
the whole value. Only scalar fields are searched. `put-comment` sets the
field's line comment; only `kpt-set:` comments have an effect afterwards
(they feed apply-setters), as comments are not part of the applied object.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Final

from syncd.render.kpt.annotations import FieldPath, file_of, set_setter_comments, setter_comments
from syncd.render.kpt.builtins.common import config_data, failure, info
from syncd.render.kpt.comments import SETTER_MARK
from syncd.render.kpt.model import Deadline, FunctionOutcome

_KEYS: Final = frozenset(
    {"by-value", "by-value-regex", "by-path", "by-file-path", "put-value", "put-comment"}
)
_GROUP: Final = re.compile(r"\$\{(\d+)\}")


def search_replace(  # noqa: PLR0912 - one branch per matcher and mutator
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run search-replace over `items` (changed in place and returned)."""
    del deadline
    data = config_data(config)
    if data is None:
        return failure("FunctionConfig is missing or not a ConfigMap")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        return failure(f"unknown keys {unknown}: expect {sorted(_KEYS)}")
    if not any(key.startswith("by-") for key in data):
        return failure(
            "at least one of by-value, by-value-regex, by-path, by-file-path is required"
        )
    try:
        regex = re.compile(data["by-value-regex"]) if "by-value-regex" in data else None
    except re.error as exc:
        return failure(f"by-value-regex is not a valid regular expression: {exc}")
    path = [part for part in data.get("by-path", "").split(".") if part]
    matched = 0
    for item in items:
        if "by-file-path" in data and not fnmatch.fnmatchcase(
            file_of(item)[0], data["by-file-path"]
        ):
            continue
        comments = setter_comments(item)
        for where, holder, key in _scalars(item):
            value = holder[key]
            text = _text(value)
            if "by-value" in data and text != data["by-value"]:
                continue
            found = regex.fullmatch(text) if regex is not None else None
            if regex is not None and found is None:
                continue
            if path and not _path_matches(path, where):
                continue
            matched += 1
            if "put-value" in data:
                holder[key] = _expand(data["put-value"], found)
            if "put-comment" in data:
                comment = _expand(data["put-comment"], found).lstrip("#").strip()
                if SETTER_MARK in comment:
                    comments[where] = comment
                else:
                    comments.pop(where, None)
        set_setter_comments(item, comments)
    return info(items, f"matched {matched} field(s)")


def _scalars(item: dict[str, Any]) -> list[tuple[FieldPath, Any, str | int]]:
    found: list[tuple[FieldPath, Any, str | int]] = []
    pending: list[tuple[FieldPath, Any]] = [((), item)]
    while pending:
        where, current = pending.pop()
        children = (
            list(current.items())
            if isinstance(current, dict)
            else list(enumerate(current))
            if isinstance(current, list)
            else []
        )
        for key, child in children:
            if isinstance(child, dict | list):
                pending.append(((*where, key), child))
            elif (*where, key) != ("metadata", "annotations") and not _internal(where, key):
                found.append(((*where, key), current, key))
    return sorted(found, key=lambda entry: repr(entry[0]))


def _internal(where: FieldPath, key: str | int) -> bool:
    return where == ("metadata", "annotations") and str(key).startswith("internal.config.")


def _path_matches(pattern: list[str], path: FieldPath) -> bool:
    """Whether the dotted pattern (with `*` and `**`) matches the field path."""
    parts = [str(part) for part in path]
    states = {0}
    for part in parts:
        next_states: set[int] = set()
        for state in _closure(states, pattern):
            if state < len(pattern) and pattern[state] == "**":
                next_states.add(state)
            elif state < len(pattern) and pattern[state] in ("*", part):
                next_states.add(state + 1)
        states = next_states
        if not states:
            return False
    return len(pattern) in _closure(states, pattern)


def _closure(states: set[int], pattern: list[str]) -> set[int]:
    closed = set(states)
    for state in sorted(states):
        position = state
        while position < len(pattern) and pattern[position] == "**":
            position += 1
            closed.add(position)
    return closed


def _expand(template: str, found: re.Match[str] | None) -> str:
    if found is None:
        return template
    groups = found.groups()
    return _GROUP.sub(
        lambda m: (
            (groups[int(m.group(1)) - 1] or "")
            if 0 < int(m.group(1)) <= len(groups)
            else m.group(0)
        ),
        template,
    )


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
