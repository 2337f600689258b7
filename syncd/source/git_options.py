"""The Git source's options and where they point (no dulwich here).

Owns `GitSourceOptions` (validated on construction, printed without
credentials) and `parse_remote`, which turns the repo URL or path and the
`Credentials` into a `Remote`: the transport, a URL safe to print, and the
user name and password to send over HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from syncd.core.errors import SyncSpecError
from syncd.core.ports import Credentials
from syncd.core.redact import redact_url
from syncd.source.cache import safe_relative

_SCP_LIKE: Final = re.compile(r"^[^/:]+@[^/:]+:|^[A-Za-z0-9.-]+:(?!//)")
_TOKEN_USERNAME: Final = "git"  # noqa: S105 (a user name, not a password)


class Transport(StrEnum):
    """How the repository is reached."""

    HTTP = "http"
    GIT = "git"
    LOCAL = "local"


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GitSourceOptions:
    """What to fetch from where, and how to authenticate."""

    repo: str
    branch: str = "main"
    revision: str = ""
    directory: str = "."
    credentials: Credentials | None = None
    no_ssl_verify: bool = False
    depth: int | None = 1
    timeout: float = 30.0

    def __post_init__(self) -> None:
        """Refuse options that can never work (SD1061)."""
        if not self.repo.strip():
            raise SyncSpecError("git repo must not be empty")
        if not self.branch.strip():
            raise SyncSpecError("git branch must not be empty")
        if self.depth is not None and self.depth < 1:
            raise SyncSpecError(f"git fetch depth must be at least 1, not {self.depth}")
        if self.timeout <= 0:
            raise SyncSpecError(f"git timeout must be positive, not {self.timeout}")
        try:
            safe_relative(self.directory)
        except ValueError:
            raise SyncSpecError(
                f"git dir '{self.directory}' must be a relative path inside the repository"
            ) from None

    def __repr__(self) -> str:
        """The options with the URL's credentials removed."""
        return (
            f"GitSourceOptions(repo={redact_url(self.repo)!r}, branch={self.branch!r}, "
            f"revision={self.revision!r}, directory={self.directory!r}, "
            f"credentials={self.credentials!r}, no_ssl_verify={self.no_ssl_verify!r}, "
            f"depth={self.depth!r}, timeout={self.timeout!r})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Remote:
    """Where the repository is and how to log in; `url` is safe to print."""

    transport: Transport
    url: str
    path: str
    host: str = ""
    port: int | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def parse_remote(options: GitSourceOptions) -> Remote:
    """Where `options.repo` points and the credentials to send (SD1061 if unusable)."""
    repo = options.repo.strip()
    creds = options.credentials or Credentials()
    if "://" not in repo:
        if _SCP_LIKE.match(repo):
            raise SyncSpecError(f"git repo '{redact_url(repo)}': ssh is not supported yet")
        path = str(Path(repo).expanduser().absolute())
        return Remote(transport=Transport.LOCAL, url=path, path=path)
    try:
        parts = urlsplit(repo)
        port = parts.port
    except ValueError:
        raise SyncSpecError(f"git repo '{redact_url(repo)}' is not a valid URL") from None
    url = redact_url(repo)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return Remote(transport=Transport.LOCAL, url=url, path=unquote(parts.path))
    if scheme == "git":
        return Remote(
            transport=Transport.GIT, url=url, path=parts.path, host=parts.hostname or "", port=port
        )
    if scheme not in ("http", "https"):
        raise SyncSpecError(f"git repo '{url}': scheme '{scheme}' is not supported")
    url_user = unquote(parts.username) if parts.username else None
    url_password = unquote(parts.password) if parts.password else None
    username, password = url_user, url_password
    if creds.token:
        username, password = creds.username or _TOKEN_USERNAME, creds.token
    elif creds.username or creds.password:
        username, password = creds.username, creds.password
    secrets = tuple(s for s in (*creds.secrets(), url_password or "") if s)
    return Remote(
        transport=Transport.HTTP,
        url=url,
        path=parts.path,
        username=username,
        password=password,
        secrets=secrets,
    )
