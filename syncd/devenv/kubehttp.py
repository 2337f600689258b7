"""A minimal HTTPS client for the local API server (standard library only).

The launcher and the e2e tests use it to talk to the API server directly, so
tests can assert on exact status codes and response bodies.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """A finished HTTP exchange."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode(errors="replace")


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeHttp:
    """Requests to one API server as one identity (bearer token)."""

    server: str
    ca_file: Path
    token: str
    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    timeout: float = 30.0
    _ssl: ssl.SSLContext = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Build the TLS context that trusts the local CA."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        object.__setattr__(self, "_ssl", context)

    def as_user(self, token: str) -> KubeHttp:
        """The same server, another bearer token."""
        return KubeHttp(server=self.server, ca_file=self.ca_file, token=token)

    def impersonating(self, user: str, *groups: str) -> KubeHttp:
        """The same identity, sending Impersonate-User/Group headers."""
        return KubeHttp(
            server=self.server,
            ca_file=self.ca_file,
            token=self.token,
            impersonate_user=user,
            impersonate_groups=groups,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request; `body` is JSON-encoded unless it is bytes."""
        parts = urlsplit(self.server)
        conn = http.client.HTTPSConnection(
            parts.hostname or "127.0.0.1", parts.port, context=self._ssl, timeout=self.timeout
        )
        all_headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if self.impersonate_user is not None:
            all_headers["Impersonate-User"] = self.impersonate_user
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            all_headers["Content-Type"] = content_type
            all_headers["Content-Length"] = str(len(data))
        all_headers.update(headers or {})
        try:
            conn.putrequest(method, path)
            for name, value in all_headers.items():
                conn.putheader(name, value)
            for group in self.impersonate_groups:
                conn.putheader("Impersonate-Group", group)
            conn.endheaders(data)
            resp = conn.getresponse()
            return Response(
                status=resp.status,
                body=resp.read(),
                headers={k.lower(): v for k, v in resp.getheaders()},
            )
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        """GET `path`."""
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Response:
        """POST a JSON body."""
        return self.request("POST", path, body=body)

    def delete(self, path: str, body: Any = None) -> Response:
        """DELETE, optionally with DeleteOptions."""
        return self.request("DELETE", path, body=body)

    def apply(
        self, path: str, body: Any, *, manager: str, force: bool = False, dry_run: bool = False
    ) -> Response:
        """Server-side apply `body` at `path` as field manager `manager`."""
        query = f"fieldManager={manager}"
        if force:
            query += "&force=true"
        if dry_run:
            query += "&dryRun=All"
        return self.request(
            "PATCH", f"{path}?{query}", body=body, content_type="application/apply-patch+yaml"
        )
