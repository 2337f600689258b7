"""The HTTP endpoints of `syncd run`: liveness, readiness and metrics.

- `GET /healthz`: 200 `ok` while the process serves requests.
- `GET /readyz`: 200 `ok` once `ready()` says so (every sync kind has been
  listed once, so the controller knows its syncs), else 503 naming what is
  missing.
- `GET /metrics`: the Prometheus text format of `SyncMetrics`.

Anything else is 404; only GET and HEAD are served. The server binds
`SYNCD_METRICS_ADDRESS` (127.0.0.1 by default: in a pod, set 0.0.0.0 so
the kubelet and Prometheus reach it) on `SYNCD_METRICS_PORT`; it runs on
daemon threads and `close()` stops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from syncd.logging import get_logger
from syncd.server.metrics import SyncMetrics

log = get_logger("server.http")

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif path == "/readyz":
            missing = self.server.ready()
            if missing:
                self._send(503, f"not ready: {missing}\n".encode(), "text/plain; charset=utf-8")
            else:
                self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif path == "/metrics":
            self._send(200, self.server.metrics.exposition(), METRICS_CONTENT_TYPE)
        else:
            self._send(404, b"not found: try /healthz, /readyz or /metrics\n", "text/plain")

    def do_HEAD(self) -> None:
        self.do_GET()

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged (probes come every few seconds)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], *, metrics: SyncMetrics, ready: Callable[[], str]
    ) -> None:
        super().__init__(address, _Handler)
        self.metrics = metrics
        self.ready = ready


class HealthServer:
    """/healthz, /readyz and /metrics on one address, served from daemon threads."""

    def __init__(
        self, *, host: str, port: int, metrics: SyncMetrics, ready: Callable[[], str]
    ) -> None:
        """`ready()` returns '' when ready, else what is missing. Binds at once (OSError)."""
        self._server = _Server((host, port), metrics=metrics, ready=ready)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="http-server", daemon=True
        )

    @property
    def port(self) -> int:
        """The bound port (useful when 0 asked for any free one)."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()
        log.info("server.listening", port=self.port)

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
