"""Naming a source's cache directory by its location and the access it presents.

Owns `Access` (what a source shows its remote: the login it sends and the
TLS trust it uses), `cache_key` (the directory name for a location and an
access) and `cache_salt` (the cache root's secret salt).

Two sources share a cache directory, and so an object store, only when they
name the same location *and* present the same access: commits fetched with
one sync's credentials are never served to a sync that did not itself prove
it may read them. Sources without credentials (anonymous) of one location
share one directory, as do sources sending the same login.

The key is an HMAC-SHA256, keyed by a random salt kept in the cache root, of
the location (without its userinfo) and every `Access` field, each
length-prefixed so no two different inputs encode alike. The secret itself
never appears in a path, a log line or a message, and without the salt a
directory name does not let anyone test guesses of a password offline. The
salt (`<cache_dir>/salt`, 32 random bytes, mode 0600) is created once,
atomically (written under a private name, then hard-linked into place, so
every process and every restart reads the same complete value), and kept:
a new salt would only orphan the directories named with the old one.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from syncd.core.redact import redact_url

SALT_FILE: Final = "salt"
_SALT_BYTES: Final = 32
_KEY_LENGTH: Final = 32  # hex digits: 128 bits of the HMAC
_DOMAIN: Final = b"syncd.source.cache/v1"


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Access:
    """What a source presents to its remote; equal values may share a cache directory.

    `username` and `password` are the login actually sent (a token travels
    as the password), so two specs that send the same request share; the
    CA and `no_ssl_verify` are the TLS trust, so content fetched from a
    server trusted one way is not served to a source trusting another.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    ca_cert_pem: bytes = field(default=b"", repr=False)
    no_ssl_verify: bool = False

    def __repr__(self) -> str:
        """Never the password or the CA."""
        return f"Access(username={self.username!r}, no_ssl_verify={self.no_ssl_verify!r})"


ANONYMOUS: Final = Access()


def cache_key(salt: bytes, location: str, access: Access) -> str:
    """The directory name of `location` read with `access` (hex, no secret recoverable)."""
    fields = (
        _DOMAIN,
        redact_url(location).encode(),
        access.username.encode(),
        access.password.encode(),
        access.ca_cert_pem,
        b"1" if access.no_ssl_verify else b"0",
    )
    message = b"".join(len(value).to_bytes(8, "big") + value for value in fields)
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:_KEY_LENGTH]


def cache_salt(cache_dir: Path) -> bytes:
    """The salt of `cache_dir`, created (mode 0600) by the first caller of any process.

    Raises OSError when the file cannot be read or created, or when what is
    there is not a salt (not a regular file, or not 32 bytes).
    """
    path = cache_dir / SALT_FILE
    try:
        return _read_salt(path)
    except FileNotFoundError:
        pass
    cache_dir.mkdir(parents=True, exist_ok=True)
    # A salt must be unpredictable and nothing depends on its value: it is
    # drawn here rather than injected.
    salt = secrets.token_bytes(_SALT_BYTES)
    staging = cache_dir / f".{SALT_FILE}-{secrets.token_hex(8)}"
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(salt)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: use its salt
            os.link(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    return _read_salt(path)


def _read_salt(path: Path) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        salt = handle.read(_SALT_BYTES + 1)
    if len(salt) != _SALT_BYTES:
        raise OSError(f"{path} does not hold a {_SALT_BYTES}-byte salt; remove it to start afresh")
    return salt
