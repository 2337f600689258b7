"""The author of a drift is the newest field manager other than syncd."""

from __future__ import annotations

from syncd.core.drift import last_writer


def _live(*entries: dict[str, str]) -> dict[str, object]:
    return {"metadata": {"managedFields": list(entries)}}


def test_the_newest_other_manager_is_named_with_operation_and_time() -> None:
    live = _live(
        {"manager": "syncd", "operation": "Apply", "time": "2026-11-22T01:00:09Z"},
        {"manager": "kubectl-edit", "operation": "Update", "time": "2026-11-22T01:00:05Z"},
        {"manager": "intruder", "operation": "Apply", "time": "2026-11-22T01:00:07Z"},
    )
    assert last_writer(live) == "intruder (Apply) at 2026-11-22T01:00:07Z"


def test_a_status_subresource_writer_says_so() -> None:
    live = _live(
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "subresource": "status",
            "time": "2026-11-22T01:00:00Z",
        }
    )
    assert last_writer(live) == (
        "kube-controller-manager (Update, subresource status) at 2026-11-22T01:00:00Z"
    )


def test_only_syncd_or_nothing_names_no_one() -> None:
    assert last_writer(_live({"manager": "syncd", "operation": "Apply"})) is None
    assert last_writer({"metadata": {}}) is None
