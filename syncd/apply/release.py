"""Letting go of an object: the merge patch that removes every label and annotation syncd adds."""

from __future__ import annotations

from typing import Any

from syncd.core.metadata import SYNCD_ANNOTATIONS, SYNCD_LABELS


def release_patch() -> dict[str, Any]:
    """A JSON merge patch that removes syncd's labels and annotations (and nothing else)."""
    return {
        "metadata": {
            "labels": dict.fromkeys(SYNCD_LABELS),
            "annotations": dict.fromkeys(SYNCD_ANNOTATIONS),
        }
    }
