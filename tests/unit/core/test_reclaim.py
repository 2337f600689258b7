"""Taking back a lost field's place: other managers' fields in the same list element only."""

from __future__ import annotations

from typing import Any

from syncd.core.reclaim import element_of, merge, reclaim_patch, reclaimable, subtract

VOLUME = 'k:{"name":"scratch"}'
CONTAINER = 'k:{"name":"web"}'
SPEC = ("f:spec", "f:template", "f:spec")


def nest(*keys: str, leaf: dict[str, Any] | None = None) -> dict[str, Any]:
    trie: dict[str, Any] = leaf if leaf is not None else {}
    for key in reversed(keys):
        trie = {key: trie}
    return trie


def swapped_volume() -> dict[str, Any]:
    """A Deployment whose emptyDir another manager swapped for a hostPath (as stored)."""
    mine = merge(
        nest(*SPEC, "f:volumes", VOLUME, leaf={".": {}, "f:name": {}}),
        nest(*SPEC, "f:containers", CONTAINER, leaf={".": {}, "f:image": {}, "f:name": {}}),
    )
    theirs = nest(*SPEC, "f:volumes", VOLUME, leaf={"f:hostPath": {".": {}, "f:path": {}}})
    env = nest(*SPEC, "f:containers", CONTAINER, leaf={"f:env": {'k:{"name":"EXTRA"}': {}}})
    return {
        "metadata": {
            "resourceVersion": "7",
            "managedFields": [
                {"manager": "syncd", "operation": "Apply", "fieldsV1": mine},
                {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": theirs},
                {"manager": "kubectl-set", "operation": "Update", "fieldsV1": env},
            ],
        }
    }


def test_the_element_of_a_path_is_its_innermost_list_element() -> None:
    lost = (*SPEC, "f:volumes", VOLUME, "f:emptyDir")
    assert element_of(lost) == (*SPEC, "f:volumes", VOLUME)
    assert element_of(("f:metadata", "f:labels", "f:empty")) is None


def test_only_fields_in_the_lost_fields_element_are_reclaimable() -> None:
    obj = swapped_volume()
    trie = reclaimable(obj, [(*SPEC, "f:volumes", VOLUME, "f:emptyDir")])
    assert trie == nest(*SPEC, "f:volumes", VOLUME, leaf={"f:hostPath": {".": {}, "f:path": {}}})
    assert reclaimable(obj, [("f:metadata", "f:labels", "f:empty")]) == {}


def test_the_reclaim_patch_moves_them_into_syncds_entry_and_drops_emptied_entries() -> None:
    obj = swapped_volume()
    trie = reclaimable(obj, [(*SPEC, "f:volumes", VOLUME, "f:emptyDir")])
    patch = reclaim_patch(obj, trie)
    assert patch is not None
    assert patch["metadata"]["resourceVersion"] == "7"
    entries = {e["manager"]: e["fieldsV1"] for e in patch["metadata"]["managedFields"]}
    assert set(entries) == {"syncd", "kubectl-set"}  # kubectl-edit owned nothing else
    volume = entries["syncd"]["f:spec"]["f:template"]["f:spec"]["f:volumes"][VOLUME]
    assert volume["f:hostPath"] == {".": {}, "f:path": {}}
    assert entries["kubectl-set"] == swapped_volume()["metadata"]["managedFields"][2]["fieldsV1"]
    assert reclaim_patch(obj, {}) is None


def test_subtract_removes_owned_paths_and_a_leaf_removes_its_whole_node() -> None:
    a = {"f:a": {".": {}, "f:b": {}}, "f:c": {}}
    assert subtract(a, {"f:a": {".": {}, "f:b": {}}}) == {"f:c": {}}
    assert subtract(a, {"f:a": {}}) == {"f:c": {}}
    assert subtract(a, {"f:a": {"f:b": {}}}) == {"f:a": {".": {}}, "f:c": {}}
