"""Cache isolation: a source's cache directory is named by its URL and the access it presents."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from syncd.core.errors import SourceFetchError
from syncd.core.ports import Credentials
from syncd.source.cache_key import SALT_FILE, Access, cache_key, cache_salt
from syncd.source.git import GitSource, GitSourceOptions

URL = "https://git.example.invalid/team/config.git"
PASSWORD = "hunter2-Pa55word"
TOKEN = "ghp_t0kenValue123"
CA = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def cache_of(
    cache_dir: Path,
    url: str = URL,
    *,
    credentials: Credentials | None = None,
    no_ssl_verify: bool = False,
) -> Path:
    options = GitSourceOptions(repo=url, credentials=credentials, no_ssl_verify=no_ssl_verify)
    return GitSource(options, cache_dir=cache_dir).cache_path


def test_the_same_url_with_other_credentials_gets_another_cache_directory(tmp_path: Path) -> None:
    variants = {
        "anonymous": cache_of(tmp_path),
        "basic": cache_of(tmp_path, credentials=Credentials(username="bob", password=PASSWORD)),
        "other password": cache_of(
            tmp_path, credentials=Credentials(username="bob", password=PASSWORD + "x")
        ),
        "other user": cache_of(
            tmp_path, credentials=Credentials(username="eve", password=PASSWORD)
        ),
        "token": cache_of(tmp_path, credentials=Credentials(token=TOKEN)),
        "other token": cache_of(tmp_path, credentials=Credentials(token=TOKEN + "x")),
        "in the url": cache_of(tmp_path, f"https://bob:{quote(PASSWORD + 'y')}@{URL[8:]}"),
        "private CA": cache_of(tmp_path, credentials=Credentials(ca_cert_pem=CA)),
        "no TLS verification": cache_of(tmp_path, no_ssl_verify=True),
    }

    assert len(set(variants.values())) == len(variants), variants
    assert {path.parent for path in variants.values()} == {tmp_path}


def test_the_same_credentials_share_one_cache_directory(tmp_path: Path) -> None:
    basic = Credentials(username="bob", password=PASSWORD, ca_cert_pem=CA)

    assert cache_of(tmp_path) == cache_of(tmp_path)
    assert cache_of(tmp_path, credentials=basic) == cache_of(
        tmp_path, credentials=Credentials(username="bob", password=PASSWORD, ca_cert_pem=CA)
    )
    # Credentials in the URL and in the Secret that send the same login share.
    assert cache_of(tmp_path, f"https://bob:{quote(PASSWORD)}@{URL[8:]}") == cache_of(
        tmp_path, credentials=Credentials(username="bob", password=PASSWORD)
    )
    # A token travels as the password of user `git`: the server sees the same request.
    assert cache_of(tmp_path, credentials=Credentials(token=TOKEN)) == cache_of(
        tmp_path, credentials=Credentials(username="git", password=TOKEN)
    )


def test_no_secret_or_encoding_of_one_appears_in_the_cache_path(tmp_path: Path) -> None:
    pair = base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    paths = [
        cache_of(tmp_path, credentials=Credentials(username="bob", password=PASSWORD)),
        cache_of(tmp_path, credentials=Credentials(token=TOKEN)),
        cache_of(tmp_path, f"https://bob:{quote(PASSWORD)}@{URL[8:]}"),
    ]
    forms = [PASSWORD, TOKEN, quote(PASSWORD, safe=""), pair, PASSWORD.encode().hex()]

    for path in paths:
        assert path.name.isalnum()
        assert len(path.name) == 32
        for form in forms:
            assert form not in str(path)
            assert form.lower() not in str(path).lower()
    assert PASSWORD not in repr(Access(username="bob", password=PASSWORD, ca_cert_pem=CA))


def test_the_name_cannot_be_recomputed_without_the_cache_roots_salt(tmp_path: Path) -> None:
    creds = Credentials(username="bob", password=PASSWORD)
    first = cache_of(tmp_path / "one", credentials=creds)
    second = cache_of(tmp_path / "two", credentials=creds)
    salt = (tmp_path / "one" / SALT_FILE).read_bytes()

    assert first.name != second.name
    assert first.name == cache_key(salt, URL, Access(username="bob", password=PASSWORD))


def test_the_salt_is_created_once_with_mode_0600_and_reused_by_every_source(
    tmp_path: Path,
) -> None:
    previous = os.umask(0)  # even a permissive umask leaves the salt private
    try:
        first = cache_of(tmp_path / "cache")
    finally:
        os.umask(previous)
    salt_file = tmp_path / "cache" / SALT_FILE
    salt = salt_file.read_bytes()

    info = salt_file.lstat()
    assert stat.S_ISREG(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert len(salt) == 32
    assert cache_of(tmp_path / "cache") == first
    assert salt_file.read_bytes() == salt
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [SALT_FILE]


def test_the_salt_survives_a_restart_and_is_shared_with_other_processes(tmp_path: Path) -> None:
    here = cache_of(tmp_path, credentials=Credentials(token=TOKEN))
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from syncd.core.ports import Credentials\n"
        "from syncd.source.git import GitSource, GitSourceOptions\n"
        "options = GitSourceOptions(repo=sys.argv[1], credentials=Credentials(token=sys.argv[3]))\n"
        "print(GitSource(options, cache_dir=Path(sys.argv[2])).cache_path)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, URL, str(tmp_path), TOKEN],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert done.stdout.strip() == str(here)


def test_sources_racing_to_create_the_salt_all_read_the_same_one(tmp_path: Path) -> None:
    threads = 8
    barrier = threading.Barrier(threads)
    salts: list[bytes] = []

    def create() -> None:
        barrier.wait(timeout=30)
        salts.append(cache_salt(tmp_path / "cache"))

    workers = [threading.Thread(target=create) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert len(salts) == threads
    assert len(set(salts)) == 1
    assert salts[0] == (tmp_path / "cache" / SALT_FILE).read_bytes()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [SALT_FILE]


@pytest.mark.parametrize("damage", ["truncated", "symlink"])
def test_a_damaged_salt_is_a_fetch_error_naming_the_file(tmp_path: Path, damage: str) -> None:
    salt_file = tmp_path / SALT_FILE
    if damage == "truncated":
        salt_file.write_bytes(b"short")
    else:
        (tmp_path / "elsewhere").write_bytes(b"x" * 32)
        salt_file.symlink_to(tmp_path / "elsewhere")
    source = GitSource(
        GitSourceOptions(repo=URL, credentials=Credentials(token=TOKEN)), cache_dir=tmp_path
    )

    with pytest.raises(SourceFetchError, match=r"^SD2004: fetch https://git\.example") as caught:
        source.fetch("a" * 40)

    assert SALT_FILE in str(caught.value)
    assert TOKEN not in str(caught.value)
