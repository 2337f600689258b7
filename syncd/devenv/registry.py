"""A real OCI registry on 127.0.0.1 and artifact push/pull through oras-py.

Owns `OciRegistry`: Debian's `docker-registry` (distribution 2.8) run with a
config file written here (loopback address, filesystem storage in a work
directory, deletes enabled, optional htpasswd auth with bcrypt lines), and
`push_artifact` / `pull_artifact`, which talk plain HTTP through oras-py.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Self

import bcrypt
import yaml

from syncd.devenv.proc import (
    ManagedProcess,
    ServerContext,
    ServerError,
    start_on_free_port,
)

REALM = "syncd-test"
# Go's bcrypt accepts cost >= 4; the registry checks the hash on every request.
_BCRYPT_ROUNDS = 5


def htpasswd_lines(users: Mapping[str, str]) -> str:
    """Render `users` (name -> password) as htpasswd bcrypt lines."""
    lines = []
    for name, password in users.items():
        if not name or ":" in name or "\n" in name:
            raise ValueError("invalid htpasswd user name")
        digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=_BCRYPT_ROUNDS))
        lines.append(f"{name}:{digest.decode()}\n")
    return "".join(lines)


def _v2_status(url: str) -> int:
    """Return the HTTP status of `GET url` (4xx/5xx included)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback http)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class OciRegistry(ServerContext):
    """`docker-registry serve` on 127.0.0.1 with storage under `work_dir`."""

    def __init__(
        self,
        work_dir: Path,
        *,
        users: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        """Configure a registry; with `users`, every request needs Basic auth."""
        self.work_dir = work_dir.resolve()
        self._users = dict(users or {})
        self._start_timeout = start_timeout
        self._process: ManagedProcess | None = None
        self._port: int | None = None

    @property
    def auth_required(self) -> bool:
        """Whether the registry uses htpasswd auth."""
        return bool(self._users)

    @property
    def port(self) -> int:
        """The TCP port the registry listens on."""
        if self._port is None:
            raise ServerError("registry is not running")
        return self._port

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`, the registry part of an image reference."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Base URL, `http://127.0.0.1:PORT`."""
        return f"http://{self.host}"

    @property
    def storage_dir(self) -> Path:
        """The filesystem storage root."""
        return self.work_dir / "storage"

    def _write_config(self, port: int) -> Path:
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.storage_dir)},
                "delete": {"enabled": True},
                "maintenance": {"uploadpurging": {"enabled": False}},
            },
            "http": {
                "addr": f"127.0.0.1:{port}",
                "secret": secrets.token_hex(16),
                "headers": {"X-Content-Type-Options": ["nosniff"]},
            },
            "health": {"storagedriver": {"enabled": False}},
        }
        if self._users:
            htpasswd = self.work_dir / "htpasswd"
            htpasswd.write_text(htpasswd_lines(self._users))
            htpasswd.chmod(0o600)
            config["auth"] = {"htpasswd": {"realm": REALM, "path": str(htpasswd)}}
        path = self.work_dir / "config.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        return path

    def _ready(self, process: ManagedProcess, port: int) -> bool:
        process.check_alive()
        expected = 401 if self._users else 200
        return _v2_status(f"http://127.0.0.1:{port}/v2/") == expected

    def start(self) -> Self:
        """Start the registry on a free port; wait until `GET /v2/` answers."""
        if self._process is not None:
            return self
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}

        def launch(port: int) -> ManagedProcess:
            return ManagedProcess(
                name="docker-registry",
                argv=["docker-registry", "serve", str(self._write_config(port))],
                log_path=self.work_dir / "registry.log",
                env=env,
                cwd=self.work_dir,
            )

        self._process, self._port = start_on_free_port(
            launch, self._ready, what="docker-registry", timeout=self._start_timeout
        )
        return self

    def stop(self) -> None:
        """Stop the registry (SIGTERM, then SIGKILL after 3 s)."""
        process, self._process = self._process, None
        self._port = None
        if process is not None:
            process.stop(timeout=3)


# --------------------------------------------------------------------------- oras


class ArtifactError(RuntimeError):
    """An artifact push or pull failed; the message carries no credentials."""


def _client(registry_host: str, username: str | None, password: str | None) -> Any:
    import oras.client

    if username is None and password is None:
        return oras.client.OrasClient(hostname=registry_host, insecure=True)
    client = oras.client.OrasClient(hostname=registry_host, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth(username or "", password or "")
    return client


def _safe_error(exc: BaseException, password: str | None) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.replace(password, "***") if password else text


def _stage_files(files: Mapping[str, bytes], stage: Path) -> list[Path]:
    paths = []
    for name, data in files.items():
        if not name or "/" in name or name in {".", ".."} or ":" in name:
            raise ValueError(f"artifact file name must be a plain file name: {name!r}")
        path = stage / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def _source_files(source: Path) -> list[Path]:
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.is_file())
    return [source]


def push_artifact(
    registry_host: str,
    repository: str,
    tag: str,
    files: Mapping[str, bytes] | Path,
    *,
    username: str | None = None,
    password: str | None = None,
    media_type: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> str:
    """Push `files` as one layer each to `registry_host/repository:tag`.

    `files` maps plain file names to contents, or is a file or a directory
    (its top-level regular files are pushed). Layers carry `media_type` if
    given (oras' default otherwise). Returns the manifest digest `sha256:...`.
    """
    if PurePosixPath(repository).is_absolute() or not repository:
        raise ValueError(f"invalid repository {repository!r}")
    client = _client(registry_host, username, password)
    with tempfile.TemporaryDirectory(prefix="syncd-oras-") as stage:
        paths = (
            _source_files(files) if isinstance(files, Path) else _stage_files(files, Path(stage))
        )
        if any(":" in str(p) for p in paths):
            raise ValueError("artifact file paths must not contain ':'")
        specs: Sequence[str] = [f"{p}:{media_type}" if media_type else str(p) for p in paths]
        try:
            response = client.push(
                target=f"{registry_host}/{repository}:{tag}",
                files=list(specs),
                disable_path_validation=True,
                manifest_annotations=dict(annotations) if annotations else None,
                quiet=True,
            )
        except (ValueError, OSError) as exc:
            raise ArtifactError(
                f"push of {registry_host}/{repository}:{tag} failed: {_safe_error(exc, password)}"
            ) from None
    digest = response.headers.get("Docker-Content-Digest")
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        raise ArtifactError(f"registry returned no manifest digest for {repository}:{tag}")
    return digest


def pull_artifact(
    registry_host: str,
    repository: str,
    tag: str,
    *,
    dest: Path,
    username: str | None = None,
    password: str | None = None,
) -> list[Path]:
    """Pull `registry_host/repository:tag` into `dest`; return the written files."""
    client = _client(registry_host, username, password)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        written = client.pull(target=f"{registry_host}/{repository}:{tag}", outdir=str(dest))
    except (ValueError, OSError) as exc:
        raise ArtifactError(
            f"pull of {registry_host}/{repository}:{tag} failed: {_safe_error(exc, password)}"
        ) from None
    return [Path(p) for p in written]
