"""Source isolation: commits fetched with one sync's credentials are never served to another.

Two tenants' repositories on the real Git HTTP server, each readable only by
its own tenant (per-repository access), and one shared cache root, as in one
controller. A source that names the first tenant's URL with the second
tenant's credentials (or none), and pins the commit the first one fetched,
must ask the server itself and be refused, even though that commit sits in
the cache root already.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.servers import GitHttpTenants, GitRepoFactory
from syncd.core.errors import ErrorCode, SourceFetchError
from syncd.core.ports import Credentials
from syncd.devenv.gitrepo import GitRepo
from syncd.source.git import GitSource, GitSourceOptions

pytestmark = pytest.mark.e2e

APP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  k: v\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenants:
    """Repository A (tenant a's), repository B (tenant b's), their commits and one cache root."""

    git: GitHttpTenants
    repo_a: GitRepo
    repo_b: GitRepo
    sha_a: str
    sha_b: str
    cache: Path

    def source(self, repo: GitRepo, creds: Credentials | None, *, revision: str = "") -> GitSource:
        url = self.git.server.repo_url(repo.name)
        return GitSource(
            GitSourceOptions(repo=url, credentials=creds, revision=revision, directory="deploy"),
            cache_dir=self.cache,
        )

    def secrets(self) -> list[str]:
        return [t.password for t in (self.git.a, self.git.b)] + [
            t.token for t in (self.git.a, self.git.b)
        ]


@pytest.fixture
def tenants(
    git_http_tenants: GitHttpTenants, git_repo_factory: GitRepoFactory, tmp_path: Path
) -> Tenants:
    repo_a = git_repo_factory(git_http_tenants, prefix="team-a")
    repo_b = git_repo_factory(git_http_tenants, prefix="team-b")
    sha_a = repo_a.commit({"deploy/app.yaml": APP, "deploy/a-only.yaml": APP}, "team a")
    sha_b = repo_b.commit({"deploy/app.yaml": APP}, "team b")
    git_http_tenants.own(repo_a, git_http_tenants.a)
    git_http_tenants.own(repo_b, git_http_tenants.b)
    return Tenants(
        git=git_http_tenants,
        repo_a=repo_a,
        repo_b=repo_b,
        sha_a=sha_a,
        sha_b=sha_b,
        cache=tmp_path / "cache",
    )


def basic(tenant_name: str, password: str) -> Credentials:
    return Credentials(username=tenant_name, password=password)


def fetched_by_a(t: Tenants) -> GitSource:
    """Tenant a's source has fetched its commit into the shared cache root."""
    source = t.source(t.repo_a, basic(t.git.a.name, t.git.a.password))
    with source.fetch(source.resolve()) as snapshot:
        assert snapshot.commit == t.sha_a
        assert (snapshot.directory / "a-only.yaml").read_text() == APP
    return source


def assert_refused(t: Tenants, source: GitSource, commit: str, *, status: str) -> None:
    """`source` gets SD2004 naming the URL and the answer, never a snapshot or a secret."""
    with pytest.raises(SourceFetchError) as caught:
        source.fetch(commit)
    message = str(caught.value)
    assert caught.value.code is ErrorCode.SOURCE_FETCH
    assert message.startswith(f"SD2004: fetch {t.git.server.repo_url(t.repo_a.name)} failed:")
    assert status in message, message
    for secret in t.secrets():
        assert secret not in message
        assert secret not in repr(caught.value)


@pytest.mark.parametrize("who", ["b-password", "b-token", "b-in-url", "anonymous"])
def test_a_commit_fetched_with_one_tenants_credentials_is_not_served_to_another(
    tenants: Tenants, who: str
) -> None:
    t, b = tenants, tenants.git.b
    fetched = fetched_by_a(t)
    creds = {
        "b-password": basic(b.name, b.password),
        "b-token": Credentials(token=b.token),
        "b-in-url": None,
        "anonymous": None,
    }[who]
    url = t.git.server.repo_url(t.repo_a.name)
    if who == "b-in-url":
        url = t.git.server.repo_url(t.repo_a.name, username=b.name, password=b.password)
    thief = GitSource(
        GitSourceOptions(repo=url, credentials=creds, revision=t.sha_a, directory="deploy"),
        cache_dir=t.cache,
    )
    before = len(t.git.server.requests)

    assert thief.resolve() == t.sha_a  # a full sha is taken as is, without I/O
    assert_refused(t, thief, t.sha_a, status="HTTP 401" if who == "anonymous" else "HTTP 404")

    assert thief.cache_path != fetched.cache_path
    assert thief.cache_path.parent == fetched.cache_path.parent == t.cache
    asked = t.git.server.requests[before:]
    assert asked, "the refused source must have asked the server itself"
    assert all(r.status in (401, 404) for r in asked), asked
    assert not (thief.cache_path / "worktrees" / t.sha_a).exists()
    # An abbreviated sha is refused at the ls-remote, before the store is read.
    short = GitSource(
        GitSourceOptions(repo=url, credentials=creds, revision=t.sha_a[:10]), cache_dir=t.cache
    )
    with pytest.raises(SourceFetchError, match=r"^SD2004: ls-remote "):
        short.resolve()


def test_a_refused_source_racing_the_owner_is_never_served(tenants: Tenants) -> None:
    t = tenants
    owner = t.source(t.repo_a, basic(t.git.a.name, t.git.a.password))

    def steal() -> str:
        thief = t.source(t.repo_a, basic(t.git.b.name, t.git.b.password), revision=t.sha_a)
        try:
            with thief.fetch(thief.resolve()) as snapshot:
                return f"served {snapshot.commit}"
        except SourceFetchError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        thefts = [pool.submit(steal) for _ in range(3)]
        with owner.fetch(owner.resolve()) as snapshot:
            assert snapshot.commit == t.sha_a
        outcomes = [theft.result(timeout=120) for theft in thefts]

    assert all(o.startswith("SD2004: ") and "(HTTP 404)" in o for o in outcomes), outcomes


def test_each_tenant_syncs_its_own_repository_from_the_shared_cache_root(
    tenants: Tenants,
) -> None:
    t = tenants
    fetched = fetched_by_a(t)

    own = t.source(t.repo_b, Credentials(token=t.git.b.token))
    with own.fetch(own.resolve()) as snapshot:
        assert snapshot.commit == t.sha_b
        assert sorted(p.name for p in snapshot.directory.iterdir()) == ["app.yaml"]
    assert own.cache_path.parent == t.cache

    # The same login shares the store: tenant a's second source fetches nothing.
    again = t.source(t.repo_a, basic(t.git.a.name, t.git.a.password), revision=t.sha_a)
    with again.fetch(again.resolve()) as snapshot:
        assert snapshot.commit == t.sha_a
    assert again.cache_path == fetched.cache_path
    assert again.fetch_count == 0
