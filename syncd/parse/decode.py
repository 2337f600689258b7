"""Decoding a directory of YAML and JSON files into manifests, within limits.

Owns the document rules; the file walk and reads are `syncd.parse.files`,
YAML is `syncd.parse.yaml_stream`, JSON is `syncd.parse.json_doc`:

- every `*.yaml`, `*.yml` and `*.json` file under the root, recursively, in
  sorted order of their relative POSIX paths; hidden files and directories
  (`.git`, `.github`, ...) are skipped; directory symlinks are not followed;
  a file symlink is read only when it resolves to a regular file inside the
  root; FIFOs, sockets, devices and files whose names hold control
  characters or bytes that are not UTF-8 are errors, never read;
- YAML streams may hold many documents; empty documents are skipped;
- YAML is read the way Kubernetes reads it (sigs.k8s.io/yaml): timestamps
  stay strings, mapping keys become strings, merge keys are expanded, and
  tags with no JSON form (`!!binary`, `!!set`, `!!omap`, `!!pairs`,
  `!!timestamp`) are parse errors, as are NaN, Infinity, integers outside
  64 bits and strings with lone surrogates;
- documents annotated `config.kubernetes.io/local-config: "true"` are skipped;
- `kind: List` (and any `*List` kind with an `items` list) is expanded into
  its items.

Limits (`DecodeLimits`, SD1072): a file above `max_file_bytes` is not read;
a package above `max_package_bytes` is not read at all; nesting above
`max_depth` or more than `max_nodes` values in a document fail that file;
more than `max_objects` documents and objects in the package stop decoding
and drop every manifest (a package that large is refused as a whole).

Errors (SD1006 unless a limit says SD1072):

- a file that cannot be read or whose YAML/JSON stream is malformed gives one
  error with `path:line:column`, and contributes **no** manifests: once a
  stream breaks, the documents around the break cannot be trusted (a missing
  `---` may have merged two objects into one);
- a document that is not a mapping, or lacks `apiVersion`, `kind` or
  `metadata.name`, gives one error naming the file, the line and the document
  number; the file's other documents are still taken.

Errors are values: `decode_directory` and `decode_text` never raise for bad
input. Any error makes `DecodeResult.complete` False, which forbids pruning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from syncd.core.errors import SourceContentError, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.core.manifest import Manifest
from syncd.core.metadata import LOCAL_CONFIG_ANNOTATION
from syncd.core.refs import InvalidObjectRefError, ObjectRef
from syncd.core.results import DecodeResult
from syncd.parse.files import SUFFIXES, find_manifest_files, parse_error, read_text, too_large
from syncd.parse.json_doc import json_document
from syncd.parse.located import LocatedError
from syncd.parse.text import display_path
from syncd.parse.yaml_stream import YamlDocument, yaml_documents

__all__ = ["SUFFIXES", "decode_directory", "decode_text"]

_DEFAULT_LIMITS = DecodeLimits()


class _Budget:
    """How many more documents and objects the package may declare."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def take(self, count: int = 1) -> bool:
        """Use `count`; False once the package passes the limit."""
        self.left -= count
        return self.left >= 0


def decode_directory(
    root: Path, *, limits: DecodeLimits | None = None, exclude: frozenset[str] = frozenset()
) -> DecodeResult:
    """Decode every manifest file under `root` (see the module docstring for the rules).

    Directories in `exclude` (POSIX paths relative to `root`) are left out.
    """
    limits = limits or _DEFAULT_LIMITS
    if not root.is_dir():
        return DecodeResult(
            manifests=(),
            errors=(parse_error(f"{display_path(root.name or str(root))}: not a directory"),),
        )
    found = find_manifest_files(root, limits=limits, exclude=exclude)
    errors = list(found.errors)
    manifests: list[Manifest] = []
    budget = _Budget(limits.max_objects)
    for file in found.files:
        text = read_text(file, limits=limits)
        if isinstance(text, SyncdError):
            errors.append(text)
            continue
        decoded = _decode(text, source_path=file.relative, limits=limits, budget=budget)
        manifests.extend(decoded.manifests)
        errors.extend(decoded.errors)
        if budget.left < 0:
            return DecodeResult(manifests=(), errors=(*errors, _too_many_objects(limits)))
    return DecodeResult(manifests=tuple(manifests), errors=tuple(errors))


def decode_text(text: str, *, source_path: str, limits: DecodeLimits | None = None) -> DecodeResult:
    """Decode one file's content; `.json` paths are read as JSON, others as YAML."""
    limits = limits or _DEFAULT_LIMITS
    budget = _Budget(limits.max_objects)
    decoded = _decode(text, source_path=source_path, limits=limits, budget=budget)
    if budget.left < 0:
        return DecodeResult(manifests=(), errors=(*decoded.errors, _too_many_objects(limits)))
    return decoded


def _decode(text: str, *, source_path: str, limits: DecodeLimits, budget: _Budget) -> DecodeResult:
    shown = display_path(source_path)
    documents: Sequence[YamlDocument]
    try:
        if source_path.lower().endswith(".json"):
            documents = [YamlDocument(value=json_document(text, limits=limits), line=1)]
        else:
            documents = yaml_documents(text, limits=limits, max_documents=max(budget.left, 0))
    except LocatedError as exc:
        where = f"{shown}:{exc.line}:{exc.column}" if exc.line else shown
        error = SourceContentError(f"{where}: {exc.problem}", code=exc.code)
        return DecodeResult(manifests=(), errors=(error,))
    manifests: list[Manifest] = []
    errors: list[SyncdError] = []
    for number, document in enumerate(documents, start=1):
        if not budget.take():
            break
        if document.value is None:
            continue
        _objects(
            document,
            number=number,
            source_path=source_path,
            shown=shown,
            manifests=manifests,
            errors=errors,
            budget=budget,
        )
    return DecodeResult(manifests=tuple(manifests), errors=tuple(errors))


def _objects(
    document: YamlDocument,
    *,
    number: int,
    source_path: str,
    shown: str,
    manifests: list[Manifest],
    errors: list[SyncdError],
    budget: _Budget,
) -> None:
    """Append the object(s) one document declares, expanding Lists."""
    value = document.value
    where = f"{shown}:{document.line}: document {number}"
    if not isinstance(value, dict):
        errors.append(parse_error(f"{where}: not a mapping (found {_type_name(value)})"))
        return
    if _is_local_config(value):
        return
    items = _list_items(value)
    if items is None:
        _append(value, where=where, source_path=source_path, manifests=manifests, errors=errors)
        return
    if not budget.take(max(len(items) - 1, 0)):
        return
    for index, item in enumerate(items):
        line = document.item_lines[index] if index < len(document.item_lines) else document.line
        item_where = f"{shown}:{line}: document {number}, items[{index}]"
        if not isinstance(item, dict):
            errors.append(parse_error(f"{item_where}: not a mapping (found {_type_name(item)})"))
        elif not _is_local_config(item):
            _append(
                item, where=item_where, source_path=source_path, manifests=manifests, errors=errors
            )


def _append(
    obj: dict[str, Any],
    *,
    where: str,
    source_path: str,
    manifests: list[Manifest],
    errors: list[SyncdError],
) -> None:
    try:
        ref = ObjectRef.from_object(obj)
    except InvalidObjectRefError as exc:
        errors.append(parse_error(f"{where}: {exc}"))
        return
    manifests.append(Manifest(ref=ref, body=obj, source_path=source_path))


def _list_items(document: Mapping[str, Any]) -> Sequence[object] | None:
    """The items of a List document, or None when the document is one object."""
    kind = document.get("kind")
    if not isinstance(kind, str):
        return None
    items = document.get("items")
    if kind == "List":
        return items if isinstance(items, list) else []
    if kind.endswith("List") and isinstance(items, list):
        return items
    return None


def _is_local_config(obj: Mapping[str, Any]) -> bool:
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return False
    annotations = metadata.get("annotations")
    if not isinstance(annotations, Mapping):
        return False
    value = annotations.get(LOCAL_CONFIG_ANNOTATION)
    return value is True or value == "true"


def _type_name(value: object) -> str:
    return type(value).__name__


def _too_many_objects(limits: DecodeLimits) -> SyncdError:
    return too_large(
        f"the package declares more than {limits.max_objects} documents and objects "
        "(SYNCD_MAX_OBJECTS); nothing from it is applied"
    )
