"""Real Git servers on 127.0.0.1.

Owns `GitHttpServer` (the real `git http-backend` CGI behind a small threaded
WSGI bridge that adds optional HTTP Basic and token auth) and `GitDaemon` (the
real `git daemon` serving git://). Repositories are written with `gitrepo`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import logging
import socketserver
import subprocess
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, Self
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import is_hop_by_hop

from syncd.devenv.gitrepo import (
    git_env,
    repo_dir_name,
)
from syncd.devenv.proc import (
    ManagedProcess,
    ServerContext,
    ServerError,
    port_open,
    start_on_free_port,
    wait_until,
)

log = logging.getLogger(__name__)

REALM = "syncd-test"
_CHUNK = 64 * 1024

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiEnviron = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecord:
    """One request the HTTP bridge answered (never holds credentials)."""

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


def _read_chunked(stream: IO[bytes]) -> Iterator[bytes]:
    """Decode an HTTP/1.1 chunked request body from the raw input stream."""
    while True:
        line = stream.readline(1024)
        if not line:
            raise ValueError("truncated chunked body")
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while stream.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # discard trailer fields
            return
        remaining = size
        while remaining:
            data = stream.read(min(remaining, _CHUNK))
            if not data:
                raise ValueError("truncated chunked body")
            remaining -= len(data)
            yield data
        stream.readline(16)  # CRLF after the chunk


def _read_length(stream: IO[bytes], length: int) -> Iterator[bytes]:
    remaining = length
    while remaining > 0:
        data = stream.read(min(remaining, _CHUNK))
        if not data:
            raise ValueError("truncated request body")
        remaining -= len(data)
        yield data


class GitHttpServer(ServerContext):
    """Smart-HTTP Git serving every bare repository under `root`.

    Each request runs the real `git http-backend`; pushes are enabled for all
    repositories. With `users` or `tokens`, each request needs HTTP Basic
    credentials: a known user with its password, or any user name with one of
    the tokens as password; otherwise the answer is 401 with a Basic challenge.
    """

    def __init__(
        self,
        root: Path,
        *,
        users: Mapping[str, str] | None = None,
        tokens: Collection[str] = (),
        log_path: Path | None = None,
    ) -> None:
        """Serve `root` (created if missing); nothing listens until `start()`."""
        self.root = root.resolve()
        self._users = dict(users or {})
        self._tokens = tuple(tokens)
        self._log_path = log_path
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._backend = self._find_backend()

    @staticmethod
    def _find_backend() -> str:
        exec_path = subprocess.run(
            ["git", "--exec-path"], capture_output=True, check=True, text=True
        ).stdout.strip()
        backend = Path(exec_path) / "git-http-backend"
        if not backend.is_file():
            raise ServerError(f"git http-backend not found at {backend}")
        return str(backend)

    @property
    def auth_required(self) -> bool:
        """Whether requests need credentials."""
        return bool(self._users or self._tokens)

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

    def _authenticate(self, environ: WsgiEnviron) -> str | None:
        """Return the authenticated user name, or None if the credentials are wrong."""
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep:
            return None
        expected = self._users.get(username)
        ok = expected is not None and hmac.compare_digest(expected.encode(), password.encode())
        for token in self._tokens:
            ok = hmac.compare_digest(token.encode(), password.encode()) or ok
        return username if ok else None

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
        user: str | None = None
        if self.auth_required:
            user = self._authenticate(environ)
            if user is None:
                self._record(environ, 401, None)
                return self._plain(
                    start_response,
                    "401 Unauthorized",
                    b"authentication required\n",
                    [("WWW-Authenticate", f'Basic realm="{REALM}"')],
                )
        path_info = str(environ.get("PATH_INFO", ""))
        if ".." in PurePosixPath(path_info).parts:
            self._record(environ, 404, user)
            return self._plain(start_response, "404 Not Found", b"not found\n")
        return self._run_backend(environ, start_response, user)

    def _cgi_env(self, environ: WsgiEnviron, user: str | None) -> dict[str, str]:
        env = git_env(
            {
                # Pushes over HTTP are allowed for every served repository.
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.receivepack",
                "GIT_CONFIG_VALUE_0": "true",
            }
        )
        env.update(
            {
                "GIT_PROJECT_ROOT": str(self.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "GATEWAY_INTERFACE": "CGI/1.1",
                "SERVER_PROTOCOL": str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
                "SERVER_SOFTWARE": "syncd-git-http",
                "REQUEST_METHOD": str(environ.get("REQUEST_METHOD", "GET")),
                "PATH_INFO": str(environ.get("PATH_INFO", "")),
                "QUERY_STRING": str(environ.get("QUERY_STRING", "")),
                "CONTENT_TYPE": str(environ.get("CONTENT_TYPE", "")),
                "REMOTE_ADDR": str(environ.get("REMOTE_ADDR", "127.0.0.1")),
                "REMOTE_USER": user or "anonymous",
            }
        )
        if protocol := environ.get("HTTP_GIT_PROTOCOL"):
            env["GIT_PROTOCOL"] = str(protocol)
        if encoding := environ.get("HTTP_CONTENT_ENCODING"):
            # git http-backend inflates gzip request bodies itself.
            env["HTTP_CONTENT_ENCODING"] = str(encoding)
        return env

    def _request_body(self, environ: WsgiEnviron, env: dict[str, str]) -> Iterator[bytes]:
        stream: IO[bytes] = environ["wsgi.input"]
        if str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower() == "chunked":
            return _read_chunked(stream)  # length unknown: http-backend reads to EOF
        length = int(str(environ.get("CONTENT_LENGTH") or "0"))
        env["CONTENT_LENGTH"] = str(length)
        return _read_length(stream, length)

    def _run_backend(
        self, environ: WsgiEnviron, start_response: StartResponse, user: str | None
    ) -> Iterable[bytes]:
        env = self._cgi_env(environ, user)
        body = self._request_body(environ, env)
        stderr: IO[bytes] | int
        stderr = self._log_path.open("ab") if self._log_path else subprocess.DEVNULL
        try:
            proc = subprocess.Popen(
                [self._backend],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
                cwd=self.root,
            )
        finally:
            if not isinstance(stderr, int):
                stderr.close()
        assert proc.stdin is not None  # noqa: S101 (narrowing for mypy)
        assert proc.stdout is not None  # noqa: S101 (narrowing for mypy)
        writer = threading.Thread(
            target=self._feed, args=(body, proc.stdin), name="git-http-body", daemon=True
        )
        writer.start()
        status, headers = self._read_cgi_headers(proc.stdout)
        self._record(environ, int(status.split(" ", 1)[0]), user)
        start_response(status, headers)
        return self._stream(proc, writer)

    @staticmethod
    def _feed(body: Iterator[bytes], sink: IO[bytes]) -> None:
        try:
            for data in body:
                sink.write(data)
        except BrokenPipeError:
            log.debug("git http-backend exited before reading the whole request")
        except (OSError, ValueError) as exc:
            log.warning("git http request body not forwarded: %s", exc)
        finally:
            try:
                sink.close()
            except BrokenPipeError:
                log.debug("git http-backend closed its input early")

    @staticmethod
    def _read_cgi_headers(stdout: IO[bytes]) -> tuple[str, list[tuple[str, str]]]:
        status = "200 OK"
        headers: list[tuple[str, str]] = []
        while True:
            line = stdout.readline(65536)
            if not line:
                if not headers:
                    return "502 Bad Gateway", [("Content-Type", "text/plain")]
                break
            text = line.decode("latin-1").rstrip("\r\n")
            if not text:
                break
            key, _, value = text.partition(":")
            key, value = key.strip(), value.strip()
            if key.lower() == "status":
                status = value
            elif not is_hop_by_hop(key):
                headers.append((key, value))
        return status, headers

    @staticmethod
    def _stream(proc: subprocess.Popen[bytes], writer: threading.Thread) -> Iterator[bytes]:
        stdout = proc.stdout
        assert isinstance(stdout, io.BufferedReader)  # noqa: S101 (narrowing for mypy)
        try:
            while data := stdout.read1(_CHUNK):
                yield data
        finally:
            stdout.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            writer.join(timeout=10)


# --------------------------------------------------------------------------- git://


class GitDaemon(ServerContext):
    """The real `git daemon` serving every repository under `root` over git://."""

    def __init__(self, root: Path, *, work_dir: Path, start_timeout: float = 30.0) -> None:
        """Serve `root`; the daemon's log goes to `work_dir/git-daemon.log`."""
        self.root = root.resolve()
        self._work_dir = work_dir
        self._start_timeout = start_timeout
        self._process: ManagedProcess | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The TCP port the daemon listens on."""
        if self._port is None:
            raise ServerError("git daemon is not running")
        return self._port

    @property
    def url(self) -> str:
        """Base URL, `git://127.0.0.1:PORT`."""
        return f"git://127.0.0.1:{self.port}"

    def repo_url(self, name: str) -> str:
        """Clone URL of repository `name`."""
        return f"{self.url}/{repo_dir_name(name)}"

    def start(self) -> Self:
        """Start the daemon on a free port and wait until it accepts connections."""
        if self._process is not None:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        self._work_dir.mkdir(parents=True, exist_ok=True)

        def launch(port: int) -> ManagedProcess:
            return ManagedProcess(
                name="git daemon",
                argv=[
                    "git",
                    "daemon",
                    "--listen=127.0.0.1",
                    f"--port={port}",
                    f"--base-path={self.root}",
                    "--export-all",
                    "--reuseaddr",
                    "--enable=receive-pack",
                    "--informative-errors",
                    str(self.root),
                ],
                log_path=self._work_dir / "git-daemon.log",
                env=git_env(),
                cwd=self._work_dir,
            )

        self._process, self._port = start_on_free_port(
            launch, _alive_and_open, what="git daemon", timeout=self._start_timeout
        )
        return self

    def stop(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL after 3 s)."""
        process, self._process = self._process, None
        self._port = None
        if process is not None:
            process.stop(timeout=3)


def _alive_and_open(process: ManagedProcess, port: int) -> bool:
    process.check_alive()
    return port_open(port)
