"""Building plans by hand for the applier and pruner tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.core.manifest import Manifest
from syncd.core.plan import Action, PlannedObject
from syncd.core.refs import ObjectRef
from syncd.plan.plan import decorate

SYNC_ID = "RootSync/syncd-system/root"
APPLYSET = "applyset-test-v1"


def manifest(body: Mapping[str, Any], path: str = "") -> Manifest:
    ref = ObjectRef.from_object(body)
    return Manifest(ref=ref, body=body, source_path=path or f"{ref.kind.lower()}-{ref.name}.yaml")


def decorated(body: Mapping[str, Any], path: str = "") -> Manifest:
    """The manifest as the planner hands it to the applier: with syncd's metadata."""
    plain = manifest(body, path)
    return Manifest(
        ref=plain.ref,
        body=decorate(plain, sync_id=SYNC_ID, applyset_id=APPLYSET, commit="c0ffee"),
        source_path=plain.source_path,
    )


def planned(
    m: Manifest | None,
    action: Action,
    *,
    ref: ObjectRef | None = None,
    live: Mapping[str, Any] | None = None,
) -> PlannedObject:
    target = ref or (m.ref if m is not None else None)
    assert target is not None
    return PlannedObject(ref=target, action=action, manifest=m, live=live, reason="test")
