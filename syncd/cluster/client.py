"""`KubeClient`: the real `syncd.core.ports.Cluster`, raw JSON over a pooled connection.

No model classes anywhere: request bodies are `json.dumps` of plain dicts and
responses are `json.loads` of the bytes received. One client speaks for one
identity; `impersonating()` derives another identity that shares the
connection pool and the discovery cache. Errors are translated where they
enter (see `errors`): 403 ForbiddenError (SD2013), 404 NotFoundError, 409
ConflictError, 410 ResourceExpiredError, 422 InvalidError, other statuses
ApiError, transport failures ClusterError; credentials never appear in them.

Callers strip `metadata.managedFields` and `metadata.resourceVersion` from
apply bodies (the server rejects the first and treats the second as an
optimistic lock); this client sends bodies exactly as given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import urllib3

from syncd.core.errors import ClusterError, ResourceRef
from syncd.core.ports import (
    DeletePropagation,
    DeleteResult,
    JsonObject,
    ListResult,
    ResourceType,
    WatchEvent,
)
from syncd.core.refs import ObjectRef

from .config import Connection
from .discovery import Discovery
from .errors import error_from_response, transport_error
from .transport import RequestCounter, RetryPolicy, Transport
from .wire import (
    APPLY_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    LIST_PAGE_SIZE,
    MERGE_PATCH_CONTENT_TYPE,
    Query,
    apply_query,
    collect_pages,
    decode_object,
    decode_watch_event,
    delete_options,
    delete_result,
    encode_json,
    iter_lines,
    list_query,
    watch_query,
)

_READ_SIZE = 64 * 1024


class KubeClient:
    """One identity's raw-JSON conversation with one API server.

    Thread-safe: share one instance between worker threads; the pool keeps
    up to `max_connections` keep-alive connections (size it at least as large
    as the number of concurrent callers). `timeout` is the per-request
    connect and read timeout (the sync's `apiServerTimeout`). 429 and 503
    answers naming a delay are retried up to `retry.max_attempts` times in
    all, sleeping through `sleep`.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        max_connections: int = 32,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        list_page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        self._page_size = list_page_size
        self._transport = Transport(
            connection,
            max_connections=max_connections,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            clock=clock,
        )
        self._counter = RequestCounter()
        self._impersonate: tuple[str, tuple[str, ...]] | None = None
        self._discovery = Discovery(self._discovery_get, clock=clock)

    def impersonating(self, user: str, groups: Sequence[str] = ()) -> KubeClient:
        """A client acting as `user` (and `groups`) through Impersonate-* headers.

        It shares this client's connection pool and discovery cache and
        counts its own requests. The caller's identity needs the
        `impersonate` verb on users (and groups).
        """
        derived = object.__new__(KubeClient)
        derived._transport = self._transport
        derived._page_size = self._page_size
        derived._counter = RequestCounter()
        derived._impersonate = (user, tuple(groups))
        derived._discovery = self._discovery
        return derived

    @property
    def request_counts(self) -> Mapping[str, int]:
        """HTTP requests sent by this client per verb, retries included (a snapshot).

        Verbs: discovery, get, list, watch, apply, patch, create, update, delete.
        """
        return self._counter.snapshot()

    # -- discovery -------------------------------------------------------

    def resource_type(self, group: str, kind: str, *, version: str = "") -> ResourceType:
        """The REST mapping of a group and kind; UnknownKindError (SD1021) if not served."""
        return self._discovery.resource_type(group, kind, version=version)

    def refresh_discovery(self) -> None:
        """Forget cached discovery, e.g. after CRDs became Established."""
        self._discovery.invalidate()

    def resource_types(self) -> tuple[ResourceType, ...]:
        """Every served resource type at its preferred version."""
        return self._discovery.index().preferred()

    # -- object verbs ----------------------------------------------------

    def apply(
        self,
        ref: ObjectRef,
        body: Mapping[str, Any],
        *,
        field_manager: str,
        force: bool = True,
        dry_run: bool = False,
    ) -> JsonObject:
        """Server-side apply `body` (PATCH apply-patch+yaml) and return the server's object."""
        return self._call(
            "PATCH",
            self._object_path(ref),
            verb="apply",
            ref=ref,
            query=apply_query(field_manager, force=force, dry_run=dry_run),
            body=encode_json(body),
            content_type=APPLY_CONTENT_TYPE,
        )

    def get(self, ref: ObjectRef) -> JsonObject | None:
        """The live object, or None on 404."""
        return self._call_optional("GET", self._object_path(ref), verb="get", ref=ref)

    def list(
        self, rtype: ResourceType, *, namespace: str = "", label_selector: str = ""
    ) -> ListResult:
        """All pages of one LIST (`list_page_size` per page), in `namespace` or everywhere."""
        path = rtype.collection_path(namespace)

        def fetch(token: str, limit: int) -> JsonObject:
            query = list_query(label_selector=label_selector, limit=limit, continue_token=token)
            return self._call("GET", path, verb="list", query=query)

        return collect_pages(fetch, kind=rtype.kind, limit=self._page_size)

    def delete(
        self,
        ref: ObjectRef,
        *,
        propagation: DeletePropagation = DeletePropagation.BACKGROUND,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> DeleteResult:
        """Delete an object: DELETED, PENDING (terminating) or ABSENT (404).

        A precondition mismatch raises ConflictError.
        """
        answer = self._call_optional(
            "DELETE",
            self._object_path(ref),
            verb="delete",
            ref=ref,
            body=encode_json(delete_options(propagation, uid, resource_version)),
            content_type=JSON_CONTENT_TYPE,
        )
        return delete_result(answer)

    def merge_patch(
        self, ref: ObjectRef, patch: Mapping[str, Any], *, field_manager: str
    ) -> JsonObject:
        """An RFC 7386 JSON merge patch recorded under `field_manager`."""
        return self._call(
            "PATCH",
            self._object_path(ref),
            verb="patch",
            ref=ref,
            query=[("fieldManager", field_manager)],
            body=encode_json(patch),
            content_type=MERGE_PATCH_CONTENT_TYPE,
        )

    def replace_status(self, ref: ObjectRef, obj: Mapping[str, Any]) -> JsonObject:
        """PUT the status subresource; a stale resourceVersion raises ConflictError."""
        return self._call(
            "PUT",
            self._object_path(ref) + "/status",
            verb="update",
            ref=ref,
            body=encode_json(obj),
            content_type=JSON_CONTENT_TYPE,
        )

    def create(self, ref: ObjectRef, body: Mapping[str, Any]) -> JsonObject:
        """POST a new object into the collection of `ref` (its name may be generated)."""
        rtype = self.resource_type(ref.group, ref.kind, version=ref.version)
        return self._call(
            "POST",
            rtype.collection_path(ref.namespace),
            verb="create",
            ref=ref,
            body=encode_json(body),
            content_type=JSON_CONTENT_TYPE,
        )

    def watch(
        self,
        rtype: ResourceType,
        *,
        namespace: str = "",
        resource_version: str = "",
        label_selector: str = "",
        timeout_seconds: int = 300,
    ) -> Iterator[WatchEvent]:
        """Stream events (bookmarks included) until the server closes the watch.

        The request is sent on the first `next()`. An ERROR event raises: a
        too-old `resource_version` (code 410, sent by the server as an event
        on a 200 response) raises ResourceExpiredError, after which the
        caller re-lists and watches from the list's resourceVersion.
        Closing the generator closes the connection.
        """
        path = rtype.collection_path(namespace)
        response = self._transport.send(
            "GET",
            path,
            verb="watch",
            counter=self._counter,
            query=watch_query(
                resource_version=resource_version,
                label_selector=label_selector,
                timeout_seconds=timeout_seconds,
            ),
            impersonate=self._impersonate,
            stream=True,
            read_timeout=timeout_seconds + self._transport.timeout,
        )
        if not 200 <= response.status < 300:
            raise error_from_response(response.status, response.data, method="GET", path=path)
        finished = False
        try:
            for line in iter_lines(self._chunks(response, path)):
                yield decode_watch_event(line)
            finished = True
        finally:
            if not finished:
                response.close()
            response.release_conn()

    # -- plumbing --------------------------------------------------------

    def _object_path(self, ref: ObjectRef) -> str:
        rtype = self.resource_type(ref.group, ref.kind, version=ref.version)
        if rtype.namespaced and not ref.namespace:
            raise ClusterError(f"{ref}: {ref.group_kind} is namespaced but no namespace was given")
        return rtype.object_path(ref.name, ref.namespace)

    def _call(
        self,
        method: str,
        path: str,
        *,
        verb: str,
        ref: ObjectRef | None = None,
        query: Query | None = None,
        body: bytes | None = None,
        content_type: str = "",
    ) -> JsonObject:
        response = self._send(method, path, verb, query=query, body=body, content_type=content_type)
        return self._decode(response, method, path, ref)

    def _call_optional(
        self,
        method: str,
        path: str,
        *,
        verb: str,
        ref: ObjectRef,
        body: bytes | None = None,
        content_type: str = "",
    ) -> JsonObject | None:
        response = self._send(method, path, verb, query=None, body=body, content_type=content_type)
        if response.status == 404:
            return None
        return self._decode(response, method, path, ref)

    def _send(
        self,
        method: str,
        path: str,
        verb: str,
        *,
        query: Query | None,
        body: bytes | None,
        content_type: str,
    ) -> urllib3.BaseHTTPResponse:
        return self._transport.send(
            method,
            path,
            verb=verb,
            counter=self._counter,
            query=query,
            body=body,
            headers={"Content-Type": content_type} if content_type else None,
            impersonate=self._impersonate,
        )

    @staticmethod
    def _decode(
        response: urllib3.BaseHTTPResponse, method: str, path: str, ref: ObjectRef | None
    ) -> JsonObject:
        if not 200 <= response.status < 300:
            resources = (ResourceRef(ref=ref),) if ref is not None else ()
            raise error_from_response(
                response.status, response.data, method=method, path=path, resources=resources
            )
        return decode_object(response.data, what=f"{method} {path}")

    def _discovery_get(self, path: str, accept: str) -> JsonObject:
        response = self._transport.send(
            "GET", path, verb="discovery", counter=self._counter, headers={"Accept": accept}
        )
        if response.status != 200:
            raise error_from_response(response.status, response.data, method="GET", path=path)
        return decode_object(response.data, what=f"GET {path}")

    def _chunks(self, response: urllib3.BaseHTTPResponse, path: str) -> Iterator[bytes]:
        # The API server streams watches with chunked encoding and flushes
        # each event; urllib3 yields every chunk as soon as it arrives.
        chunks = response.stream(_READ_SIZE)
        while True:
            try:
                chunk = next(chunks, b"")
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise transport_error(
                    exc, method="GET", path=path, secrets=self._transport.secrets()
                ) from None
            if not chunk:
                return
            yield chunk
