"""Declared objects: one decoded document with its identity and origin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from syncd.core.refs import ObjectRef


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """One object as declared in the source.

    `body` is the decoded document and is never mutated after decoding;
    stages that need a changed body build a new one. `source_path` is the
    file's path relative to the sync's directory (`dir/app.yaml`).
    """

    ref: ObjectRef
    body: Mapping[str, Any]
    source_path: str
    default_namespace: str = ""
    """Where this object goes when it is namespaced and names no namespace (a Helm
    release's namespace); empty means the sync's default."""

    @property
    def metadata(self) -> Mapping[str, Any]:
        """`metadata`, or an empty mapping."""
        meta = self.body.get("metadata")
        return meta if isinstance(meta, dict | Mapping) else {}

    @property
    def annotations(self) -> Mapping[str, str]:
        """`metadata.annotations`, or an empty mapping."""
        value = self.metadata.get("annotations")
        return value if isinstance(value, Mapping) else {}

    @property
    def labels(self) -> Mapping[str, str]:
        """`metadata.labels`, or an empty mapping."""
        value = self.metadata.get("labels")
        return value if isinstance(value, Mapping) else {}

    def placed_in(self, namespace: str) -> Manifest:
        """A copy whose body and identity name `namespace` (this one when they already do)."""
        if self.ref.namespace == namespace and self.metadata.get("namespace") == namespace:
            return self
        body: dict[str, Any] = dict(self.body)
        metadata = dict(self.metadata)
        metadata["namespace"] = namespace
        body["metadata"] = metadata
        return Manifest(
            ref=self.ref.with_namespace(namespace), body=body, source_path=self.source_path
        )

    def annotation(self, key: str) -> str | None:
        """One annotation's value, or None."""
        value = self.annotations.get(key)
        return value if isinstance(value, str) else None
