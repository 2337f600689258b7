"""build_plan and decorate: every action, the inventory it keeps, and the prune guard."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from syncd.core.errors import ErrorCode
from syncd.core.manifest import Manifest
from syncd.core.plan import Action, PruneGuard
from syncd.core.refs import ObjectRef
from syncd.plan.hashing import declared_hash
from syncd.plan.plan import build_plan, decorate
from tests.unit.plan.builders import (
    APPLYSET,
    OTHER,
    SYNC,
    actions,
    applied,
    manifest,
    plan,
)

# --- decorate --------------------------------------------------------------------------------


def test_decorate_adds_syncd_metadata_and_strips_server_fields() -> None:
    m = manifest("a", annotations={"keep": "me"})
    m.body["status"] = {"x": 1}  # type: ignore[index]
    m.body["metadata"].update(  # type: ignore[attr-defined]
        uid="u", resourceVersion="1", managedFields=[], creationTimestamp="t", generation=4
    )
    before = copy.deepcopy(m.body)
    body = decorate(m, sync_id=SYNC, applyset_id=APPLYSET, commit="c1")
    assert m.body == before
    assert "status" not in body
    assert set(body["metadata"]) == {"name", "namespace", "labels", "annotations"}
    assert body["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "syncd",
        "applyset.kubernetes.io/part-of": APPLYSET,
    }
    annotations = body["metadata"]["annotations"]
    assert annotations["keep"] == "me"
    assert annotations["syncd.dev/manager"] == SYNC
    assert annotations["syncd.dev/source-path"] == "a.yaml"
    assert annotations["syncd.dev/commit"] == "c1"
    assert annotations["syncd.dev/declared-hash"] == declared_hash(body)


def test_decorated_hash_ignores_the_commit_but_not_the_source_path() -> None:
    m = manifest("a")

    def digest(body: dict[str, Any]) -> str:
        return str(body["metadata"]["annotations"]["syncd.dev/declared-hash"])

    first = decorate(m, sync_id=SYNC, applyset_id=APPLYSET, commit="c1")
    second = decorate(m, sync_id=SYNC, applyset_id=APPLYSET, commit="c2")
    moved = Manifest(ref=m.ref, body=m.body, source_path="moved.yaml")
    assert digest(first) == digest(second)
    assert digest(decorate(moved, sync_id=SYNC, applyset_id=APPLYSET, commit="c1")) != digest(first)


def test_decorate_replaces_stale_syncd_annotations_from_the_source() -> None:
    m = manifest("a", annotations={"syncd.dev/declared-hash": "bogus", "syncd.dev/commit": "old"})
    body = decorate(m, sync_id=SYNC, applyset_id=APPLYSET, commit="c1")
    assert body["metadata"]["annotations"]["syncd.dev/commit"] == "c1"
    assert body["metadata"]["annotations"]["syncd.dev/declared-hash"] != "bogus"


# --- declared objects ------------------------------------------------------------------------


def test_missing_objects_are_applied_with_the_decorated_body() -> None:
    p = plan([manifest("a")])
    [obj] = p.to_apply
    assert obj.reason == "not in the cluster"
    assert obj.live is None
    assert obj.manifest is not None
    assert obj.manifest.annotation("syncd.dev/commit") == "c2"
    assert p.managed == {obj.ref}


def test_unchanged_objects_need_nothing_even_with_a_new_commit_and_defaults() -> None:
    m = manifest("a")
    live = applied(m, commit="c1")
    live["data"]["defaulted-by-webhook"] = "x"
    p = plan([m], live={m.ref: live}, inventory=[m.ref], commit="c2")
    assert actions(p) == {"a": Action.UNCHANGED}
    assert p.unchanged[0].manifest is not None
    assert p.counts[Action.UNCHANGED] == 1
    assert p.counts[Action.APPLY] == 0


def test_changed_declaration_is_applied() -> None:
    m = manifest("a")
    changed = manifest("a", k="new")
    p = plan([changed], live={m.ref: applied(m)}, inventory=[m.ref])
    assert p.to_apply[0].reason == "declared content changed"


def test_live_without_syncd_metadata_is_adopted_and_is_not_drift() -> None:
    m = manifest("a")
    unmanaged = copy.deepcopy(m.body)
    p = plan([m], live={m.ref: unmanaged})
    assert p.to_apply[0].reason == "exists without syncd's metadata; adopted"
    assert not p.to_apply[0].drift


def test_a_managed_object_recreated_by_hand_is_drift_and_taken_back() -> None:
    m = manifest("a")
    recreated = copy.deepcopy(m.body)
    p = plan([m], live={m.ref: recreated}, inventory=[m.ref])
    [obj] = p.to_apply
    assert (obj.reason, obj.drift) == ("re-created outside syncd", True)


def test_a_managed_object_deleted_by_hand_is_drift_and_recreated() -> None:
    m = manifest("a")
    p = plan([m], inventory=[m.ref])
    [obj] = p.to_apply
    assert (obj.reason, obj.drift) == ("deleted outside syncd", True)


def test_objects_whose_live_state_is_unknown_are_held_and_kept_untouched() -> None:
    held, gone, fresh = manifest("held"), manifest("gone"), manifest("fresh")
    p = build_plan(
        desired=[held, fresh],
        inventory=[held.ref, gone.ref],
        live={},
        sync_id=SYNC,
        applyset_id=APPLYSET,
        commit="c2",
        prune_guard=PruneGuard(max_delete_percent=100),
        can_prune=True,
        known=lambda ref: ref.name == "nothing",
    )
    assert actions(p) == {"held": Action.HOLD, "fresh": Action.HOLD}
    assert p.kept == {held.ref, gone.ref}
    assert p.managed == frozenset()
    assert p.to_prune == ()


def test_a_terminating_object_is_held_with_a_not_ready_error_and_never_touched() -> None:
    m = manifest("a")
    live = applied(m)
    live["metadata"].update(deletionTimestamp="2026-01-01T00:00:00Z", finalizers=["x/y"])
    p = plan([m], live={m.ref: live}, inventory=[m.ref])
    assert actions(p) == {"a": Action.HOLD}
    [error] = p.errors
    assert error.code is ErrorCode.NOT_READY
    assert "terminating" in error.message
    assert "x/y" in error.message
    assert p.kept == {m.ref}


def test_mutation_ignore_leaves_an_object_recreated_by_hand_alone() -> None:
    m = manifest("a", annotations={"client.lifecycle.config.k8s.io/mutation": "ignore"})
    by_hand = copy.deepcopy(m.body)
    by_hand["data"] = {"k": "hand"}
    p = plan([m], live={m.ref: by_hand}, inventory=[m.ref])
    assert actions(p) == {"a": Action.SKIP_MUTATION}


def test_conflicts_are_the_syncs_claims() -> None:
    m = manifest("a")
    p = plan([m], live={m.ref: applied(m, manager=OTHER)})
    assert p.conflicts == {m.ref}


def test_object_managed_by_another_sync_is_a_conflict_and_never_touched() -> None:
    m = manifest("a")
    p = plan([m], live={m.ref: applied(m, manager=OTHER)}, inventory=[m.ref])
    assert actions(p) == {"a": Action.CONFLICT}
    [error] = p.errors
    assert error.code is ErrorCode.MANAGED_BY_ANOTHER_SYNC
    assert OTHER in error.message
    assert error.resources[0].source_path == "a.yaml"
    assert p.managed == frozenset()
    assert p.kept == frozenset()


def test_disabled_object_managed_by_this_sync_is_released() -> None:
    m = manifest("a")
    disabled = manifest("a", annotations={"syncd.dev/managed": "disabled"})
    p = plan([disabled], live={m.ref: applied(m)}, inventory=[m.ref])
    assert actions(p) == {"a": Action.RELEASE}
    assert p.managed == frozenset()
    assert p.to_prune == ()


@pytest.mark.parametrize("owner", [None, OTHER])
def test_disabled_object_not_ours_or_absent_is_skipped_entirely(owner: str | None) -> None:
    m = manifest("a", annotations={"syncd.dev/managed": "disabled"})
    live = {m.ref: applied(m, manager=owner)} if owner else {}
    p = plan([m], live=live, inventory=[m.ref])
    assert p.objects == ()
    assert p.errors == ()
    assert p.managed == frozenset()


def test_mutation_ignore_skips_existing_objects_and_creates_missing_ones() -> None:
    m = manifest("a", annotations={"client.lifecycle.config.k8s.io/mutation": "ignore"})
    live = applied(manifest("a", k="someone-else's"))
    assert actions(plan([m], live={m.ref: live})) == {"a": Action.SKIP_MUTATION}
    assert actions(plan([m])) == {"a": Action.APPLY}
    assert plan([m], live={m.ref: live}).managed == {m.ref}


# --- inventory objects no longer declared ----------------------------------------------------


def test_removed_objects_are_pruned() -> None:
    keep, gone = manifest("keep"), manifest("gone")
    p = plan(
        [keep],
        live={keep.ref: applied(keep), gone.ref: applied(gone)},
        inventory=[keep.ref, gone.ref],
    )
    assert actions(p) == {"keep": Action.UNCHANGED, "gone": Action.PRUNE}
    [prune] = p.to_prune
    assert prune.manifest is None
    assert prune.live is not None
    assert not p.prune_refused


def test_detach_annotation_detaches_instead_of_pruning() -> None:
    keep = manifest("keep")
    gone = manifest("gone", annotations={"client.lifecycle.config.k8s.io/deletion": "detach"})
    p = plan(
        [keep],
        live={keep.ref: applied(keep), gone.ref: applied(gone)},
        inventory=[keep.ref, gone.ref],
    )
    assert actions(p)["gone"] is Action.DETACH
    assert p.to_prune == ()
    assert gone.ref not in p.managed


def test_inventory_objects_gone_or_owned_elsewhere_are_dropped_silently() -> None:
    keep, vanished, taken, stripped = (
        manifest(n) for n in ("keep", "vanished", "taken", "stripped")
    )
    stripped_live = copy.deepcopy(stripped.body)
    p = plan(
        [keep],
        live={
            keep.ref: applied(keep),
            taken.ref: applied(taken, manager=OTHER),
            stripped.ref: stripped_live,
        },
        inventory=[keep.ref, vanished.ref, taken.ref, stripped.ref],
    )
    assert actions(p) == {"keep": Action.UNCHANGED}
    assert p.errors == ()
    assert p.kept == frozenset()
    assert p.managed == {keep.ref}


def test_nothing_is_pruned_or_detached_when_pruning_is_not_allowed() -> None:
    keep = manifest("keep")
    gone = manifest("gone")
    detach = manifest("detach", annotations={"client.lifecycle.config.k8s.io/deletion": "detach"})
    live = {m.ref: applied(m) for m in (keep, gone, detach)}
    p = plan([keep], live=live, inventory=list(live), can_prune=False)
    assert actions(p) == {"keep": Action.UNCHANGED}
    assert p.kept == {gone.ref, detach.ref}
    assert not p.prune_refused
    assert p.errors == ()


def test_objects_rejected_by_validation_are_kept_not_pruned() -> None:
    keep, rejected = manifest("keep"), manifest("dup")
    live = {keep.ref: applied(keep), rejected.ref: applied(rejected)}
    p = plan([keep], live=live, inventory=list(live), retain=[rejected.ref])
    assert p.to_prune == ()
    assert p.kept == {rejected.ref}


# --- prune guard -----------------------------------------------------------------------------


def managed_objects(count: int) -> tuple[list[Manifest], dict[ObjectRef, dict[str, Any]]]:
    objs = [manifest(f"o{i}") for i in range(count)]
    return objs, {m.ref: applied(m) for m in objs}


def test_deleting_everything_is_refused_but_applies_still_happen() -> None:
    _, live = managed_objects(3)
    new = manifest("new")
    p = plan([new], live=live, inventory=list(live))
    assert p.prune_refused
    assert p.to_prune == ()
    assert p.kept == set(live)
    assert actions(p) == {"new": Action.APPLY}
    [error] = p.errors
    assert error.code is ErrorCode.PRUNE_REFUSED
    assert "remove all 3 objects" in error.message
    assert {r.ref for r in error.resources} == set(live)


def test_empty_commit_over_a_non_empty_inventory_is_refused() -> None:
    _, live = managed_objects(1)
    p = plan([], live=live, inventory=list(live))
    assert p.prune_refused
    assert p.objects == ()


def test_deleting_everything_is_allowed_with_max_delete_percent_100() -> None:
    _, live = managed_objects(3)
    p = plan([], live=live, inventory=list(live), guard=PruneGuard(max_delete_percent=100))
    assert not p.prune_refused
    assert len(p.to_prune) == 3


def test_empty_inventory_and_empty_commit_is_fine() -> None:
    p = plan([])
    assert not p.prune_refused
    assert p.errors == ()


@pytest.mark.parametrize(
    ("removed", "max_deletes", "refused"),
    [(2, 2, False), (3, 2, True), (1, 0, True), (0, 0, False)],
)
def test_max_deletes_boundary(removed: int, max_deletes: int, refused: bool) -> None:
    objs, live = managed_objects(10)
    p = plan(
        objs[removed:], live=live, inventory=list(live), guard=PruneGuard(max_deletes=max_deletes)
    )
    assert p.prune_refused is refused
    assert len(p.to_prune) == (0 if refused else removed)
    if refused:
        assert "maxDeletes=" in p.errors[0].message


@pytest.mark.parametrize(("removed", "refused"), [(2, False), (3, True)])
def test_max_delete_percent_boundary(removed: int, refused: bool) -> None:
    objs, live = managed_objects(10)
    p = plan(
        objs[removed:], live=live, inventory=list(live), guard=PruneGuard(max_delete_percent=20)
    )
    assert p.prune_refused is refused
    if refused:
        assert "maxDeletePercent=20" in p.errors[0].message


def test_percent_counts_only_objects_the_sync_still_manages() -> None:
    objs, live = managed_objects(4)
    vanished = [manifest(f"v{i}").ref for i in range(6)]
    # 1 of 4 managed (25%) although the inventory lists 10 entries
    p = plan(
        objs[1:], live=live, inventory=[*live, *vanished], guard=PruneGuard(max_delete_percent=20)
    )
    assert p.prune_refused


def test_refusal_freezes_detaches_too() -> None:
    detach = manifest("d", annotations={"client.lifecycle.config.k8s.io/deletion": "detach"})
    _, live = managed_objects(2)
    live[detach.ref] = applied(detach)
    p = plan([], live=live, inventory=list(live))
    assert p.prune_refused
    assert p.objects == ()
    assert p.kept == set(live)


def test_prune_guard_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="negative"):
        PruneGuard(max_deletes=-1)
    with pytest.raises(ValueError, match="between 0 and 100"):
        PruneGuard(max_delete_percent=101)


def test_plan_counts_cover_every_action() -> None:
    assert plan([]).counts == dict.fromkeys(Action, 0)


def test_detaching_everything_deletes_nothing_and_is_not_refused() -> None:
    detach = manifest("d", annotations={"client.lifecycle.config.k8s.io/deletion": "detach"})
    p = plan([], live={detach.ref: applied(detach)}, inventory=[detach.ref])
    assert not p.prune_refused
    assert actions(p) == {"d": Action.DETACH}
