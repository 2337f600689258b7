"""Pytest plugin: real Git servers and OCI registries for the e2e suite.

Owns the session fixtures `git_http`, `git_http_auth`, `git_http_tenants`,
`git_daemon`, `oci_registry` and `oci_registry_auth`, and the per-test
`git_repo_factory`.
Every server is the real program bound to 127.0.0.1 on a free port, with its
files under pytest's temporary directory; credentials are random per session.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest

from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.gitserver import GitDaemon, GitHttpServer
from syncd.devenv.registry import OciRegistry


class _ServesRoot(Protocol):
    @property
    def root(self) -> Path: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHttpAuth:
    """A Basic-auth Git HTTP server and the credentials it accepts."""

    server: GitHttpServer
    username: str
    password: str = field(repr=False)
    token: str = field(repr=False)

    def repo_url(self, name: str, *, use_token: bool = False) -> str:
        """Clone URL of `name` with the password (or the token) embedded."""
        if use_token:
            return self.server.repo_url(name, username="x-token", password=self.token)
        return self.server.repo_url(name, username=self.username, password=self.password)


@dataclass(frozen=True, slots=True, kw_only=True)
class GitTenant:
    """One identity on the tenants' server: a user with a password, and a token proving it."""

    name: str
    password: str = field(repr=False)
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHttpTenants:
    """A Basic-auth Git HTTP server with two identities and per-repository access.

    A repository is open to both tenants until `own` gives it to one of them.
    """

    server: GitHttpServer
    a: GitTenant
    b: GitTenant

    def own(self, repo: GitRepo, tenant: GitTenant) -> None:
        """From now on, only `tenant` (its password or its token) may read `repo`."""
        self.server.set_access(repo.name, {tenant.name})


@dataclass(frozen=True, slots=True, kw_only=True)
class OciRegistryAuth:
    """An htpasswd-protected registry and the credentials it accepts."""

    registry: OciRegistry
    username: str
    password: str = field(repr=False)


class GitRepoFactory(Protocol):
    """Creates a uniquely named repository under a server's root."""

    def __call__(
        self,
        where: _ServesRoot | GitHttpAuth | GitHttpTenants | Path,
        *,
        prefix: str = "repo",
        branch: str = "main",
    ) -> GitRepo: ...


@pytest.fixture(scope="session")
def git_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    """Smart-HTTP Git (real `git http-backend`) without auth."""
    work = tmp_path_factory.mktemp("git-http")
    with GitHttpServer(work / "repos", log_path=work / "http-backend.log") as server:
        yield server


@pytest.fixture(scope="session")
def git_http_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpAuth]:
    """Smart-HTTP Git requiring Basic auth: user `alice` or any user with the token."""
    work = tmp_path_factory.mktemp("git-http-auth")
    password, token = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
    with GitHttpServer(
        work / "repos",
        users={"alice": password},
        tokens=[token],
        log_path=work / "http-backend.log",
    ) as server:
        yield GitHttpAuth(server=server, username="alice", password=password, token=token)


@pytest.fixture(scope="session")
def git_http_tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpTenants]:
    """Smart-HTTP Git with tenants `team-a` and `team-b`, each a user and a token of its own."""
    work = tmp_path_factory.mktemp("git-http-tenants")
    a, b = (
        GitTenant(name=name, password=secrets.token_urlsafe(16), token=secrets.token_urlsafe(24))
        for name in ("team-a", "team-b")
    )
    with GitHttpServer(
        work / "repos",
        users={a.name: a.password, b.name: b.password},
        tokens={a.token: a.name, b.token: b.name},
        log_path=work / "http-backend.log",
    ) as server:
        yield GitHttpTenants(server=server, a=a, b=b)


@pytest.fixture(scope="session")
def git_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    """The real `git daemon` serving git:// (pushes enabled)."""
    work = tmp_path_factory.mktemp("git-daemon")
    with GitDaemon(work / "repos", work_dir=work) as daemon:
        yield daemon


@pytest.fixture
def git_repo_factory() -> GitRepoFactory:
    """Create uniquely named repositories: `factory(server_or_root, *, prefix, branch)`."""

    def create(
        where: _ServesRoot | GitHttpAuth | GitHttpTenants | Path,
        *,
        prefix: str = "repo",
        branch: str = "main",
    ) -> GitRepo:
        if isinstance(where, GitHttpAuth | GitHttpTenants):
            root = where.server.root
        elif isinstance(where, Path):
            root = where
        else:
            root = where.root
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        return GitRepo.create(root, name, branch=branch)

    return create


@pytest.fixture(scope="session")
def oci_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    """Distribution 2.8 without auth."""
    with OciRegistry(tmp_path_factory.mktemp("registry")) as registry:
        yield registry


@pytest.fixture(scope="session")
def oci_registry_auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistryAuth]:
    """Distribution 2.8 with htpasswd auth for user `syncd` and a random password."""
    password = secrets.token_urlsafe(16)
    with OciRegistry(
        tmp_path_factory.mktemp("registry-auth"), users={"syncd": password}
    ) as registry:
        yield OciRegistryAuth(registry=registry, username="syncd", password=password)
