"""The Git source against the real Git servers: smart HTTP (open, Basic, token,
TLS with a private CA) and git daemon."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.servers import GitHttpAuth, GitRepoFactory
from syncd.core.errors import ErrorCode, SourceFetchError
from syncd.core.ports import Credentials
from syncd.devenv.gitrepo import GitRepo, run_git
from syncd.devenv.gitserver import GitDaemon, GitHttpServer
from syncd.devenv.pki import write_pki
from syncd.source.git import GitSource, GitSourceOptions

pytestmark = pytest.mark.e2e

APP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: v\n"


def files_under(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def source_for(url: str, cache: Path, **options: object) -> GitSource:
    return GitSource(GitSourceOptions(repo=url, **options), cache_dir=cache)


def seed(repo: GitRepo) -> str:
    return repo.commit({"deploy/app.yaml": APP, "README.md": "docs\n"}, "add app")


def object_count(bare: Path) -> int:
    stats = dict(
        line.split(": ", 1) for line in run_git(["count-objects", "-v"], cwd=bare).splitlines()
    )
    return int(stats["count"]) + int(stats["in-pack"])


# -- servers -------------------------------------------------------------------


def test_http_without_auth_resolves_and_fetches(
    git_http: GitHttpServer, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http)
    commit = seed(repo)
    source = source_for(git_http.repo_url(repo.name), tmp_path, directory="deploy")

    resolved = source.resolve()
    with source.fetch(resolved) as snapshot:
        assert resolved == commit
        assert snapshot.commit == commit
        assert files_under(snapshot.directory) == {"app.yaml": APP}


def test_http_resolves_an_annotated_tag_to_its_commit(
    git_http: GitHttpServer, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http)
    tagged = seed(repo)
    repo.tag("v1.0.0", tagged, message="release")
    repo.commit({"later.yaml": APP}, "later")

    source = source_for(git_http.repo_url(repo.name), tmp_path, revision="v1.0.0")

    assert source.resolve() == tagged
    with source.fetch(tagged) as snapshot:
        assert "later.yaml" not in files_under(snapshot.directory)


def test_http_with_basic_auth(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth)
    commit = seed(repo)
    creds = Credentials(username=git_http_auth.username, password=git_http_auth.password)
    source = source_for(git_http_auth.server.repo_url(repo.name), tmp_path, credentials=creds)

    with source.fetch(source.resolve()) as snapshot:
        assert snapshot.commit == commit
        assert files_under(snapshot.directory)["deploy/app.yaml"] == APP


def test_http_with_a_token(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth)
    commit = seed(repo)
    creds = Credentials(token=git_http_auth.token)
    source = source_for(git_http_auth.server.repo_url(repo.name), tmp_path, credentials=creds)

    with source.fetch(source.resolve()) as snapshot:
        assert snapshot.commit == commit
    users = {r.user for r in git_http_auth.server.requests if r.status == 200}
    assert "git" in users


@pytest.mark.parametrize("step", ["resolve", "fetch"])
def test_wrong_password_fails_with_401_and_leaks_no_secret(
    step: str,
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
    tmp_path: Path,
    *,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    repo = git_repo_factory(git_http_auth)
    commit = seed(repo)
    wrong = "wrong-" + git_http_auth.password
    creds = Credentials(username=git_http_auth.username, password=wrong)
    source = source_for(git_http_auth.server.repo_url(repo.name), tmp_path, credentials=creds)

    with pytest.raises(SourceFetchError) as caught:
        source.resolve() if step == "resolve" else source.fetch(commit)

    err = caught.value
    assert err.code is ErrorCode.SOURCE_FETCH
    assert "authentication failed (HTTP 401)" in str(err)
    assert "Secret" in str(err)
    assert git_http_auth.server.repo_url(repo.name) in str(err)
    captured = capsys.readouterr()
    for text in (str(err), repr(err), caplog.text, captured.out, captured.err):
        assert wrong not in text
        assert git_http_auth.password not in text


def test_password_in_the_url_is_used_and_never_shown(
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = git_repo_factory(git_http_auth)
    commit = seed(repo)
    source = source_for(git_http_auth.repo_url(repo.name), tmp_path)

    with source.fetch(source.resolve()) as snapshot:
        assert snapshot.commit == commit
    assert git_http_auth.password not in source.url
    assert git_http_auth.password not in capsys.readouterr().out


def test_missing_credentials_say_authentication_is_required(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth)
    seed(repo)
    source = source_for(git_http_auth.server.repo_url(repo.name), tmp_path)

    with pytest.raises(SourceFetchError, match=r"authentication required \(HTTP 401\)"):
        source.resolve()


def test_git_daemon_resolves_and_fetches(
    git_daemon: GitDaemon, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_daemon)
    first = seed(repo)
    second = repo.commit({"deploy/app.yaml": None, "deploy/other.yaml": APP}, "swap")
    source = source_for(git_daemon.repo_url(repo.name), tmp_path, directory="deploy")

    assert source.resolve() == second
    with source.fetch(second) as later, source.fetch(first) as earlier:
        assert files_under(later.directory) == {"other.yaml": APP}
        assert files_under(earlier.directory) == {"app.yaml": APP}


def test_unknown_repository_on_the_daemon_is_a_fetch_error(
    git_daemon: GitDaemon, tmp_path: Path
) -> None:
    source = source_for(git_daemon.repo_url("missing"), tmp_path)

    with pytest.raises(SourceFetchError, match=r"^SD2004: ls-remote git://127\.0\.0\.1"):
        source.resolve()


@pytest.mark.parametrize("server_kind", ["http", "daemon"])
def test_shallow_fetch_transfers_only_the_needed_commit(
    server_kind: str,
    git_http: GitHttpServer,
    git_daemon: GitDaemon,
    git_repo_factory: GitRepoFactory,
    tmp_path: Path,
) -> None:
    server = git_http if server_kind == "http" else git_daemon
    repo = git_repo_factory(server)
    shas = [repo.commit({f"f{i:02}.txt": f"{i}\n"}, f"commit {i}") for i in range(30)]
    source = source_for(server.repo_url(repo.name), tmp_path)

    with source.fetch(source.resolve()) as head:
        cached = source.cache_path / "repo.git"
        assert head.commit == shas[-1]
        assert (cached / "shallow").read_text().split() == [shas[-1]]
        # One commit, one tree and 30 blobs, against 30 commits, 30 trees and 30 blobs.
        assert object_count(cached) == 32
        assert object_count(repo.bare_path) == 90
        assert len(files_under(head.directory)) == 30


def test_an_older_commit_is_fetched_after_a_shallow_head(
    git_http: GitHttpServer, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http)
    shas = [repo.commit({"n.txt": f"{i}\n"}, f"commit {i}") for i in range(10)]
    source = source_for(git_http.repo_url(repo.name), tmp_path)
    source.fetch(source.resolve()).release()

    older = source_for(git_http.repo_url(repo.name), tmp_path, revision=shas[2])
    with older.fetch(older.resolve()) as snapshot:
        assert snapshot.commit == shas[2]
        assert files_under(snapshot.directory) == {"n.txt": "2\n"}


def test_abbreviated_commit_resolves_over_http(
    git_http: GitHttpServer, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http)
    shas = [repo.commit({"n.txt": f"{i}\n"}, f"commit {i}") for i in range(5)]
    source = source_for(git_http.repo_url(repo.name), tmp_path, revision=shas[1][:10])

    assert source.resolve() == shas[1]


def test_a_commit_the_server_does_not_have_is_not_found(
    git_http: GitHttpServer, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http)
    seed(repo)
    absent = "2" * 40
    source = source_for(git_http.repo_url(repo.name), tmp_path, revision=absent)

    with pytest.raises(SourceFetchError, match=f"revision '{absent}' not found in http://"):
        source.fetch(source.resolve())


# -- TLS -----------------------------------------------------------------------


class _TlsRelay(socketserver.ThreadingTCPServer):
    """Terminates TLS on 127.0.0.1 and relays the bytes to a plain TCP port."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext, upstream_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _RelayHandler)
        self.context = context
        self.upstream_port = upstream_port


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)


class _RelayHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        relay = self.server
        assert isinstance(relay, _TlsRelay)
        try:
            tls = relay.context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that does not trust the certificate hangs up
        with tls, socket.create_connection(("127.0.0.1", relay.upstream_port)) as upstream:
            forward = threading.Thread(target=_pump, args=(tls, upstream), daemon=True)
            forward.start()
            _pump(upstream, tls)  # the HTTP/1.0 backend closes after each response
        forward.join(timeout=30)


@pytest.fixture
def https_git(git_http: GitHttpServer, tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """An https:// base URL in front of `git_http`, and the PEM of the CA that signed it."""
    pki = write_pki(tmp_path / "pki", now=dt.datetime.now(dt.UTC))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.serving_cert, pki.serving_key)
    relay = _TlsRelay(context, git_http.port)
    thread = threading.Thread(target=relay.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"https://127.0.0.1:{relay.server_address[1]}", pki.ca_cert.read_bytes()
    finally:
        relay.shutdown()
        relay.server_close()
        thread.join(timeout=10)


def test_https_with_a_private_ca_from_the_secret(
    https_git: tuple[str, bytes],
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    tmp_path: Path,
) -> None:
    base, ca_pem = https_git
    repo = git_repo_factory(git_http)
    commit = seed(repo)
    url = git_http.repo_url(repo.name).replace(git_http.url, base)

    source = source_for(url, tmp_path, credentials=Credentials(ca_cert_pem=ca_pem))

    with source.fetch(source.resolve()) as snapshot:
        assert snapshot.commit == commit


def test_https_with_an_untrusted_certificate_fails_unless_verification_is_off(
    https_git: tuple[str, bytes],
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    tmp_path: Path,
) -> None:
    base, _ = https_git
    repo = git_repo_factory(git_http)
    commit = seed(repo)
    url = git_http.repo_url(repo.name).replace(git_http.url, base)

    with pytest.raises(SourceFetchError, match="CERTIFICATE_VERIFY_FAILED"):
        source_for(url, tmp_path / "verify", timeout=10).resolve()
    insecure = source_for(url, tmp_path / "insecure", no_ssl_verify=True)
    with pytest.warns(Warning, match="Unverified HTTPS request"):
        assert insecure.resolve() == commit
