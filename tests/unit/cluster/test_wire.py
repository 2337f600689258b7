"""Query strings, bodies, pagination and watch framing, without a server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from syncd.cluster.wire import (
    apply_query,
    collect_pages,
    decode_object,
    decode_watch_event,
    delete_options,
    encode_json,
    iter_lines,
    list_query,
    watch_query,
)
from syncd.core.errors import (
    ApiError,
    ClusterError,
    ForbiddenError,
    ResourceExpiredError,
)
from syncd.core.ports import DeletePropagation, WatchEventType


def test_apply_query_forces_and_dry_runs_only_when_asked() -> None:
    assert apply_query("syncd", force=True, dry_run=False) == [
        ("fieldManager", "syncd"),
        ("force", "true"),
    ]
    assert apply_query("syncd", force=False, dry_run=True) == [
        ("fieldManager", "syncd"),
        ("dryRun", "All"),
    ]


def test_list_query_carries_selector_limit_and_continue() -> None:
    assert list_query() == []
    assert list_query(label_selector="a=b,!c", limit=500, continue_token="tok") == [
        ("labelSelector", "a=b,!c"),
        ("limit", "500"),
        ("continue", "tok"),
    ]


def test_watch_query_asks_for_bookmarks_and_a_server_side_timeout() -> None:
    assert watch_query(resource_version="42", label_selector="app=x", timeout_seconds=60) == [
        ("watch", "1"),
        ("allowWatchBookmarks", "true"),
        ("resourceVersion", "42"),
        ("labelSelector", "app=x"),
        ("timeoutSeconds", "60"),
    ]
    assert ("resourceVersion", "") not in watch_query()


def test_delete_options_carry_propagation_and_the_uid_precondition() -> None:
    assert delete_options(DeletePropagation.FOREGROUND, "u-1") == {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": "Foreground",
        "preconditions": {"uid": "u-1"},
    }
    assert "preconditions" not in delete_options(DeletePropagation.BACKGROUND, None)


def test_bodies_are_compact_utf8_json() -> None:
    assert encode_json({"a": "é", "b": [1]}) == '{"a":"é","b":[1]}'.encode()


def test_decode_object_rejects_non_objects() -> None:
    assert decode_object(b'{"a": 1}', what="GET /x") == {"a": 1}
    with pytest.raises(ClusterError, match="GET /x"):
        decode_object(b"<html>", what="GET /x")
    with pytest.raises(ClusterError, match="not an object"):
        decode_object(b"[1]", what="GET /x")


def _page(names: list[str], token: str = "", rv: str = "100") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMapList",
        "metadata": {"resourceVersion": rv, "continue": token},
        "items": [{"metadata": {"name": n}} for n in names],
    }


def test_pages_are_followed_until_no_continue_token() -> None:
    pages = {"": _page(["a", "b"], "t1"), "t1": _page(["c"], "t2"), "t2": _page(["d"], rv="107")}
    calls: list[tuple[str, int]] = []

    def fetch(token: str, limit: int) -> Mapping[str, Any]:
        calls.append((token, limit))
        return pages[token]

    result = collect_pages(fetch, kind="ConfigMap", limit=2)
    assert calls == [("", 2), ("t1", 2), ("t2", 2)]
    assert [i["metadata"]["name"] for i in result.items] == ["a", "b", "c", "d"]
    assert result.resource_version == "107"


def test_list_items_get_api_version_and_kind_in_place() -> None:
    page = _page(["a"])
    item = page["items"][0]
    result = collect_pages(lambda token, limit: page, kind="ConfigMap")
    assert result.items[0] is item
    assert (item["apiVersion"], item["kind"]) == ("v1", "ConfigMap")


def test_an_expired_continue_token_restarts_with_one_unpaginated_list() -> None:
    calls: list[tuple[str, int]] = []

    def fetch(token: str, limit: int) -> Mapping[str, Any]:
        calls.append((token, limit))
        if token == "stale":
            raise ResourceExpiredError("continue expired", status=410, reason="Expired")
        if limit == 0:
            return _page(["a", "b", "c"], rv="200")
        return _page(["a"], "stale")

    result = collect_pages(fetch, kind="ConfigMap", limit=1)
    assert calls == [("", 1), ("stale", 1), ("", 0)]
    assert [i["metadata"]["name"] for i in result.items] == ["a", "b", "c"]
    assert result.resource_version == "200"


def test_an_expired_first_page_propagates() -> None:
    def fetch(token: str, limit: int) -> Mapping[str, Any]:
        raise ResourceExpiredError("expired", status=410)

    with pytest.raises(ResourceExpiredError):
        collect_pages(fetch, kind="ConfigMap")


def test_lines_are_reassembled_across_arbitrary_chunk_boundaries() -> None:
    chunks = [b'{"a":', b"1}\n\n", b'{"b":2}\n{"c"', b":3}"]
    assert list(iter_lines(chunks)) == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def _frame(event_type: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": event_type, "object": obj}).encode()


def test_watch_frames_decode_to_events() -> None:
    obj = {"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "5"}}
    event = decode_watch_event(_frame("MODIFIED", obj))
    assert event.type is WatchEventType.MODIFIED
    assert event.object == obj
    bookmark = decode_watch_event(_frame("BOOKMARK", {"metadata": {"resourceVersion": "9"}}))
    assert bookmark.type is WatchEventType.BOOKMARK


def test_a_410_error_event_raises_resource_expired() -> None:
    status = {
        "kind": "Status",
        "status": "Failure",
        "message": "too old resource version: 1 (202)",
        "reason": "Expired",
        "code": 410,
    }
    with pytest.raises(ResourceExpiredError, match="too old resource version") as info:
        decode_watch_event(_frame("ERROR", status))
    assert info.value.status == 410


def test_other_error_events_raise_their_api_error() -> None:
    with pytest.raises(ForbiddenError):
        decode_watch_event(_frame("ERROR", {"kind": "Status", "code": 403, "message": "no"}))
    with pytest.raises(ApiError) as info:
        decode_watch_event(_frame("ERROR", {"kind": "Status", "code": 500, "message": "boom"}))
    assert info.value.status == 500


@pytest.mark.parametrize(
    "line", [b"not json", b'{"type": "WHAT", "object": {}}', b'{"type": "ADDED"}']
)
def test_undecodable_frames_are_cluster_errors(line: bytes) -> None:
    with pytest.raises(ClusterError, match="watch"):
        decode_watch_event(line)
