"""The Git source against local repositories written with the real git CLI."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from syncd.core.errors import ErrorCode, SourceFetchError, SyncSpecError
from syncd.core.ports import OUTSIDE_TREE_LINK, Credentials, SourceSnapshot
from syncd.core.redact import redact_text, redact_url
from syncd.devenv.gitrepo import GitRepo
from syncd.source.cache import SourceCache
from syncd.source.cache_key import ANONYMOUS
from syncd.source.checkout import Skipped, SkipReason, TreeFile, write_tree
from syncd.source.git import GitSource, GitSourceOptions

APP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"

UrlOf = Callable[[GitRepo], str]

URL_STYLES: dict[str, UrlOf] = {
    "file-url": lambda repo: repo.bare_path.as_uri(),
    "plain-path": lambda repo: str(repo.bare_path),
}


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.create(tmp_path / "repos", "config")


@pytest.fixture(params=sorted(URL_STYLES))
def url_of(request: pytest.FixtureRequest) -> UrlOf:
    return URL_STYLES[request.param]


def make_source(tmp_path: Path, url: str, **options: object) -> GitSource:
    return GitSource(GitSourceOptions(repo=url, **options), cache_dir=tmp_path / "cache")


def files_under(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# -- resolve -------------------------------------------------------------------


def test_resolve_returns_the_head_of_the_branch(
    tmp_path: Path, repo: GitRepo, url_of: UrlOf
) -> None:
    repo.commit({"a.yaml": APP}, "one")
    head = repo.commit({"b.yaml": APP}, "two")
    repo.commit({"c.yaml": APP}, "elsewhere", branch="feature")

    assert make_source(tmp_path, url_of(repo)).resolve() == head


def test_resolve_follows_the_configured_branch(tmp_path: Path, repo: GitRepo) -> None:
    repo.commit({"a.yaml": APP}, "one")
    feature = repo.commit({"b.yaml": APP}, "two", branch="feature")

    source = make_source(tmp_path, str(repo.bare_path), branch="feature")

    assert source.resolve() == feature


def test_resolve_picks_up_a_new_commit_on_the_branch(
    tmp_path: Path, repo: GitRepo, url_of: UrlOf
) -> None:
    first = repo.commit({"a.yaml": APP}, "one")
    source = make_source(tmp_path, url_of(repo))
    assert source.resolve() == first

    second = repo.commit({"b.yaml": APP}, "two")

    assert source.resolve() == second


def test_resolve_returns_the_commit_of_a_lightweight_tag(
    tmp_path: Path, repo: GitRepo, url_of: UrlOf
) -> None:
    tagged = repo.commit({"a.yaml": APP}, "one")
    repo.tag("v1", tagged)
    repo.commit({"b.yaml": APP}, "two")

    assert make_source(tmp_path, url_of(repo), revision="v1").resolve() == tagged


def test_resolve_peels_an_annotated_tag_to_its_commit(
    tmp_path: Path, repo: GitRepo, url_of: UrlOf
) -> None:
    tagged = repo.commit({"a.yaml": APP}, "one")
    repo.tag("v2", tagged, message="release 2")
    repo.commit({"b.yaml": APP}, "two")
    tag_object = repo.git_bare("rev-parse", "refs/tags/v2")

    resolved = make_source(tmp_path, url_of(repo), revision="v2").resolve()

    assert tag_object != tagged
    assert resolved == tagged


def test_resolve_prefers_a_tag_over_a_branch_of_the_same_name(
    tmp_path: Path, repo: GitRepo
) -> None:
    tagged = repo.commit({"a.yaml": APP}, "one")
    repo.tag("release", tagged)
    repo.commit({"b.yaml": APP}, "two", branch="release")

    assert make_source(tmp_path, str(repo.bare_path), revision="release").resolve() == tagged


def test_resolve_returns_a_full_commit_without_contacting_the_remote(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789ABCDEF01234567"
    source = make_source(tmp_path, str(tmp_path / "does-not-exist"), revision=sha)

    assert source.resolve() == sha.lower()
    assert source.fetch_count == 0


def test_resolve_expands_an_abbreviated_commit(
    tmp_path: Path, repo: GitRepo, url_of: UrlOf
) -> None:
    older = repo.commit({"a.yaml": APP}, "one")
    repo.commit({"b.yaml": APP}, "two")
    repo.commit({"c.yaml": APP}, "three")

    source = make_source(tmp_path, url_of(repo), revision=older[:9])

    assert source.resolve() == older


def test_unknown_revision_is_a_fetch_error_naming_revision_and_url(
    tmp_path: Path, repo: GitRepo
) -> None:
    repo.commit({"a.yaml": APP}, "one")
    source = make_source(tmp_path, str(repo.bare_path), revision="v9.9.9")

    with pytest.raises(SourceFetchError) as caught:
        source.resolve()

    assert caught.value.code is ErrorCode.SOURCE_FETCH
    assert f"revision 'v9.9.9' not found in {repo.bare_path}" in str(caught.value)


def test_unknown_branch_is_a_fetch_error(tmp_path: Path, repo: GitRepo) -> None:
    repo.commit({"a.yaml": APP}, "one")
    source = make_source(tmp_path, repo.bare_path.as_uri(), branch="nope")

    with pytest.raises(SourceFetchError, match="revision 'nope' not found in file://"):
        source.resolve()


def test_unknown_abbreviated_commit_is_a_fetch_error(tmp_path: Path, repo: GitRepo) -> None:
    head = repo.commit({"a.yaml": APP}, "one")
    absent = "0000000" if not head.startswith("0000000") else "fffffff"
    source = make_source(tmp_path, str(repo.bare_path), revision=absent)

    with pytest.raises(SourceFetchError, match=f"revision '{absent}' not found"):
        source.resolve()


def test_missing_repository_is_a_fetch_error_naming_the_step(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.git"

    with pytest.raises(SourceFetchError) as caught:
        make_source(tmp_path, str(missing)).resolve()

    assert caught.value.code is ErrorCode.SOURCE_FETCH
    assert str(caught.value).startswith(f"SD2004: ls-remote {missing} failed:")


# -- fetch ---------------------------------------------------------------------


def test_fetch_materializes_exactly_the_files_of_each_commit(
    tmp_path: Path, repo: GitRepo, url_of: UrlOf
) -> None:
    first = repo.commit({"keep.yaml": "keep\n", "gone.yaml": "gone\n"}, "one")
    second = repo.commit({"gone.yaml": None, "sub/new.yaml": "new\n"}, "two")
    source = make_source(tmp_path, url_of(repo))

    with source.fetch(second) as later, source.fetch(first) as earlier:
        assert later.commit == second
        assert files_under(later.directory) == {"keep.yaml": "keep\n", "sub/new.yaml": "new\n"}
        assert earlier.commit == first
        assert files_under(earlier.directory) == {"keep.yaml": "keep\n", "gone.yaml": "gone\n"}


def test_fetch_is_shallow_and_still_reaches_an_older_commit(tmp_path: Path, repo: GitRepo) -> None:
    shas = [repo.commit({f"f{i}.txt": f"{i}\n"}, f"commit {i}") for i in range(6)]
    source = make_source(tmp_path, str(repo.bare_path))

    source.fetch(shas[-1]).release()
    shallow = (source.cache_path / "repo.git" / "shallow").read_text().split()

    with source.fetch(shas[0]) as oldest:
        assert shallow == [shas[-1]]
        assert files_under(oldest.directory) == {"f0.txt": "0\n"}


def test_directory_selects_a_subdirectory(tmp_path: Path, repo: GitRepo) -> None:
    commit = repo.commit({"README.md": "hi\n", "deploy/prod/app.yaml": APP}, "one")
    source = make_source(tmp_path, str(repo.bare_path), directory="deploy/prod")

    with source.fetch(commit) as snapshot:
        assert snapshot.directory.name == "prod"
        assert files_under(snapshot.directory) == {"app.yaml": APP}


def test_missing_directory_is_a_fetch_error_naming_dir_and_short_commit(
    tmp_path: Path, repo: GitRepo
) -> None:
    commit = repo.commit({"deploy/app.yaml": APP}, "one")
    source = make_source(tmp_path, str(repo.bare_path), directory="clusters/prod")

    with pytest.raises(SourceFetchError) as caught:
        source.fetch(commit)

    assert caught.value.code is ErrorCode.SOURCE_FETCH
    assert f"directory 'clusters/prod' not found in commit {commit[:7]}" in str(caught.value)


def test_fetch_of_a_commit_the_remote_lacks_is_a_fetch_error(tmp_path: Path, repo: GitRepo) -> None:
    repo.commit({"a.yaml": APP}, "one")
    absent = "1" * 40
    source = make_source(tmp_path, str(repo.bare_path), revision=absent)

    with pytest.raises(SourceFetchError, match=f"revision '{absent}' not found in"):
        source.fetch(source.resolve())


def test_fetch_refuses_a_sha_that_is_not_a_full_commit(tmp_path: Path, repo: GitRepo) -> None:
    repo.commit({"a.yaml": APP}, "one")

    with pytest.raises(SourceFetchError, match="is not a full commit sha"):
        make_source(tmp_path, str(repo.bare_path)).fetch("abc123")


def test_second_fetch_of_the_same_commit_reuses_the_worktree(tmp_path: Path, repo: GitRepo) -> None:
    commit = repo.commit({"a.yaml": APP}, "one")
    source = make_source(tmp_path, str(repo.bare_path))
    with source.fetch(commit) as first:
        inode = first.directory.stat().st_ino
    fetches = source.fetch_count

    with source.fetch(commit) as second:
        assert fetches == 1
        assert source.fetch_count == fetches
        assert second == first
        assert second.directory.stat().st_ino == inode


def test_sources_for_the_same_url_share_the_cache(tmp_path: Path, repo: GitRepo) -> None:
    commit = repo.commit({"a/x.yaml": APP, "b/y.yaml": APP}, "one")
    first = make_source(tmp_path, str(repo.bare_path), directory="a")
    second = make_source(tmp_path, str(repo.bare_path), directory="b")

    first.fetch(commit).release()
    with second.fetch(commit) as snapshot:
        assert second.cache_path == first.cache_path
        assert second.fetch_count == 0
        assert files_under(snapshot.directory) == {"y.yaml": APP}


def test_concurrent_sources_for_the_same_url_fetch_once(tmp_path: Path, repo: GitRepo) -> None:
    commit = repo.commit({"a.yaml": APP}, "one")
    sources = [make_source(tmp_path, str(repo.bare_path)) for _ in range(4)]
    barrier = threading.Barrier(len(sources))

    def fetch(source: GitSource) -> SourceSnapshot:
        barrier.wait(timeout=30)
        return source.fetch(commit)

    with ThreadPoolExecutor(max_workers=len(sources)) as pool:
        snapshots = list(pool.map(fetch, sources))

    assert sum(source.fetch_count for source in sources) == 1
    assert {snapshot.directory for snapshot in snapshots} == {snapshots[0].directory}
    assert files_under(snapshots[0].directory) == {"a.yaml": APP}
    for snapshot in snapshots:
        snapshot.release()


def test_an_already_fetched_commit_is_checked_out_again_without_fetching(
    tmp_path: Path, repo: GitRepo
) -> None:
    shas = [repo.commit({"n.txt": f"{i}\n"}, f"commit {i}") for i in range(5)]
    source = make_source(tmp_path, str(repo.bare_path))
    for sha in shas:
        source.fetch(sha).release()
    fetches = source.fetch_count

    with source.fetch(shas[0]) as again:
        assert source.fetch_count == fetches
        assert files_under(again.directory) == {"n.txt": "0\n"}


def test_only_the_most_recently_used_worktrees_are_kept(tmp_path: Path, repo: GitRepo) -> None:
    shas = [repo.commit({"n.txt": f"{i}\n"}, f"commit {i}") for i in range(5)]
    source = make_source(tmp_path, str(repo.bare_path))

    for sha in shas:
        source.fetch(sha).release()

    worktrees = (source.cache_path / "worktrees").iterdir()
    assert {path.name for path in worktrees if not path.name.startswith(".")} == set(shas[-3:])


def test_reusing_a_worktree_keeps_it_from_being_pruned(tmp_path: Path, repo: GitRepo) -> None:
    shas = [repo.commit({"n.txt": f"{i}\n"}, f"commit {i}") for i in range(4)]
    source = make_source(tmp_path, str(repo.bare_path))
    for sha in shas[:3]:
        source.fetch(sha).release()

    source.fetch(shas[0]).release()
    source.fetch(shas[3]).release()

    worktrees = source.cache_path / "worktrees"
    assert (worktrees / shas[0]).is_dir()
    assert not (worktrees / shas[1]).exists()


def test_checkout_keeps_modes_and_links_inside_the_tree_only(tmp_path: Path, repo: GitRepo) -> None:
    repo.commit({"deploy/app.yaml": APP, "run.sh": "#!/bin/sh\n"}, "one")
    work = repo.work_path
    (work / "run.sh").chmod(0o755)
    (work / "alias.yaml").symlink_to("deploy/app.yaml")
    (work / "escape").symlink_to("../../../../etc/passwd")
    (work / "absolute").symlink_to("/etc/passwd")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "links")
    repo.git("push", "-q", "origin", "HEAD:refs/heads/main")

    with make_source(tmp_path, str(repo.bare_path)).fetch(repo.head()) as snapshot:
        root = snapshot.directory
        assert os.access(root / "run.sh", os.X_OK)
        assert not os.access(root / "deploy" / "app.yaml", os.X_OK)
        assert (root / "alias.yaml").is_symlink()
        assert (root / "alias.yaml").read_text() == APP
        # Links that leave the tree are written so that they can never resolve: the parse
        # stage reports them instead of the files vanishing from the package.
        for name in ("escape", "absolute"):
            assert not (root / name).exists()
            assert (root / name).readlink() == Path(OUTSIDE_TREE_LINK)


def test_a_link_that_escapes_through_another_link_is_defused(tmp_path: Path) -> None:
    def link(path: str, target: str) -> TreeFile:
        return TreeFile(path=path, mode=0o120000, read=target.encode)

    dest = tmp_path / "tree"
    dest.mkdir()
    # `here` -> `.` is harmless; `up` -> `here/..` looks like `.` but really is the parent.
    written = write_tree(dest, [link("here", "."), link("up", "here/..")])

    assert (dest / "here").is_symlink()
    assert (dest / "up").readlink() == Path(OUTSIDE_TREE_LINK)
    assert not (dest / "up").exists()
    assert written.links == 1
    assert written.skipped == (Skipped(path="up", reason=SkipReason.LINK_OUTSIDE_TREE),)


def test_submodules_are_skipped(tmp_path: Path) -> None:
    gitlink = TreeFile(path="vendor/lib", mode=0o160000, read=lambda: b"")

    written = write_tree(tmp_path, [gitlink])

    assert not (tmp_path / "vendor").exists()
    assert written.skipped == (Skipped(path="vendor/lib", reason=SkipReason.SUBMODULE),)


# -- options, credentials and the cache ----------------------------------------


@pytest.mark.parametrize("directory", ["../outside", "/etc", "a/../../b", ".git"])
def test_options_refuse_a_directory_outside_the_repository(directory: str) -> None:
    with pytest.raises(SyncSpecError, match="must be a relative path inside the repository"):
        GitSourceOptions(repo="https://example.invalid/r.git", directory=directory)


def test_options_refuse_an_ssh_url(tmp_path: Path) -> None:
    options = GitSourceOptions(repo="git@example.invalid:org/repo.git")

    with pytest.raises(SyncSpecError, match="ssh is not supported"):
        GitSource(options, cache_dir=tmp_path)


def test_options_repr_hides_credentials() -> None:
    options = GitSourceOptions(
        repo="https://bob:hunter2@example.invalid/r.git",
        credentials=Credentials(username="bob", password="s3cr3t-pw", token="t0ken-value"),
    )

    text = repr(options)

    assert "example.invalid/r.git" in text
    for secret in ("hunter2", "s3cr3t-pw", "t0ken-value"):
        assert secret not in text


def test_credentials_in_the_url_never_reach_the_error_message(tmp_path: Path) -> None:
    # Port 1 on loopback refuses connections: the ls-remote fails at once.
    url = "http://bob:hunter2@127.0.0.1:1/r.git"
    source = GitSource(GitSourceOptions(repo=url, timeout=5), cache_dir=tmp_path)

    with pytest.raises(SourceFetchError) as caught:
        source.resolve()

    message = str(caught.value)
    assert message.startswith("SD2004: ls-remote http://127.0.0.1:1/r.git failed:")
    assert "hunter2" not in message
    assert "hunter2" not in repr(caught.value)
    assert caught.value.__cause__ is None
    assert source.url == "http://127.0.0.1:1/r.git"


def test_a_failed_worktree_build_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = SourceCache.for_location(tmp_path, "file:///r.git", access=ANONYMOUS)

    def explode(staging: Path) -> None:
        (staging / "half.yaml").write_text("half")
        raise OSError("disk full")

    with cache.locked(), pytest.raises(OSError, match="disk full"):
        cache.install_worktree("abc", explode)

    assert list(cache.worktrees_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pa%40ss@example.invalid/r.git", "https://example.invalid/r.git"),
        ("https://token@example.invalid:8443/r.git", "https://example.invalid:8443/r.git"),
        ("https://example.invalid/r.git", "https://example.invalid/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
        ("file:///srv/git/r.git", "file:///srv/git/r.git"),
    ],
)
def test_redact_url_removes_userinfo(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_text_masks_secrets_and_their_url_encoding() -> None:
    text = "GET https://u:p%2Fw@h/x failed for p/w and p%2Fw"

    assert redact_text(text, ["p/w"]) == "GET https://h/x failed for *** and ***"
