"""The `apply-setters` and `create-setters` built-ins, after the kpt function catalogue's.

Setter comments (`# kpt-set: nginx:${tag}`) are read from the files by
`syncd.render.kpt.comments` and travel on each object as an internal
annotation (`annotations.SETTERS`), so they survive from one function to the
next as comments do in kpt.

apply-setters (ConfigMap `data`: setter name -> value): a scalar field whose
comment names at least one given setter gets the pattern with every
`${name}` replaced; setters not given keep the value they have in the field
(read back through the pattern), and a setter that can be read neither way is
an error. A field that was not a string before is re-read as a YAML plain
scalar (`3` becomes a number), as kpt clears the node's tag. A list field
whose comment is exactly `${name}` gets the setter's value read as a YAML
list.

create-setters (ConfigMap `data`): a setter whose value is a YAML list
parameterizes list fields holding the same values (in any order); the others
parameterize scalar fields whose text contains their value (longer values
first); the comment is the field's text with each value replaced by
`${name}`. Multi-line values get no comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from syncd.core.limits import DecodeLimits
from syncd.parse.located import LocatedError
from syncd.parse.yaml_stream import yaml_documents
from syncd.render.kpt.annotations import FieldPath, set_setter_comments, setter_comments
from syncd.render.kpt.builtins.common import config_data, failure, info
from syncd.render.kpt.comments import SETTER_MARK
from syncd.render.kpt.model import Deadline, FunctionOutcome

_REFERENCE: Final = re.compile(r"\$\{([^{}]+)\}")
_SMALL: Final = DecodeLimits(max_file_bytes=1024 * 1024, max_nodes=100_000)


def apply_setters(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run apply-setters over `items` (changed in place and returned)."""
    del deadline
    setters = config_data(config)
    if setters is None:
        return failure(
            "FunctionConfig is missing or not a ConfigMap: expect a ConfigMap of setters"
        )
    count = 0
    for item in items:
        for path, comment in sorted(setter_comments(item).items(), key=repr):
            pattern = comment.split(SETTER_MARK, 1)[1].strip()
            holder, key = _locate(item, path)
            if holder is None:
                continue
            current = holder[key]
            value = _apply(pattern, current, setters)
            if isinstance(value, _Missing):
                return failure(
                    f"{_where(item, path)}: values for setters {value.names} must be provided"
                )
            if value is not _UNCHANGED:
                holder[key] = value
                count += 1
    return info(items, f"applied setters to {count} field(s)")


_UNCHANGED: Final = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Missing:
    """Setters a field's pattern names that neither the config nor the field gives."""

    names: list[str]


def _apply(pattern: str, current: object, setters: dict[str, str]) -> object:  # noqa: PLR0911
    names = _REFERENCE.findall(pattern)
    if not any(name in setters for name in names):
        return _UNCHANGED
    if isinstance(current, list):
        if len(names) != 1 or pattern != f"${{{names[0]}}}":
            return _UNCHANGED
        parsed = _yaml_value(setters[names[0]])
        return parsed if isinstance(parsed, list) else _UNCHANGED
    if isinstance(current, dict):
        return _UNCHANGED
    known = _current_values(pattern, _text(current))
    missing = sorted({name for name in names if name not in setters and name not in known})
    if missing:
        return _Missing(names=missing)
    result = _REFERENCE.sub(lambda m: setters.get(m.group(1), known.get(m.group(1), "")), pattern)
    if isinstance(current, str):
        return result
    parsed = _yaml_value(result)
    return parsed if isinstance(parsed, str | int | float | bool) or parsed is None else result


def _current_values(pattern: str, value: str) -> dict[str, str]:
    """The values the setters of `pattern` have in `value`, read back through the pattern."""
    parts = _REFERENCE.split(pattern)
    expression = "".join(
        re.escape(part) if position % 2 == 0 else f"(?P<s{position}>.*?)"
        for position, part in enumerate(parts)
    )
    match = re.fullmatch(expression, value)
    if match is None:
        return {}
    return {parts[position]: match.group(f"s{position}") for position in range(1, len(parts), 2)}


def create_setters(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run create-setters over `items` (setter comments added; values unchanged)."""
    del deadline
    data = config_data(config)
    if data is None or not data:
        return failure("FunctionConfig is missing or empty: expect a ConfigMap of setter values")
    arrays: dict[str, list[str]] = {}
    scalars: list[tuple[str, str]] = []
    for name, value in data.items():
        parsed = _yaml_value(value) if "\n" in value or value.startswith("[") else None
        if isinstance(parsed, list) and all(not isinstance(v, dict | list) for v in parsed):
            arrays[name] = sorted(_text(v) for v in parsed)
        elif value:
            scalars.append((name, value))
    scalars.sort(key=lambda pair: -len(pair[1]))
    count = 0
    for item in items:
        comments = setter_comments(item)
        for path, field_value in _fields(item, ()):
            comment = _comment_for(field_value, scalars=scalars, arrays=arrays)
            if comment is not None:
                comments[path] = f"{SETTER_MARK} {comment}"
                count += 1
        set_setter_comments(item, comments)
    return info(items, f"created {count} setter comment(s)")


def _comment_for(
    value: object, *, scalars: list[tuple[str, str]], arrays: dict[str, list[str]]
) -> str | None:
    if isinstance(value, list):
        texts = sorted(_text(v) for v in value)
        for name, wanted in arrays.items():
            if texts == wanted:
                return f"${{{name}}}"
        return None
    text = _text(value)
    if "\n" in text or not any(setter in text for _, setter in scalars):
        return None
    for name, setter in scalars:
        text = text.replace(setter, f"${{{name}}}")
    return text


def _fields(value: object, path: FieldPath) -> list[tuple[FieldPath, object]]:
    """Every scalar and list-of-scalars field under `value` but apiVersion, kind, annotations."""
    found: list[tuple[FieldPath, object]] = []
    pending: list[tuple[FieldPath, object]] = [(path, value)]
    while pending:
        where, current = pending.pop()
        if isinstance(current, dict):
            for key, child in current.items():
                if (not where and key in ("apiVersion", "kind")) or (*where, key) == (
                    "metadata",
                    "annotations",
                ):
                    continue
                pending.append(((*where, key), child))
        elif isinstance(current, list):
            if all(not isinstance(child, dict | list) for child in current) and current:
                found.append((where, current))
            else:
                pending.extend(((*where, index), child) for index, child in enumerate(current))
        elif current is not None and where:
            found.append((where, current))
    return sorted(found, key=repr)


def _locate(item: dict[str, Any], path: FieldPath) -> tuple[Any, str | int]:
    """The container holding the field at `path` and its key, (None, "") when absent."""
    current: Any = item
    for part in path[:-1]:
        current = _step(current, part)
        if current is None:
            return None, ""
    if not path:
        return None, ""
    last = path[-1]
    if isinstance(current, dict) and isinstance(last, str) and last in current:
        return current, last
    if isinstance(current, list) and isinstance(last, int) and 0 <= last < len(current):
        return current, last
    return None, ""


def _step(current: object, part: str | int) -> object:
    if isinstance(current, dict) and isinstance(part, str):
        return current.get(part)
    if isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
        return current[part]
    return None


def _yaml_value(text: str) -> object:
    try:
        documents = yaml_documents(text, limits=_SMALL, max_documents=1)
    except LocatedError:
        return None
    return documents[0].value if len(documents) == 1 else None


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _where(item: dict[str, Any], path: FieldPath) -> str:
    name = (item.get("metadata") or {}).get("name")
    return f"{item.get('kind')} {name}: field {'.'.join(str(part) for part in path)}"
