"""Pure pieces of the wire protocol: query strings, bodies, pagination, watch framing.

Nothing here performs I/O; `client.KubeClient` feeds these functions the
bytes and pages it receives, so they are unit-tested without a server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

from syncd.core.errors import ClusterError, ResourceExpiredError
from syncd.core.ports import (
    DeletePropagation,
    DeleteResult,
    JsonObject,
    ListResult,
    WatchEvent,
    WatchEventType,
)
from syncd.logging import get_logger

from .errors import error_from_status

Query = list[tuple[str, str]]

LIST_PAGE_SIZE: Final = 5000  # one LIST request per type for all but the largest syncs
APPLY_CONTENT_TYPE: Final = "application/apply-patch+yaml"
MERGE_PATCH_CONTENT_TYPE: Final = "application/merge-patch+json"
JSON_CONTENT_TYPE: Final = "application/json"

_log = get_logger("cluster.wire")


def encode_json(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, the body of every write (JSON is YAML for apply patches)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def decode_object(data: bytes, *, what: str) -> JsonObject:
    """A JSON object from a 2xx response body; ClusterError when it is not one."""
    try:
        decoded = json.loads(data)
    except ValueError:
        raise ClusterError(f"{what}: the API server answered with a non-JSON body") from None
    if not isinstance(decoded, dict):
        raise ClusterError(f"{what}: the API server answered with JSON that is not an object")
    return decoded


def apply_query(field_manager: str, *, force: bool, dry_run: bool) -> Query:
    """Query of a server-side apply PATCH."""
    query = [("fieldManager", field_manager)]
    if force:
        query.append(("force", "true"))
    if dry_run:
        query.append(("dryRun", "All"))
    return query


def list_query(*, label_selector: str = "", limit: int = 0, continue_token: str = "") -> Query:
    """Query of one LIST page (`limit` 0: no pagination)."""
    query: Query = []
    if label_selector:
        query.append(("labelSelector", label_selector))
    if limit > 0:
        query.append(("limit", str(limit)))
    if continue_token:
        query.append(("continue", continue_token))
    return query


def watch_query(
    *, resource_version: str = "", label_selector: str = "", timeout_seconds: int = 300
) -> Query:
    """Query of a WATCH with bookmarks; the server closes it after `timeout_seconds`."""
    query = [("watch", "1"), ("allowWatchBookmarks", "true")]
    if resource_version:
        query.append(("resourceVersion", resource_version))
    if label_selector:
        query.append(("labelSelector", label_selector))
    query.append(("timeoutSeconds", str(timeout_seconds)))
    return query


def delete_options(
    propagation: DeletePropagation, uid: str | None, resource_version: str | None = None
) -> JsonObject:
    """The DeleteOptions body, with UID and resourceVersion preconditions when given."""
    options: JsonObject = {
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "propagationPolicy": propagation.value,
    }
    preconditions = {
        key: value for key, value in (("uid", uid), ("resourceVersion", resource_version)) if value
    }
    if preconditions:
        options["preconditions"] = preconditions
    return options


def delete_result(answer: Mapping[str, Any] | None) -> DeleteResult:
    """What a DELETE answer says: absent (404), terminating, or gone.

    The API server answers 200 for both immediate and pending deletions; an
    object still held by finalizers or a grace period comes back with its
    `deletionTimestamp` set.
    """
    if answer is None:
        return DeleteResult.ABSENT
    metadata = answer.get("metadata")
    terminating = isinstance(metadata, Mapping) and bool(metadata.get("deletionTimestamp"))
    if answer.get("kind") != "Status" and terminating:
        return DeleteResult.PENDING
    return DeleteResult.DELETED


PageFetcher = Callable[[str, int], Mapping[str, Any]]


def collect_pages(fetch: PageFetcher, *, kind: str, limit: int = LIST_PAGE_SIZE) -> ListResult:
    """Follow `metadata.continue` until the last page; one ListResult for all items.

    `fetch(continue_token, limit)` returns one decoded list. Items of a LIST
    carry no apiVersion/kind; they are filled in, in place, from the list's
    apiVersion and `kind`. When a continue token expired (410) the list is
    restarted once without pagination, as client-go's pager does.
    """
    items: list[JsonObject] = []
    token = ""
    page_limit = limit
    while True:
        try:
            page = fetch(token, page_limit)
        except ResourceExpiredError:
            if not token:
                raise
            _log.info("cluster.list_continue_expired", kind=kind, pages_read=len(items))
            items, token, page_limit = [], "", 0
            continue
        api_version = str(page.get("apiVersion") or "")
        page_items = page.get("items") or []
        for item in page_items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        items.extend(page_items)
        metadata = page.get("metadata") or {}
        token = str(metadata.get("continue") or "")
        if not token or page_limit == 0:
            return ListResult(
                items=tuple(items), resource_version=str(metadata.get("resourceVersion") or "")
            )


def iter_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Newline-delimited frames from arbitrarily split chunks; blank lines are dropped."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def decode_watch_event(line: bytes) -> WatchEvent:
    """One watch frame as a WatchEvent.

    An ERROR frame is raised instead of returned: code 410 (too old
    resourceVersion) as ResourceExpiredError, others as their ApiError.
    """
    try:
        frame = json.loads(line)
        event_type = WatchEventType(frame["type"])
        obj = frame["object"]
    except (ValueError, KeyError, TypeError):
        raise ClusterError(f"watch: undecodable event frame ({len(line)} bytes)") from None
    if not isinstance(obj, dict):
        raise ClusterError("watch: event object is not a JSON object")
    if event_type is WatchEventType.ERROR:
        raise error_from_status(obj)
    return WatchEvent(type=event_type, object=obj)
