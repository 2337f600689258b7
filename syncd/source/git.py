"""The Git source, built on dulwich (with `git_transport`, the only modules that import it).

Owns `GitSource`: resolving a branch, tag or commit with one ls-remote;
fetching exactly the commit needed (shallow where the server allows,
deepening when it must) into one bare repository per URL and access; and
reading that commit's tree from the object store into a worktree leased to
the caller until the snapshot is released (`cache` owns the layout, the
lock, the leases and eviction, `cache_key` the naming, `checkout` the file
writing, `git_options` the options, which are re-exported here). Every
dulwich, OS and network failure leaves as a `SourceFetchError` (SD2004)
naming the step and the URL without credentials; credentials never reach a
message or a log line.

Source isolation: the cache store a source reads is keyed by its URL *and*
the login and TLS trust it presents (`cache_key.Access`), never by the URL
alone. Two answers come from that store without asking the remote: a full
commit sha is taken as is by `resolve()` and, when its objects or worktree
are already there, served by `fetch()`; and an abbreviated sha is expanded
from the store (after an ls-remote made with the source's own
credentials). Both can therefore only be served from what was fetched with
the same credentials: a source with other credentials, or none, for the
same URL has a store of its own, which starts empty, so its fetch asks the
remote with its own credentials and fails (SD2004) if they may not read it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from dulwich.client import GitClient
from dulwich.errors import GitProtocolError, NotGitRepository
from dulwich.object_store import peel_sha
from dulwich.objects import Blob, Commit, ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo

from syncd.core.errors import SourceFetchError
from syncd.core.ports import SourceSnapshot
from syncd.core.redact import redact_text
from syncd.logging import get_logger
from syncd.source.cache import SourceCache, safe_relative
from syncd.source.cache_key import Access
from syncd.source.checkout import TreeFile, write_tree
from syncd.source.git_options import GitSourceOptions, Transport, parse_remote
from syncd.source.git_transport import Step, new_client, translated
from syncd.source.tls import TlsContexts

if TYPE_CHECKING:
    from dulwich.client import DetermineWantsFunc

__all__ = ["GitSource", "GitSourceOptions", "Step", "TlsContexts"]

_FULL_SHA: Final = re.compile(r"[0-9a-f]{40}")
_SHORT_SHA: Final = re.compile(r"[0-9a-f]{4,39}")
_UNSHALLOW_DEPTH: Final = 0x7FFFFFFF  # git's "infinite" depth: deepen to the roots
_KEEP_WORKTREES: Final = 3
_PEELED_SUFFIX: Final = "^{}"


class GitSource:
    """A Git repository as a `syncd.core.ports.Source`.

    One instance is used by one thread at a time; instances for the same URL
    may share `cache_dir`, in one process or several. Those that present the
    same credentials share one store (a file lock per store serializes their
    fetches, and a snapshot's lease keeps its worktree in place until it is
    released); those that present others each have their own.
    """

    def __init__(
        self, options: GitSourceOptions, *, cache_dir: Path, tls: TlsContexts | None = None
    ) -> None:
        """Prepare to read `options.repo` (HTTPS with `tls`, else its own); no I/O yet."""
        self._options = options
        self._tls = tls or TlsContexts()
        self._remote = parse_remote(options)
        self._cache_dir = cache_dir
        self._access = Access(
            username=self._remote.username or "",
            password=self._remote.password or "",
            ca_cert_pem=options.credentials.ca_cert_pem if options.credentials else b"",
            no_ssl_verify=options.no_ssl_verify,
        )
        self._cache_of: SourceCache | None = None
        self._client: GitClient | None = None
        self._fetch_count = 0
        self._log = get_logger("source.git").bind(url=self._remote.url)

    @property
    def url(self) -> str:
        """The repository URL without credentials."""
        return self._remote.url

    @property
    def cache_path(self) -> Path:
        """The cache directory of this URL and access (`repo.git`, `worktrees/`, `lock`).

        Reads the cache root's salt (creating it on first use).
        """
        return self._cache.root

    @property
    def _cache(self) -> SourceCache:
        if self._cache_of is None:
            with self._step(Step.FETCH):
                self._cache_of = SourceCache.for_location(
                    self._cache_dir, self._remote.url, access=self._access
                )
        return self._cache_of

    @property
    def fetch_count(self) -> int:
        """How many fetches from the remote this instance has made."""
        return self._fetch_count

    # -- Source -------------------------------------------------------------

    def resolve(self) -> str:
        """The commit the configured revision points at now (one ls-remote).

        A full commit sha resolves to itself without I/O (`fetch` verifies it,
        from this source's own store or the remote); an abbreviated one is
        looked up in the history this source's credentials fetched.
        """
        revision = self._options.revision.strip()
        if not revision:
            candidates: tuple[str, ...] = (f"refs/heads/{self._options.branch}",)
            shown = self._options.branch
        elif _FULL_SHA.fullmatch(revision.lower()):
            return revision.lower()
        elif revision == "HEAD" or revision.startswith("refs/"):
            candidates, shown = (revision,), revision
        else:  # git's order: a tag wins over a branch of the same name
            candidates, shown = (f"refs/tags/{revision}", f"refs/heads/{revision}"), revision
        with self._step(Step.LS_REMOTE):
            refs = self._ls_remote(candidates)
            commit = self._match(refs, candidates)
        if commit is None and revision and _SHORT_SHA.fullmatch(revision.lower()):
            commit = self._resolve_abbreviated(revision.lower())
        if commit is None:
            raise SourceFetchError(f"revision '{shown}' not found in {self.url}")
        self._log.debug("source.git.resolved", revision=shown, commit=commit)
        return commit

    def fetch(self, commit: str) -> SourceSnapshot:
        """The tree of `commit` in a worktree, fetched or reused from the cache.

        The worktree is leased to the caller: no fetch by any source sharing
        the cache (another thread or process) evicts it until the snapshot is
        released. Every failure releases the lease before it raises.
        """
        commit = commit.strip().lower()
        if not _FULL_SHA.fullmatch(commit):
            raise SourceFetchError(f"fetch {self.url} failed: '{commit}' is not a full commit sha")
        with contextlib.ExitStack() as on_failure:
            with self._step(Step.FETCH), self._cache.locked():
                worktree = self._cache.reuse_worktree(commit)
                if worktree is None:
                    worktree = self._materialize(commit)
                lease = self._cache.lease(commit)
                on_failure.callback(lease.release)
                pruned = self._cache.prune_worktrees(keep=_KEEP_WORKTREES)
            if pruned.removed or pruned.held:
                self._log.debug(
                    "source.git.worktrees_pruned",
                    removed=list(pruned.removed),
                    held=list(pruned.held),
                )
            with self._step(Step.FETCH):
                self._cache.empty_trash()
            directory = worktree / safe_relative(self._options.directory)
            if not directory.is_dir() or not directory.resolve().is_relative_to(worktree.resolve()):
                raise SourceFetchError(
                    f"directory '{self._options.directory}' not found in commit {commit[:7]} "
                    f"of {self.url}"
                )
            on_failure.pop_all()
        return SourceSnapshot(
            commit=commit, directory=directory, release=lease.release, checkout=worktree
        )

    # -- ls-remote ----------------------------------------------------------

    def _ls_remote(self, candidates: Sequence[str]) -> Mapping[str, str]:
        client = self._get_client()
        prefixes = [name.encode() for name in candidates]
        result = client.get_refs(self._remote.path.encode(), ref_prefix=prefixes)
        return {
            name.decode(errors="replace"): sha.decode()
            for name, sha in result.refs.items()
            if sha is not None
        }

    def _match(self, refs: Mapping[str, str], candidates: Sequence[str]) -> str | None:
        for name in candidates:
            sha = refs.get(name)
            if sha is None:
                continue
            peeled = refs.get(name + _PEELED_SUFFIX)
            if peeled is not None:
                return peeled
            if self._remote.transport is Transport.LOCAL and name.startswith("refs/tags/"):
                return self._peel_local(sha)  # local ls-remote carries no peeled values
            return sha
        return None

    def _peel_local(self, sha: str) -> str:
        with Repo(self._remote.path) as source:
            _, target = peel_sha(source.object_store, ObjectID(sha.encode()))
            return str(target.id.decode())

    def _resolve_abbreviated(self, prefix: str) -> str | None:
        with self._step(Step.FETCH), self._cache.locked(), self._cache_repo() as repo:
            matches = self._commits_with_prefix(repo, prefix)
            if not matches:
                self._fetch_all_history(repo)
                matches = self._commits_with_prefix(repo, prefix)
        if len(matches) > 1:
            raise SourceFetchError(
                f"revision '{prefix}' is ambiguous in {self.url}: it matches "
                f"{len(matches)} commits; use more digits or the full sha"
            )
        return matches[0] if matches else None

    @staticmethod
    def _commits_with_prefix(repo: Repo, prefix: str) -> list[str]:
        store = repo.object_store
        return sorted(
            sha.decode()
            for sha in store.iter_prefix(prefix.encode())
            if store[sha].type_name == Commit.type_name
        )

    # -- fetch --------------------------------------------------------------

    def _materialize(self, commit: str) -> Path:
        want = ObjectID(commit.encode())
        with self._cache_repo() as repo:
            if want not in repo.object_store:
                self._fetch_commit(repo, want)
            obj = repo.object_store[want]
            if not isinstance(obj, Commit):
                raise SourceFetchError(
                    f"fetch {self.url} failed: {commit} is a {obj.type_name.decode()}, not a commit"
                )
            with self._step(Step.CHECKOUT):
                return self._cache.install_worktree(
                    commit, lambda dest: self._write_tree(repo, obj.tree, dest, commit)
                )

    def _fetch_commit(self, repo: Repo, want: ObjectID) -> None:
        """Fetch `want` alone (shallow when allowed), else the whole history."""
        branch = Ref(f"refs/heads/{self._options.branch}".encode())

        def only_want(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            return [want]

        try:
            self._transport_fetch(repo, only_want, self._options.depth, [branch])
        except (GitProtocolError, KeyError) as exc:  # the server refused this want or depth
            self._log.info(
                "source.git.fetch_fallback",
                commit=want.decode(),
                reason=redact_text(str(exc) or type(exc).__name__, self._remote.secrets),
            )
        if want not in repo.object_store:
            self._fetch_all_history(repo)
        if want not in repo.object_store:
            raise SourceFetchError(f"revision '{want.decode()}' not found in {self.url}")

    def _fetch_all_history(self, repo: Repo) -> None:
        """Fetch every branch and tag with full history (unshallowing the cache)."""
        store = repo.object_store
        shallow = bool(repo.get_shallow())

        def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            tips = {
                sha
                for name, sha in refs.items()
                if name.startswith((b"refs/heads/", b"refs/tags/"))
                and not name.endswith(_PEELED_SUFFIX.encode())
            }
            # A shallow cache must ask for tips it has too, to receive their history.
            return sorted(tips if shallow else {sha for sha in tips if sha not in store})

        depth = _UNSHALLOW_DEPTH if shallow else None
        self._transport_fetch(repo, wants, depth, [Ref(b"refs/heads/"), Ref(b"refs/tags/")])

    def _transport_fetch(
        self,
        repo: Repo,
        wants: DetermineWantsFunc,
        depth: int | None,
        ref_prefix: Sequence[Ref],
    ) -> None:
        client = self._get_client()
        self._fetch_count += 1
        client.fetch(
            self._remote.path.encode(),
            repo,
            determine_wants=wants,
            depth=depth,
            ref_prefix=list(ref_prefix),
        )
        self._log.debug("source.git.fetched", depth=depth, shallow=bool(repo.get_shallow()))

    # -- checkout -----------------------------------------------------------

    def _write_tree(self, repo: Repo, tree: ObjectID, dest: Path, commit: str) -> None:
        store = repo.object_store

        def reader(path: str, sha: ObjectID) -> Callable[[], bytes]:
            def read() -> bytes:
                blob = store[sha]
                if not isinstance(blob, Blob):
                    raise SourceFetchError(f"checkout {self.url} failed: {path} is not a blob")
                return blob.as_raw_string()

            return read

        entries = (
            TreeFile(path=path, mode=entry.mode, read=reader(path, entry.sha))
            for entry in store.iter_tree_contents(tree)
            for path in (os.fsdecode(entry.path),)
        )
        written = write_tree(dest, entries)
        for skipped in written.skipped:
            self._log.info("source.git.entry_skipped", path=skipped.path, reason=skipped.reason)
        self._log.info(
            "source.git.checked_out", commit=commit, files=written.files, links=written.links
        )

    # -- plumbing -----------------------------------------------------------

    @contextlib.contextmanager
    def _cache_repo(self) -> Iterator[Repo]:
        """The cache's bare repository, created (or recreated if broken) on first use."""
        path = self._cache.repo_path
        try:
            repo = Repo(str(path))
        except NotGitRepository:
            shutil.rmtree(path, ignore_errors=True)
            repo = Repo.init_bare(str(path), mkdir=True)
        try:
            yield repo
        finally:
            repo.close()

    def _get_client(self) -> GitClient:
        if self._client is None:
            self._client = new_client(self._remote, self._options, tls=self._tls)
        return self._client

    def _step(self, step: Step) -> contextlib.AbstractContextManager[None]:
        """Translate third-party failures inside `step` into SourceFetchError."""
        return translated(step, self._remote)
