"""Pooled HTTPS to one API server: authentication, bounded retries, request counting.

One `Transport` per server and credential; `KubeClient`s that impersonate
other identities share it (and its connection pool). 429 and 503 answers
that name a delay are retried for every verb, PATCH and POST included,
because the API server rejected them before doing any work; urllib3's own
status retries are disabled so there is exactly one retry policy.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.util import Retry, Timeout

import syncd
from syncd.logging import get_logger

from .config import Connection
from .errors import retry_after_seconds, transport_error
from .wire import Query

_RETRYABLE: Final = frozenset({429, 503})
_TOKEN_FILE_REFRESH_SECONDS: Final = 60.0

Sleep = Callable[[float], None]

_log = get_logger("cluster.transport")


class Answer(Protocol):
    """What the retry loop needs of an HTTP response."""

    @property
    def status(self) -> int:
        """The HTTP status."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers."""
        ...

    @property
    def data(self) -> bytes:
        """The (already read) body."""
        ...


A = TypeVar("A", bound=Answer)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How 429/503 answers are retried: attempts in all, delays capped at `max_delay`.

    429 is always retried (APF rejected the request before any work); 503
    only when it names a delay (Retry-After or `details.retryAfterSeconds`).
    Without a named delay the wait doubles from `base_delay`.
    """

    max_attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 4.0

    def retry_delay(
        self, attempt: int, status: int, headers: Mapping[str, str], body: bytes
    ) -> float | None:
        """Seconds to wait after attempt number `attempt` answered `status`; None: stop."""
        if status not in _RETRYABLE or attempt >= self.max_attempts:
            return None
        retry_after = retry_after_seconds(headers, body)
        if status == 503 and retry_after is None:
            return None
        wanted = retry_after if retry_after is not None else self.base_delay * 2 ** (attempt - 1)
        return min(max(wanted, 0.0), self.max_delay)


def with_retries(
    send_once: Callable[[], A],
    *,
    policy: RetryPolicy,
    sleep: Sleep,
    what: str = "",
) -> A:
    """Call `send_once` until its answer is not retryable or attempts run out; the last answer."""
    attempt = 0
    while True:
        attempt += 1
        answer = send_once()
        if answer.status not in _RETRYABLE:
            return answer  # never touch `data` here: a streaming 2xx body stays unread
        delay = policy.retry_delay(attempt, answer.status, answer.headers, answer.data)
        if delay is None:
            return answer
        _log.info(
            "cluster.request_retried",
            request=what,
            status=answer.status,
            attempt=attempt,
            delay_seconds=round(delay, 3),
        )
        sleep(delay)


class RequestCounter:
    """Thread-safe counts of HTTP requests sent, per verb (retries included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, verb: str) -> None:
        """Count one request."""
        with self._lock:
            self._counts[verb] += 1

    def snapshot(self) -> Mapping[str, int]:
        """A read-only copy of the counts."""
        with self._lock:
            return MappingProxyType(dict(self._counts))


class Transport:
    """HTTP requests to one API server with one credential, over a shared pool."""

    def __init__(
        self,
        connection: Connection,
        *,
        max_connections: int = 32,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connection = connection
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._token_lock = threading.Lock()
        self._token = connection.bearer_token
        self._token_read_at: float | None = None
        self._user_agent = f"syncd/{syncd.__version__}"
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=max_connections,
            block=False,
            retries=Retry(
                total=2,
                connect=2,
                read=1,
                redirect=0,
                status=0,
                other=0,
                allowed_methods=frozenset({"GET", "HEAD"}),
                respect_retry_after_header=False,
                raise_on_status=False,
                raise_on_redirect=False,
            ),
            **_tls_options(connection),
        )
        # One server: take its pool once instead of resolving the URL on every request.
        self._host_pool = self._pool.connection_from_url(connection.server)
        self._base_path = urlsplit(connection.server).path.rstrip("/")

    @property
    def timeout(self) -> float:
        """Per-request connect and read timeout in seconds."""
        return self._timeout

    def send(
        self,
        method: str,
        path: str,
        *,
        verb: str,
        counter: RequestCounter,
        query: Query | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        impersonate: tuple[str, tuple[str, ...]] | None = None,
        stream: bool = False,
        read_timeout: float | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request (retrying 429/503 with a delay) and return the response.

        With `stream`, a 2xx body is left unread for the caller, who must
        release or close the response; error bodies are always read.
        Transport failures raise ClusterError naming method and path.
        """
        url = self._base_path + path + (f"?{urlencode(query)}" if query else "")
        all_headers = self._headers(headers or {}, impersonate)
        timeout = Timeout(connect=self._timeout, read=read_timeout or self._timeout)

        def send_once() -> urllib3.BaseHTTPResponse:
            counter.add(verb)
            try:
                response = self._host_pool.urlopen(
                    method,
                    url,
                    body=body,
                    headers=all_headers,
                    timeout=timeout,
                    preload_content=not stream,
                    redirect=False,
                )
                if stream and not 200 <= response.status < 300:
                    response.read(cache_content=True)
                    response.release_conn()
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise transport_error(
                    exc, method=method, path=path, secrets=self.secrets()
                ) from None
            return response

        return with_retries(
            send_once, policy=self._retry, sleep=self._sleep, what=f"{method} {path}"
        )

    def secrets(self) -> tuple[str, ...]:
        """Credentials to scrub from any text that leaves this module."""
        return tuple(s for s in (*self._connection.secrets(), self._token) if s)

    def _headers(
        self, extra: Mapping[str, str], impersonate: tuple[str, tuple[str, ...]] | None
    ) -> Mapping[str, str]:
        headers: dict[str, str] = {"User-Agent": self._user_agent, "Accept": "application/json"}
        token = self._bearer_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(extra)
        if impersonate is None:
            return headers
        user, groups = impersonate
        headers["Impersonate-User"] = user
        if not groups:
            return headers
        multi = urllib3.HTTPHeaderDict(headers)  # one header line per group
        for group in groups:
            multi.add("Impersonate-Group", group)
        return multi

    def _bearer_token(self) -> str:
        token_file = self._connection.token_file
        if token_file is None:
            return self._token
        with self._token_lock:
            now = self._clock()
            stale = (
                self._token_read_at is None
                or now - self._token_read_at >= _TOKEN_FILE_REFRESH_SECONDS
            )
            if stale:
                self._token = _read_token(token_file, fallback=self._token)
                self._token_read_at = now
            return self._token


def _read_token(path: Path, *, fallback: str) -> str:
    try:
        return path.read_text().strip() or fallback
    except OSError:
        return fallback


def _tls_options(connection: Connection) -> dict[str, Any]:
    if not connection.server.startswith("https://"):
        return {}
    options: dict[str, Any] = {}
    if connection.insecure:
        options["cert_reqs"] = "CERT_NONE"
        options["assert_hostname"] = False
    else:
        options["cert_reqs"] = "CERT_REQUIRED"
        if connection.ca_file is not None:
            options["ca_certs"] = str(connection.ca_file)
        if connection.ca_data:
            options["ca_cert_data"] = connection.ca_data
    if connection.client_cert_file is not None:
        options["cert_file"] = str(connection.client_cert_file)
    if connection.client_key_file is not None:
        options["key_file"] = str(connection.client_key_file)
    if connection.tls_server_name:
        options["server_hostname"] = connection.tls_server_name
    return options
