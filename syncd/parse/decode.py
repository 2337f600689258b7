"""Decoding a directory of YAML and JSON files into manifests.

Owns the file walk and the document rules:

- every `*.yaml`, `*.yml` and `*.json` file under the root, recursively, in
  sorted order of their relative POSIX paths; hidden files and directories
  (`.git`, `.github`, ...) are skipped; directory symlinks are not followed;
  a file symlink is read only when it resolves inside the root (otherwise
  SD1006);
- YAML streams may hold many documents; empty documents are skipped;
- YAML is read the way Kubernetes reads it (sigs.k8s.io/yaml): timestamps
  stay strings, mapping keys become strings, and tags with no JSON form
  (`!!binary`, `!!set`, `!!omap`, `!!pairs`, `!!timestamp`) are parse errors;
- documents annotated `config.kubernetes.io/local-config: "true"` are skipped;
- `kind: List` (and any `*List` kind with an `items` list) is expanded into
  its items.

Errors (all SD1006):

- a file that cannot be read or whose YAML/JSON stream is malformed gives one
  error with `path:line:column` from the parser, and contributes **no**
  manifests: once a stream breaks, the documents around the break cannot be
  trusted (a missing `---` may have merged two objects into one);
- a document that is not a mapping, or lacks `apiVersion`, `kind` or
  `metadata.name`, gives one error naming the file, the line and the document
  number; the file's other documents are still taken.

Any error makes `DecodeResult.complete` False, which forbids pruning.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import yaml

from syncd.core.errors import ErrorCode, SourceContentError, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.core.manifest import Manifest
from syncd.core.metadata import LOCAL_CONFIG_ANNOTATION
from syncd.core.refs import InvalidObjectRefError, ObjectRef
from syncd.core.results import DecodeResult

SUFFIXES: Final = frozenset({".yaml", ".yml", ".json"})

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_TIMESTAMP_TAG: Final = "tag:yaml.org,2002:timestamp"
_STR_TAG: Final = "tag:yaml.org,2002:str"
_SEQ_TAG: Final = "tag:yaml.org,2002:seq"
_MAP_TAG: Final = "tag:yaml.org,2002:map"
_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_NON_JSON_TAGS: Final = tuple(
    f"tag:yaml.org,2002:{name}" for name in ("binary", "set", "omap", "pairs", "timestamp")
)


class _KubeLoader(_BaseLoader):
    """A safe loader that builds JSON-compatible values, like sigs.k8s.io/yaml."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """Build a mapping whose keys are all strings (`1: x` -> `{"1": "x"}`)."""
        mapping: dict[Hashable, Any] = super().construct_mapping(node, deep=deep)
        if all(type(key) is str for key in mapping):
            return mapping
        return {_key_text(key): value for key, value in mapping.items()}

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        """Resolver.resolve without path resolvers, with the implicit table precomputed.

        The C parser calls this for every node; PyYAML's version rebuilds a
        list per call.
        """
        if kind is yaml.ScalarNode:
            if implicit[0] and value is not None:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


def _key_text(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _reject_tag(loader: yaml.BaseLoader, node: yaml.Node) -> object:
    raise yaml.constructor.ConstructorError(
        None, None, f"tag {node.tag} has no JSON form", node.start_mark
    )


_KubeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_WILDCARD: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    _KubeLoader.yaml_implicit_resolvers.get(None, ())
)
_IMPLICIT: Final[Mapping[str, tuple[tuple[str, re.Pattern[str]], ...]]] = MappingProxyType(
    {
        first: (*resolvers, *_WILDCARD)
        for first, resolvers in _KubeLoader.yaml_implicit_resolvers.items()
        if first is not None
    }
)
for _tag in _NON_JSON_TAGS:
    _KubeLoader.add_constructor(_tag, _reject_tag)

MAX_DOCUMENT_NODES: Final = 1_000_000  # after alias expansion: stops "billion laughs" documents


class _DocumentBuilder:
    """Turns one composed document into JSON-like values.

    A fast path for plain strings, sequences and mappings (PyYAML's generic
    constructor dominates decoding time); every other node (numbers, booleans,
    null, merge keys, explicit tags) goes through the loader, so the YAML
    rules stay PyYAML's. Counts nodes as if aliases were expanded and fails
    beyond MAX_DOCUMENT_NODES.
    """

    __slots__ = ("_loader", "_memo", "_size")

    def __init__(self, loader: _KubeLoader) -> None:
        self._loader = loader
        self._memo: dict[int, tuple[object, int]] = {}
        self._size = 0

    def build(self, node: yaml.Node) -> object:
        if isinstance(node, yaml.ScalarNode):
            self._count(1)
            return node.value if node.tag == _STR_TAG else self._loader.construct_object(node)
        cached = self._memo.get(id(node))
        if cached is not None:
            self._count(cached[1])
            return cached[0]
        before = self._size
        self._count(1)
        value = self._container(node)
        self._memo[id(node)] = (value, self._size - before)
        return value

    def _container(self, node: yaml.Node) -> object:
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ_TAG:
            return [self.build(child) for child in node.value]
        if (
            isinstance(node, yaml.MappingNode)
            and node.tag == _MAP_TAG
            and not any(key.tag == _MERGE_TAG for key, _ in node.value)
        ):
            result: dict[str, object] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node)
                if isinstance(key, list | dict):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        "found a mapping key that is not a scalar",
                        key_node.start_mark,
                    )
                result[key if isinstance(key, str) else _key_text(key)] = self.build(value_node)
            return result
        return self._loader.construct_object(node, deep=True)

    def _count(self, nodes: int) -> None:
        self._size += nodes
        if self._size > MAX_DOCUMENT_NODES:
            raise yaml.YAMLError(
                f"document expands to more than {MAX_DOCUMENT_NODES} nodes (aliases)"
            )


def decode_directory(root: Path, *, limits: DecodeLimits | None = None) -> DecodeResult:
    """Decode every manifest file under `root` (see the module docstring for the rules)."""
    if not root.is_dir():
        return DecodeResult(
            manifests=(),
            errors=(SourceContentError(f"{root.name or root}: not a directory"),),
        )
    manifests: list[Manifest] = []
    errors: list[SyncdError] = []
    resolved_root = root.resolve()
    for relative in _manifest_files(root):
        path = root / relative
        if path.is_symlink() and not path.resolve().is_relative_to(resolved_root):
            errors.append(_error(f"{relative}: symlink points outside the source directory"))
            continue
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(_error(f"{relative}: cannot be read: {exc}"))
            continue
        decoded = decode_text(text, source_path=relative)
        manifests.extend(decoded.manifests)
        errors.extend(decoded.errors)
    return DecodeResult(manifests=tuple(manifests), errors=tuple(errors))


def decode_text(text: str, *, source_path: str) -> DecodeResult:
    """Decode one file's content; `.json` paths are read as JSON, others as YAML."""
    if source_path.lower().endswith(".json"):
        documents = _json_documents(text, source_path=source_path)
    else:
        documents = _yaml_documents(text, source_path=source_path)
    if isinstance(documents, SyncdError):
        return DecodeResult(manifests=(), errors=(documents,))
    manifests: list[Manifest] = []
    errors: list[SyncdError] = []
    for index, (node, document) in enumerate(documents, start=1):
        if document is None:
            continue
        _objects(
            document,
            node=node,
            number=index,
            source_path=source_path,
            manifests=manifests,
            errors=errors,
        )
    return DecodeResult(manifests=tuple(manifests), errors=tuple(errors))


def _manifest_files(root: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        base = Path(dirpath)
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in SUFFIXES:
                continue
            found.append((base / name).relative_to(root).as_posix())
    found.sort()
    return found


_Documents = list[tuple[yaml.Node | None, object]]


def _yaml_documents(text: str, *, source_path: str) -> _Documents | SyncdError:
    documents: _Documents = []
    loader = _KubeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            documents.append((node, _DocumentBuilder(loader).build(node)))
            loader.constructed_objects = {}
            loader.recursive_objects = {}
    except yaml.MarkedYAMLError as exc:
        return _error(_yaml_message(exc, source_path))
    except yaml.YAMLError as exc:
        return _error(f"{source_path}: {exc}")
    except RecursionError:
        return _error(f"{source_path}: nested too deeply")
    finally:
        loader.dispose()
    return documents


def _yaml_message(exc: yaml.MarkedYAMLError, source_path: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{source_path}:{mark.line + 1}:{mark.column + 1}" if mark else source_path
    problem = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context else ""
    return f"{where}: {problem}{context}"


def _json_documents(text: str, *, source_path: str) -> _Documents | SyncdError:
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return _error(f"{source_path}:{exc.lineno}:{exc.colno}: {exc.msg}")
    except (ValueError, RecursionError) as exc:
        return _error(f"{source_path}: {exc}")
    return [(None, document)]


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _objects(
    document: object,
    *,
    node: yaml.Node | None,
    number: int,
    source_path: str,
    manifests: list[Manifest],
    errors: list[SyncdError],
) -> None:
    """Append the object(s) one document declares, expanding Lists."""
    where = f"{source_path}:{_line(node)}: document {number}"
    if not isinstance(document, dict):
        errors.append(_error(f"{where}: not a mapping (found {type(document).__name__})"))
        return
    if _is_local_config(document):
        return
    items = _list_items(document)
    if items is None:
        _append(document, where=where, source_path=source_path, manifests=manifests, errors=errors)
        return
    for index, item in enumerate(items):
        item_where = f"{source_path}:{_item_line(node, index)}: document {number}, items[{index}]"
        if not isinstance(item, dict):
            errors.append(_error(f"{item_where}: not a mapping (found {type(item).__name__})"))
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
        errors.append(_error(f"{where}: {exc}"))
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


def _line(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _item_line(node: yaml.Node | None, index: int) -> int:
    """The line of item `index` of a List document's `items` (the document's line if unknown)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "items" and isinstance(value, yaml.SequenceNode):
                if index < len(value.value):
                    return _line(value.value[index])
                break
    return _line(node)


def _error(message: str) -> SourceContentError:
    return SourceContentError(message, code=ErrorCode.PARSE_ERROR)
