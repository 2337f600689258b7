"""Running the real `git http-backend` CGI for one WSGI request.

Owns `run_backend`: the CGI environment (pushes enabled, every repository
under the root exported), the request body forwarded from a Content-Length
or chunked stream in a thread of its own, the CGI headers turned into a WSGI
status line, and the response streamed back while the backend still writes.
Who may make the request is decided before (`gitaccess`); nothing here knows
about credentials beyond the `REMOTE_USER` it passes on.
"""

from __future__ import annotations

import io
import logging
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any
from wsgiref.util import is_hop_by_hop

from syncd.devenv.gitrepo import git_env
from syncd.devenv.proc import ServerError

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiEnviron = dict[str, Any]


def run_backend(
    environ: WsgiEnviron,
    start_response: StartResponse,
    *,
    backend: str,
    root: Path,
    user: str | None,
    log_path: Path | None,
    on_status: Callable[[int], None],
) -> Iterable[bytes]:
    """Answer one request with `git http-backend` serving `root`.

    `on_status` is called with the backend's status code before the
    response starts; the body is streamed as the backend writes it.
    """
    env = _cgi_env(environ, root=root, user=user)
    body = _request_body(environ, env)
    stderr: IO[bytes] | int
    stderr = log_path.open("ab") if log_path else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(
            [backend],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=root,
        )
    finally:
        if not isinstance(stderr, int):
            stderr.close()
    assert proc.stdin is not None  # noqa: S101 (narrowing for mypy)
    assert proc.stdout is not None  # noqa: S101 (narrowing for mypy)
    writer = threading.Thread(
        target=_feed, args=(body, proc.stdin), name="git-http-body", daemon=True
    )
    writer.start()
    status, headers = _read_cgi_headers(proc.stdout)
    on_status(int(status.split(" ", 1)[0]))
    start_response(status, headers)
    return _stream(proc, writer)


def find_backend() -> str:
    """The path of the installed `git http-backend` (ServerError if git has none)."""
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, check=True, text=True
    ).stdout.strip()
    backend = Path(exec_path) / "git-http-backend"
    if not backend.is_file():
        raise ServerError(f"git http-backend not found at {backend}")
    return str(backend)


def _cgi_env(environ: WsgiEnviron, *, root: Path, user: str | None) -> dict[str, str]:
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
            "GIT_PROJECT_ROOT": str(root),
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


def _request_body(environ: WsgiEnviron, env: dict[str, str]) -> Iterator[bytes]:
    stream: IO[bytes] = environ["wsgi.input"]
    if str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower() == "chunked":
        return _read_chunked(stream)  # length unknown: http-backend reads to EOF
    length = int(str(environ.get("CONTENT_LENGTH") or "0"))
    env["CONTENT_LENGTH"] = str(length)
    return _read_length(stream, length)


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
