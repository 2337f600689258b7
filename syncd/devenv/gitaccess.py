"""Who may read which repository of the test Git HTTP server.

Owns `GitHttpAccess`, the decisions `GitHttpServer` makes before a request
reaches `git http-backend`:

- **who is calling**: HTTP Basic credentials are a known user with its
  password (the identity is the user name), or any user name with a token as
  password. A token given with an identity (`tokens={token: identity}`)
  proves that identity; a token given without one (a plain collection) is
  *unscoped*: it authenticates, is recorded under the user name the client
  sent, and proves no identity.
- **what they may read**: repositories without an access list are open to
  every authenticated caller (and to everyone on a server without
  credentials). A repository with an access list may be read (and pushed to)
  only by the identities it names; an unscoped token never passes one.
- **which repository a request is for**: the directory in front of the
  smart- or dumb-HTTP endpoint (`/info/refs`, `/git-upload-pack`,
  `/objects/...`), with empty and `.` components dropped and a trailing
  `.git` or `/.git` removed, as `git http-backend` finds the repository.

The answer for a caller who authenticated but may not read the repository is
`404 Not Found`, as GitHub and GitLab answer for a private repository, so a
credential learns nothing about what it cannot read; `401` stays the answer
for missing or wrong credentials.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

from syncd.devenv.gitrepo import repo_dir_name

# The endpoints `git http-backend` serves, each at the end of the path; what
# precedes the endpoint names the repository.
_ENDPOINT: Final = re.compile(
    r"^(?P<dir>.*)/(?:HEAD|info/refs"
    r"|objects/info/(?:alternates|http-alternates|packs)"
    r"|objects/[0-9a-f]{2}/(?:[0-9a-f]{38}|[0-9a-f]{62})"
    r"|objects/pack/pack-(?:[0-9a-f]{40}|[0-9a-f]{64})\.(?:pack|idx)"
    r"|git-upload-pack|git-receive-pack|git-upload-archive)$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Whom a request's credentials prove.

    `user` is what the request log records; `identity` is what access lists
    name, None for an unscoped token.
    """

    user: str
    identity: str | None


def repository_key(name: str) -> str:
    """The canonical name of repository `name` (`team-a`, `team-a.git` -> `team-a`)."""
    return repo_dir_name(name).removesuffix(".git")


def repository_of(path_info: str) -> str | None:
    """The canonical name of the repository a request path is for, None if it names none."""
    parts = [part for part in path_info.split("/") if part not in ("", ".")]
    match = _ENDPOINT.fullmatch("/" + "/".join(parts))
    if match is None:
        return None
    directory = match.group("dir").strip("/").removesuffix("/.git").removesuffix(".git")
    return directory or None


class GitHttpAccess:
    """The credentials a Git HTTP server accepts and the repositories each may read.

    `users` maps user names to passwords; `tokens` maps each token to the
    identity it proves, or lists unscoped tokens; `access` maps a repository
    name to the identities that may read it. Access lists may be changed
    while the server runs (`set_access`), from any thread.
    """

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        tokens: Mapping[str, str] | Collection[str] = (),
        access: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """Accept `users` and `tokens`; restrict the repositories in `access`."""
        self._users = dict(users or {})
        if isinstance(tokens, Mapping):
            self._tokens: tuple[tuple[str, str | None], ...] = tuple(tokens.items())
        else:
            self._tokens = tuple((token, None) for token in tokens)
        self._identities = frozenset(self._users) | {
            identity for _, identity in self._tokens if identity is not None
        }
        self._lock = threading.Lock()
        self._access: dict[str, frozenset[str]] = {}
        for name, identities in (access or {}).items():
            self.set_access(name, identities)

    @property
    def required(self) -> bool:
        """Whether requests need credentials."""
        return bool(self._users or self._tokens)

    def set_access(self, name: str, identities: Collection[str] | None) -> None:
        """Let only `identities` read repository `name`; None opens it to every caller again.

        Raises ValueError for an identity no user or token proves (an empty
        collection is allowed: nobody may read the repository).
        """
        key = repository_key(name)
        if identities is None:
            with self._lock:
                self._access.pop(key, None)
            return
        unknown = sorted(set(identities) - self._identities)
        if unknown:
            raise ValueError(
                f"access list of {name!r} names identities no user or token proves: {unknown}"
            )
        with self._lock:
            self._access[key] = frozenset(identities)

    def authenticate(self, authorization: str) -> Caller | None:
        """The caller an `Authorization` header proves, or None if its credentials are wrong."""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep:
            return None
        caller: Caller | None = None
        expected = self._users.get(username)
        if expected is not None and hmac.compare_digest(expected.encode(), password.encode()):
            caller = Caller(user=username, identity=username)
        for token, identity in self._tokens:  # every token compared: no early exit
            if hmac.compare_digest(token.encode(), password.encode()) and caller is None:
                caller = Caller(user=identity or username, identity=identity)
        return caller

    def allows(self, caller: Caller | None, repository: str | None) -> bool:
        """Whether `caller` (None on a server without credentials) may read `repository`.

        A request naming no repository is refused once any access list exists,
        so a path the bridge cannot attribute never reaches a restricted one.
        """
        with self._lock:
            if repository is None:
                return not self._access
            allowed = self._access.get(repository)
        if allowed is None:
            return True
        return caller is not None and caller.identity is not None and caller.identity in allowed
