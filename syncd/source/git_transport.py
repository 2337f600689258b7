"""Talking to a Git remote: the dulwich client for each transport (dulwich's other user).

`new_client` builds the client a remote needs: local paths, git:// with a
connect and read timeout (dulwich's own TCP client waits forever), and
HTTP(S) over urllib3 with the credentials, the per-request timeout and a TLS
context from `tls.TlsContexts` (the CA from the sync's Secret, else the
system store; shared, so a sync's pooled connection does not hold a context
of its own). `translated` turns what dulwich, urllib3 and the OS raise into
a `SourceFetchError` naming the step (`Step`) and the URL, with a hint for
401, 404 and 407 answers and every secret masked.
"""

from __future__ import annotations

import contextlib
import select
import socket
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Final

import urllib3
from dulwich.client import (
    GitClient,
    HTTPProxyUnauthorized,
    HTTPUnauthorized,
    InvalidWants,
    LocalGitClient,
    TCPGitClient,
    Urllib3HttpGitClient,
    default_urllib3_manager,
)
from dulwich.errors import (
    ApplyDeltaError,
    ChecksumMismatch,
    FileFormatException,
    GitProtocolError,
    NotGitRepository,
    ObjectMissing,
    WrongObjectException,
)
from dulwich.protocol import DEFAULT_GIT_PROTOCOL_VERSION_FETCH, Protocol

from syncd.core.errors import SourceFetchError, SyncdError
from syncd.core.redact import redact_text
from syncd.source.git_options import GitSourceOptions, Remote, Transport
from syncd.source.tls import TlsContexts

# Everything dulwich, urllib3 and the OS raise while talking to a remote or
# reading the object store; translated into SourceFetchError at the boundary.
_TRANSLATED: Final = (
    GitProtocolError,
    NotGitRepository,
    InvalidWants,
    ChecksumMismatch,
    FileFormatException,
    ApplyDeltaError,
    ObjectMissing,
    WrongObjectException,
    urllib3.exceptions.HTTPError,
    OSError,
    EOFError,
    KeyError,
    ValueError,
    AssertionError,
)


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


@contextlib.contextmanager
def translated(step: Step, remote: Remote) -> Iterator[None]:
    """Translate third-party failures inside `step` into SourceFetchError naming `remote.url`."""
    try:
        yield
    except SyncdError:
        raise
    except HTTPUnauthorized:
        raise _error(step, remote, _unauthorized_hint(remote)) from None
    except HTTPProxyUnauthorized:
        raise _error(
            step, remote, "proxy authentication failed (HTTP 407); check the proxy settings"
        ) from None
    except NotGitRepository:
        raise _error(step, remote, _not_found_hint(remote)) from None
    except _TRANSLATED as exc:
        raise _error(step, remote, _describe(exc, remote)) from None


def _unauthorized_hint(remote: Remote) -> str:
    if remote.username is None:
        return (
            "authentication required (HTTP 401); set spec.git.auth and "
            "spec.git.secretRef to a Secret with the credentials"
        )
    return (
        "authentication failed (HTTP 401); check the username and the password or "
        "token in the credentials Secret (spec.git.secretRef)"
    )


def _not_found_hint(remote: Remote) -> str:
    if remote.username is None:
        return "no Git repository at this URL; check spec.git.repo"
    # Forges answer 404, not 403, for a private repository a login may not read.
    return (
        "no Git repository at this URL that these credentials may read (HTTP 404); "
        "check spec.git.repo and that the credentials Secret (spec.git.secretRef) "
        "grants read access to it"
    )


def _describe(exc: BaseException, remote: Remote) -> str:
    if isinstance(exc, KeyError):
        text = f"object {exc.args[0]!r} is missing" if exc.args else "an object is missing"
    else:
        text = str(exc).strip()
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return redact_text(detail, remote.secrets)


def _error(step: Step, remote: Remote, detail: str) -> SourceFetchError:
    return SourceFetchError(f"{step} {remote.url} failed: {detail}")
