"""Talking to a Git remote: the dulwich client for each transport (dulwich's other user).

`new_client` builds the client a remote needs: local paths, git:// with a
connect and read timeout (dulwich's own TCP client waits forever), and
HTTP(S) over urllib3 with the credentials, the per-request timeout and a TLS
context from `tls.TlsContexts` (the CA from the sync's Secret, else the
system store; shared, so a sync's pooled connection does not hold a context
of its own). `Step` names the step of an operation in errors.
"""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import Callable
from enum import StrEnum

import urllib3
from dulwich.client import (
    GitClient,
    LocalGitClient,
    TCPGitClient,
    Urllib3HttpGitClient,
    default_urllib3_manager,
)
from dulwich.errors import GitProtocolError
from dulwich.protocol import DEFAULT_GIT_PROTOCOL_VERSION_FETCH, Protocol

from syncd.core.errors import SourceFetchError
from syncd.source.git_options import GitSourceOptions, Remote, Transport
from syncd.source.tls import TlsContexts


class Step(StrEnum):
    """The step of a Git operation, as named in error messages."""

    LS_REMOTE = "ls-remote"
    FETCH = "fetch"
    CHECKOUT = "checkout"


class TimeoutTCPGitClient(TCPGitClient):
    """git:// with a connect and read timeout (dulwich's TCP client waits forever)."""

    def __init__(self, host: str, port: int | None, *, timeout: float) -> None:
        super().__init__(host, port)
        self._timeout = timeout

    def _connect(
        self, cmd: bytes, path: str | bytes, protocol_version: int | None = None
    ) -> tuple[Protocol, Callable[[], bool], None]:
        if cmd != b"upload-pack":
            raise GitProtocolError("syncd only fetches over git://")
        sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader, writer = sock.makefile("rb", -1), sock.makefile("wb", 0)

        def close() -> None:
            reader.close()
            writer.close()
            sock.close()

        def shutdown_write() -> None:
            writer.flush()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

        def can_read() -> bool:
            return bool(select.select([sock], [], [], 0)[0])

        proto = Protocol(reader.read, writer.write, close, shutdown_write=shutdown_write)
        self.protocol_version = protocol_version or DEFAULT_GIT_PROTOCOL_VERSION_FETCH
        # The version request hides behind two NULs so old servers ignore it.
        version = b"\0\0version=2\0" if self.protocol_version == 2 else b""
        raw_path = path if isinstance(path, bytes) else path.encode()
        proto.send_cmd(b"git-" + cmd, raw_path, b"host=" + self._host.encode("ascii") + version)
        return proto, can_read, None


def new_client(remote: Remote, options: GitSourceOptions, *, tls: TlsContexts) -> GitClient:
    """The dulwich client for `remote` (no I/O yet); HTTPS connections use `tls`'s context."""
    if remote.transport is Transport.LOCAL:
        return LocalGitClient()
    if remote.transport is Transport.GIT:
        return TimeoutTCPGitClient(remote.host, remote.port, timeout=options.timeout)
    manager = default_urllib3_manager(
        None,
        base_url=remote.url,
        timeout=options.timeout,
        cert_reqs="CERT_NONE" if options.no_ssl_verify else "CERT_REQUIRED",
    )
    if remote.url.lower().startswith("https://") and isinstance(manager, urllib3.PoolManager):
        ca_pem = options.credentials.ca_cert_pem if options.credentials else b""
        try:
            context = tls.context(verify=not options.no_ssl_verify, ca_pem=ca_pem)
        except SourceFetchError as exc:
            raise SourceFetchError(f"{Step.LS_REMOTE} {remote.url} failed: {exc}") from None
        manager.connection_pool_kw["ssl_context"] = context
    return Urllib3HttpGitClient(
        remote.url,
        pool_manager=manager,
        username=remote.username,
        password=remote.password,
        timeout=options.timeout,
    )
