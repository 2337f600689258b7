"""Real Git servers on 127.0.0.1: smart HTTP with auth and per-repository access.

Owns `GitHttpServer`: a small threaded WSGI bridge in front of the real
`git http-backend` CGI (`gitcgi`) that checks HTTP Basic credentials and
per-repository access lists (`gitaccess`) first, and records every request
it answers. `GitDaemon` (git://) lives in `gitdaemon` and is re-exported
here; repositories are written with `gitrepo`.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Self
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from syncd.devenv.gitaccess import Caller, GitHttpAccess, repository_of
from syncd.devenv.gitcgi import StartResponse, WsgiEnviron, find_backend, run_backend
from syncd.devenv.gitdaemon import GitDaemon
from syncd.devenv.gitrepo import repo_dir_name
from syncd.devenv.proc import ServerContext, ServerError, port_open, wait_until

__all__ = ["REALM", "GitDaemon", "GitHttpServer", "RequestRecord"]

log = logging.getLogger(__name__)

REALM = "syncd-test"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecord:
    """One request the HTTP bridge answered (never holds credentials).

    `user` is the caller the credentials proved (a token's identity, or the
    user name sent with an unscoped token), None when none were checked or
    they were wrong.
    """

    method: str
    path: str
    query: str
    status: int
    user: str | None
    content_encoding: str | None
    chunked: bool


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("git-http %s", format % args)


class GitHttpServer(ServerContext):
    """Smart-HTTP Git serving every bare repository under `root`.

    Each request runs the real `git http-backend`; pushes are enabled. With
    `users` or `tokens`, each request needs HTTP Basic credentials: a known
    user with its password, or any user name with a token as password;
    otherwise the answer is 401 with a Basic challenge. `tokens` maps each
    token to the identity it proves (`{token: "team-a"}`), or lists tokens
    that prove none.

    `access` (and `set_access` while serving) restricts repositories: a
    repository listed there may be read and pushed only by the identities
    it names (user names and token identities). Any other authenticated
    request for it is answered `404 Not Found`, as forges hide private
    repositories, and recorded like every other. Unlisted repositories stay
    open to every valid credential. See `gitaccess` for the rules.
    """

    def __init__(
        self,
        root: Path,
        *,
        users: Mapping[str, str] | None = None,
        tokens: Mapping[str, str] | Collection[str] = (),
        access: Mapping[str, Collection[str]] | None = None,
        log_path: Path | None = None,
    ) -> None:
        """Serve `root` (created if missing); nothing listens until `start()`.

        Raises ValueError if `access` names an identity no user or token proves.
        """
        self.root = root.resolve()
        self._access = GitHttpAccess(users=users, tokens=tokens, access=access)
        self._log_path = log_path
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._backend = find_backend()

    @property
    def auth_required(self) -> bool:
        """Whether requests need credentials."""
        return self._access.required

    def set_access(self, name: str, identities: Collection[str] | None) -> None:
        """Let only `identities` read repository `name` from now on; None lifts the limit."""
        self._access.set_access(name, identities)

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        if self._server is None:
            raise ServerError("git http server is not running")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """Base URL, `http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self.port}"

    def repo_url(
        self, name: str, *, username: str | None = None, password: str | None = None
    ) -> str:
        """Clone URL of repository `name`, optionally with embedded credentials."""
        path = repo_dir_name(name)
        if username is None and password is None:
            return f"{self.url}/{path}"
        userinfo = quote(username or "git", safe="")
        if password is not None:
            userinfo += ":" + quote(password, safe="")
        return f"http://{userinfo}@127.0.0.1:{self.port}/{path}"

    @property
    def requests(self) -> tuple[RequestRecord, ...]:
        """Every request answered so far, oldest first."""
        with self._lock:
            return tuple(self._records)

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread."""
        if self._server is not None:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        server = make_server(
            "127.0.0.1",
            0,
            self._app,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        assert isinstance(server, _ThreadingWSGIServer)  # noqa: S101 (narrowing for mypy)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"git-http-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        wait_until(lambda: port_open(self.port), timeout=10, what="git http server")
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # -- WSGI ---------------------------------------------------------------

    def _record(self, environ: WsgiEnviron, status: int, user: str | None) -> None:
        record = RequestRecord(
            method=str(environ.get("REQUEST_METHOD", "")),
            path=str(environ.get("PATH_INFO", "")),
            query=str(environ.get("QUERY_STRING", "")),
            status=status,
            user=user,
            content_encoding=environ.get("HTTP_CONTENT_ENCODING"),
            chunked=str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower() == "chunked",
        )
        with self._lock:
            self._records.append(record)

    @staticmethod
    def _plain(
        start_response: StartResponse,
        status: str,
        body: bytes,
        extra: Sequence[tuple[str, str]] = (),
    ) -> list[bytes]:
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *extra,
        ]
        start_response(status, headers)
        return [body]

    def _app(self, environ: WsgiEnviron, start_response: StartResponse) -> Iterable[bytes]:
        caller: Caller | None = None
        if self._access.required:
            caller = self._access.authenticate(str(environ.get("HTTP_AUTHORIZATION", "")))
            if caller is None:
                self._record(environ, 401, None)
                return self._plain(
                    start_response,
                    "401 Unauthorized",
                    b"authentication required\n",
                    [("WWW-Authenticate", f'Basic realm="{REALM}"')],
                )
        user = caller.user if caller is not None else None
        path_info = str(environ.get("PATH_INFO", ""))
        if ".." in PurePosixPath(path_info).parts:
            self._record(environ, 404, user)
            return self._plain(start_response, "404 Not Found", b"not found\n")
        if not self._access.allows(caller, repository_of(path_info)):
            self._record(environ, 404, user)
            return self._plain(start_response, "404 Not Found", b"repository not found\n")

        def record(status: int) -> None:
            self._record(environ, status, user)

        return run_backend(
            environ,
            start_response,
            backend=self._backend,
            root=self.root,
            user=user,
            log_path=self._log_path,
            on_status=record,
        )
