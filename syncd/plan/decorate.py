"""The body syncd applies for a declared object: its own metadata added, server fields dropped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from syncd.core.manifest import Manifest
from syncd.core.metadata import (
    APPLYSET_PART_OF_LABEL,
    COMMIT_ANNOTATION,
    HASH_ANNOTATION,
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    MANAGER_ANNOTATION,
    SOURCE_PATH_ANNOTATION,
)
from syncd.plan.hashing import declared_hash

SERVER_METADATA: Final = frozenset(
    {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"}
)


def decorate(manifest: Manifest, *, sync_id: str, applyset_id: str, commit: str) -> dict[str, Any]:
    """The body syncd applies for `manifest`; the input is never mutated.

    Adds the managed-by and ApplySet part-of labels and the manager,
    source-path, commit and declared-hash annotations; drops `status` and the
    server-owned metadata fields. Only the top level, `metadata`, `labels`
    and `annotations` are copied: nested values are shared with the input and
    must not be mutated.
    """
    body = {key: value for key, value in manifest.body.items() if key != "status"}
    metadata = {k: v for k, v in manifest.metadata.items() if k not in SERVER_METADATA}
    labels = dict(manifest.labels)
    labels[MANAGED_BY_LABEL] = MANAGED_BY_VALUE
    labels[APPLYSET_PART_OF_LABEL] = applyset_id
    annotations = {
        k: v
        for k, v in manifest.annotations.items()
        if k not in {COMMIT_ANNOTATION, HASH_ANNOTATION}
    }
    annotations[MANAGER_ANNOTATION] = sync_id
    annotations[SOURCE_PATH_ANNOTATION] = manifest.source_path
    metadata["labels"] = labels
    metadata["annotations"] = annotations
    body["metadata"] = metadata
    annotations[HASH_ANNOTATION] = declared_hash(body)
    annotations[COMMIT_ANNOTATION] = commit
    return body


def without_commit(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`body` minus the commit annotation, which changes with every commit and is not drift."""
    metadata = body["metadata"]
    annotations = {k: v for k, v in metadata["annotations"].items() if k != COMMIT_ANNOTATION}
    return {**body, "metadata": {**metadata, "annotations": annotations}}
