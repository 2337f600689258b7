"""The declared hash: a stable fingerprint of a body as syncd applies it.

sha256 over canonical JSON (sorted keys, no whitespace, UTF-8), ignoring the
`syncd.dev/commit` and `syncd.dev/declared-hash` annotations: a new commit
that does not change an object must not change its hash, and the hash cannot
cover itself. syncd writes the result as the `syncd.dev/declared-hash`
annotation; a live object carrying the same value was last applied from an
identical declaration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from syncd.core.metadata import COMMIT_ANNOTATION, HASH_ANNOTATION

EXCLUDED_ANNOTATIONS: Final = (COMMIT_ANNOTATION, HASH_ANNOTATION)


def declared_hash(body: Mapping[str, Any]) -> str:
    """The hex sha256 of `body`'s canonical JSON, without the commit and hash annotations."""
    return hashlib.sha256(canonical_json(_without_excluded(body)).encode()).hexdigest()


def canonical_json(value: Mapping[str, Any]) -> str:
    """Compact JSON with sorted keys: equal values always give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _without_excluded(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`body`, or a shallow copy of it without the excluded annotations when it has any."""
    metadata = body.get("metadata")
    if not isinstance(metadata, Mapping):
        return body
    annotations = metadata.get("annotations")
    if not isinstance(annotations, Mapping) or not any(
        key in annotations for key in EXCLUDED_ANNOTATIONS
    ):
        return body
    kept = {k: v for k, v in annotations.items() if k not in EXCLUDED_ANNOTATIONS}
    return {**body, "metadata": {**metadata, "annotations": kept}}
