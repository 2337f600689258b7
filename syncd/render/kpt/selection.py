"""Which resources a step sees (`selectors`, `exclude`), and merging its output back.

A resource is selected when it matches any selector (all when there are
none) and no exclude entry; an entry matches when every field it gives
matches (`apiVersion`, `kind`, `name`, `namespace`, and `labels` /
`annotations` as subsets). The step's output replaces the selected
resources; the others keep their place.
"""

from __future__ import annotations

from typing import Any

from syncd.render.kpt.annotations import annotations_of
from syncd.render.kpt.model import Selector


def select(
    items: list[dict[str, Any]], *, selectors: tuple[Selector, ...], exclude: tuple[Selector, ...]
) -> list[int]:
    """Indexes of the items the step runs on."""
    return [
        index
        for index, item in enumerate(items)
        if (not selectors or any(_matches(item, entry) for entry in selectors))
        and not any(_matches(item, entry) for entry in exclude)
    ]


def merge(
    items: list[dict[str, Any]], chosen: list[int], produced: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The unselected items in place, with the step's output where the selected ones were."""
    taken = set(chosen)
    merged: list[dict[str, Any]] = []
    inserted = False
    for index, item in enumerate(items):
        if index not in taken:
            merged.append(item)
        elif not inserted:
            merged.extend(produced)
            inserted = True
    if not inserted:
        merged.extend(produced)
    return merged


def _matches(item: dict[str, Any], entry: Selector) -> bool:
    metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)  # noqa: S101 - narrowed above
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), dict) else {}
    assert isinstance(labels, dict)  # noqa: S101 - narrowed above
    found = annotations_of(item)
    return (
        (not entry.api_version or item.get("apiVersion") == entry.api_version)
        and (not entry.kind or item.get("kind") == entry.kind)
        and (not entry.name or metadata.get("name") == entry.name)
        and (not entry.namespace or metadata.get("namespace") == entry.namespace)
        and all(labels.get(key) == value for key, value in entry.labels)
        and all(found.get(key) == value for key, value in entry.annotations)
    )
