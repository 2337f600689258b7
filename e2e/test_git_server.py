"""Smoke tests of the real Git servers: git CLI and dulwich against them."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from dulwich import porcelain
from dulwich.client import HTTPUnauthorized

from e2e.servers import GitHttpAuth, GitHttpTenants, GitRepoFactory
from syncd.devenv.gitrepo import git_env, repo_dir_name
from syncd.devenv.gitserver import GitDaemon, GitHttpServer

pytestmark = pytest.mark.e2e

APP_YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: v\n"


def git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real git CLI isolated from user config, never prompting."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=git_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def raw_get(url: str, authorization: str | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url)
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def statuses_for(server: GitHttpServer, name: str) -> list[int]:
    prefix = f"/{repo_dir_name(name)}/"
    return [r.status for r in server.requests if r.path.startswith(prefix)]


def test_clone_with_basic_credentials(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth)
    sha = repo.commit({"deploy/app.yaml": APP_YAML}, "add app")
    assert sha == repo.head()

    ok(git("clone", "-q", git_http_auth.repo_url(repo.name), str(tmp_path / "clone")))

    assert (tmp_path / "clone" / "deploy" / "app.yaml").read_text() == APP_YAML
    assert ok(git("rev-parse", "HEAD", cwd=tmp_path / "clone")) == sha
    users = {
        r.user
        for r in git_http_auth.server.requests
        if r.path.startswith(f"/{repo_dir_name(repo.name)}/") and r.status == 200
    }
    assert users == {"alice"}


def test_wrong_password_is_rejected_with_401(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth)
    sha = repo.commit({"a.txt": "a\n"}, "a")
    server = git_http_auth.server
    wrong = "not-" + git_http_auth.password

    result = git(
        "clone", server.repo_url(repo.name, username="alice", password=wrong), str(tmp_path / "c")
    )

    assert result.returncode != 0
    assert "Authentication failed" in result.stderr
    assert wrong not in result.stderr
    assert 401 in statuses_for(server, repo.name)
    assert 200 not in statuses_for(server, repo.name)

    refs = f"{server.repo_url(repo.name)}/info/refs?service=git-upload-pack"
    status, headers, _ = raw_get(refs)
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="syncd-test"'
    status, _, _ = raw_get(refs, basic("alice", wrong))
    assert status == 401
    status, headers, body = raw_get(refs, basic("anyone", git_http_auth.token))
    assert status == 200
    assert headers["Content-Type"] == "application/x-git-upload-pack-advertisement"
    assert sha.encode() in body


def test_token_works_as_password(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth, branch="trunk")
    sha = repo.commit({"x.txt": "x\n"}, "x")

    out = ok(git("ls-remote", git_http_auth.repo_url(repo.name, use_token=True)))

    assert f"{sha}\trefs/heads/trunk" in out.splitlines()
    ok(git("clone", "-q", git_http_auth.repo_url(repo.name, use_token=True), str(tmp_path / "c")))
    assert (tmp_path / "c" / "x.txt").read_text() == "x\n"


def test_open_server_needs_no_credentials(
    git_http: GitHttpServer, git_repo_factory: GitRepoFactory
) -> None:
    repo = git_repo_factory(git_http)
    sha = repo.commit({"x.txt": "x\n"}, "x")
    tag_sha = repo.tag("v1.0.0", message="release")

    out = ok(git("ls-remote", git_http.repo_url(repo.name)))

    assert tag_sha == sha
    assert f"{sha}\trefs/heads/main" in out.splitlines()
    assert f"{sha}\trefs/tags/v1.0.0^{{}}" in out.splitlines()


def test_git_daemon_lists_branches(git_daemon: GitDaemon, git_repo_factory: GitRepoFactory) -> None:
    repo = git_repo_factory(git_daemon)
    main = repo.commit({"a.txt": "1\n"}, "one")
    feature = repo.commit({"a.txt": "2\n", "b.txt": "b\n"}, "two", branch="feature")

    out = ok(git("ls-remote", git_daemon.repo_url(repo.name)))

    lines = out.splitlines()
    assert f"{main}\trefs/heads/main" in lines
    assert f"{feature}\trefs/heads/feature" in lines
    assert ok(git("rev-parse", f"{feature}^", cwd=repo.bare_path)) == main


def test_push_over_http_with_auth(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth)
    repo.commit({"a.txt": "a\n"}, "a")
    clone = tmp_path / "clone"
    ok(git("clone", "-q", git_http_auth.repo_url(repo.name), str(clone)))
    big = os.urandom(1_500_000)  # above http.postBuffer: git sends a chunked body
    (clone / "big.bin").write_bytes(big)
    (clone / "pushed.txt").write_text("pushed\n")
    ok(git("add", "-A", cwd=clone))
    ok(git("commit", "-q", "-m", "from a client", cwd=clone))
    pushed = ok(git("rev-parse", "HEAD", cwd=clone))

    ok(git("push", "-q", "origin", "HEAD:main", cwd=clone))

    assert repo.head() == pushed
    assert ok(git("show", "main:pushed.txt", cwd=repo.bare_path)) == "pushed"
    receive = [
        r
        for r in git_http_auth.server.requests
        if r.path == f"/{repo_dir_name(repo.name)}/git-receive-pack"
    ]
    assert receive
    assert all(r.status == 200 and r.user == "alice" for r in receive)
    assert any(r.chunked for r in receive)
    # The helper builds on what a client pushed.
    after = repo.commit({"later.txt": "later\n"}, "later")
    assert ok(git("rev-parse", f"{after}^", cwd=repo.bare_path)) == pushed


def test_gzip_fetch_negotiation(
    git_http: GitHttpServer, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http)
    repo.commit({"a.txt": "a\n"}, "a")
    clone = tmp_path / "clone"
    ok(git("clone", "-q", git_http.repo_url(repo.name), str(clone)))
    # Many local-only commits make the fetch's "have" list big enough to be gzipped.
    # Their future dates put them ahead of the common commit in the negotiation walk.
    script = "".join(
        f"commit refs/heads/local\ncommitter t <t@example.invalid> {4000000000 + i} +0000\n"
        f"data 2\n{i % 10}\n" + ("from refs/heads/main\n" if i == 0 else "") + "\n"
        for i in range(80)
    )
    fast = subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=clone,
        env=git_env(),
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert fast.returncode == 0, fast.stderr
    ok(git("checkout", "-q", "local", cwd=clone))
    new = repo.commit({"b.txt": "b\n"}, "b")

    ok(git("fetch", "-q", "origin", cwd=clone))

    assert ok(git("rev-parse", "origin/main", cwd=clone)) == new
    posts = [r for r in git_http.requests if r.path.endswith("/git-upload-pack")]
    assert any(r.content_encoding == "gzip" and r.status == 200 for r in posts)


def test_dulwich_clones_with_credentials(
    git_http_auth: GitHttpAuth, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo_factory(git_http_auth)
    sha = repo.commit({"deploy/app.yaml": APP_YAML}, "add app")
    url = git_http_auth.server.repo_url(repo.name)

    cloned = porcelain.clone(
        url,
        str(tmp_path / "dul"),
        username=git_http_auth.username,
        password=git_http_auth.password,
        errstream=io.BytesIO(),
    )
    try:
        assert cloned.head().decode() == sha
    finally:
        cloned.close()
    assert (tmp_path / "dul" / "deploy" / "app.yaml").read_text() == APP_YAML

    with pytest.raises(HTTPUnauthorized):
        porcelain.clone(
            url,
            str(tmp_path / "dul-bad"),
            username="alice",
            password="wrong",
            errstream=io.BytesIO(),
        )


# -- per-repository access -------------------------------------------------------


def test_each_tenant_reads_only_its_own_repository_with_its_password_or_token(
    git_http_tenants: GitHttpTenants, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    tenants, server = git_http_tenants, git_http_tenants.server
    repo_a, repo_b = git_repo_factory(tenants, prefix="a"), git_repo_factory(tenants, prefix="b")
    sha_a, sha_b = repo_a.commit({"a.txt": "a\n"}, "a"), repo_b.commit({"b.txt": "b\n"}, "b")
    tenants.own(repo_a, tenants.a)
    tenants.own(repo_b, tenants.b)
    a = tenants.a

    for password in (a.password, a.token):
        url = server.repo_url(repo_a.name, username=a.name, password=password)
        assert f"{sha_a}\trefs/heads/main" in ok(git("ls-remote", url)).splitlines()
    for password in (a.password, a.token):
        url = server.repo_url(repo_b.name, username=a.name, password=password)
        denied = git("clone", url, str(tmp_path / "stolen"))
        assert denied.returncode != 0
        assert "not found" in denied.stderr
        assert password not in denied.stderr
        assert sha_b not in denied.stderr
    assert not (tmp_path / "stolen").exists()

    # git asks without credentials first (401), then with them: refused, recorded.
    b_answers = {
        (r.status, r.user) for r in server.requests if r.path.startswith(f"/{repo_b.name}")
    }
    assert b_answers == {(401, None), (404, a.name)}
    # A token proves its identity whatever user name comes with it.
    url = server.repo_url(repo_b.name, username=a.name, password=tenants.b.token)
    assert f"{sha_b}\trefs/heads/main" in ok(git("ls-remote", url)).splitlines()
    assert server.requests[-1].user == tenants.b.name


def test_a_denied_repository_is_hidden_behind_every_path_that_reaches_it(
    git_http_tenants: GitHttpTenants, git_repo_factory: GitRepoFactory
) -> None:
    tenants = git_http_tenants
    repo = git_repo_factory(tenants, prefix="hidden")
    sha = repo.commit({"x.txt": "x\n"}, "x")
    tenants.own(repo, tenants.b)
    base, bare = tenants.server.url, repo.name.removesuffix(".git")
    paths = [
        f"/{bare}.git/info/refs?service=git-upload-pack",
        f"/{bare}/info/refs?service=git-upload-pack",  # http-backend finds NAME.git
        f"//{bare}.git/info/refs?service=git-upload-pack",
        f"/./{bare}.git/info/refs",
        f"/{bare}.git/HEAD",
        f"/{bare}.git/objects/info/packs",
        f"/{bare}.git/objects/{sha[:2]}/{sha[2:]}",
    ]

    for path in paths:
        status, _, body = raw_get(base + path, basic(tenants.a.name, tenants.a.password))
        assert (status, body) == (404, b"repository not found\n"), path
        status, _, body = raw_get(base + path, basic("anyone", tenants.a.token))
        assert status == 404, path
        status, _, _ = raw_get(base + path, basic(tenants.a.name, "wrong"))
        assert status == 401, path
    status, _, body = raw_get(base + paths[1], basic(tenants.b.name, tenants.b.password))
    assert status == 200
    assert sha.encode() in body


def test_unscoped_tokens_and_unlisted_repositories_keep_todays_rules(
    git_repo_factory: GitRepoFactory, tmp_path: Path
) -> None:
    with GitHttpServer(
        tmp_path / "repos", users={"alice": "pw-a", "bob": "pw-b"}, tokens=["shared"]
    ) as server:
        open_repo = git_repo_factory(server, prefix="open")
        private = git_repo_factory(server, prefix="private")
        open_repo.commit({"o.txt": "o\n"}, "o")
        private.commit({"p.txt": "p\n"}, "p")
        server.set_access(private.name, ["alice"])

        def status_of(name: str, user: str, password: str) -> int:
            url = f"{server.repo_url(name)}/info/refs?service=git-upload-pack"
            return raw_get(url, basic(user, password))[0]

        assert status_of(open_repo.name, "bob", "pw-b") == 200
        assert status_of(open_repo.name, "anyone", "shared") == 200
        assert status_of(private.name, "alice", "pw-a") == 200
        assert status_of(private.name, "bob", "pw-b") == 404
        # An unscoped token proves no identity, even with an allowed user name.
        assert status_of(private.name, "alice", "shared") == 404
        assert [r.user for r in server.requests[-2:]] == ["bob", "alice"]

        server.set_access(private.name, None)
        assert status_of(private.name, "bob", "pw-b") == 200
        with pytest.raises(ValueError, match="carol"):
            server.set_access(private.name, ["carol"])
    with pytest.raises(ValueError, match="nobody"):
        GitHttpServer(tmp_path / "other", users={"alice": "pw"}, access={"r": ["nobody"]})
