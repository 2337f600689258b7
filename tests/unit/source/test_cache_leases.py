"""Reader leases: no fetch on a shared cache evicts a worktree someone is still reading.

Real local Git repositories; several `GitSource` instances (threads, and
child processes) share one cache directory, as syncs on one URL do.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import pytest

from syncd.core.errors import SourceFetchError
from syncd.core.ports import SourceSnapshot
from syncd.devenv.gitrepo import GitRepo
from syncd.source.git import GitSource, GitSourceOptions
from syncd.source.lease import exclusive

REVISIONS = 6
KEPT = 3
JOIN_TIMEOUT = 120.0


def files_under(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def expected_files(index: int) -> dict[str, str]:
    """The tree of the commit `commit_revisions` made at `index`."""
    return {
        **{f"deploy/f{i}.yaml": f"value: {i}\n" for i in range(index + 1)},
        "deploy/rev.txt": f"{index}\n",
    }


def commit_revisions(repo: GitRepo, count: int, *, start: int = 0) -> list[str]:
    return [
        repo.commit(
            {f"deploy/f{i}.yaml": f"value: {i}\n", "deploy/rev.txt": f"{i}\n"}, f"commit {i}"
        )
        for i in range(start, start + count)
    ]


def worktree_names(source: GitSource) -> set[str]:
    root = source.cache_path / "worktrees"
    return {path.name for path in root.iterdir() if not path.name.startswith(".")}


def is_leased(source: GitSource, commit: str) -> bool:
    with exclusive(source.cache_path / "leases" / commit) as free:
        return not free


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    return GitRepo.create(tmp_path / "repos", "config")


class NewSource(Protocol):
    """Builds another GitSource (another sync) on the test repository and shared cache."""

    def __call__(self, directory: str = ".") -> GitSource: ...


@pytest.fixture
def new_source(tmp_path: Path, repo: GitRepo) -> NewSource:
    def make(directory: str = ".") -> GitSource:
        options = GitSourceOptions(repo=str(repo.bare_path), directory=directory)
        return GitSource(options, cache_dir=tmp_path / "cache")

    return make


# -- GitSource: several syncs on one URL ---------------------------------------


def test_held_snapshots_of_six_revisions_survive_each_others_fetches(
    repo: GitRepo, new_source: NewSource
) -> None:
    shas = commit_revisions(repo, REVISIONS)
    sources = [new_source() for _ in shas]
    held: list[SourceSnapshot] = []

    for index, (source, sha) in enumerate(zip(sources, shas, strict=True)):
        held.append(source.fetch(sha))
        for earlier, snapshot in enumerate(held):
            assert files_under(snapshot.directory) == expected_files(earlier), (
                f"snapshot {earlier} damaged by fetch {index}"
            )

    assert worktree_names(sources[0]) == set(shas)
    for snapshot in held:
        snapshot.release()
    with sources[0].fetch(shas[-1]):
        assert worktree_names(sources[0]) == set(shas[-KEPT:])


def test_a_released_worktree_is_pruned_by_the_next_fetch_and_held_ones_stay(
    repo: GitRepo, new_source: NewSource
) -> None:
    shas = commit_revisions(repo, REVISIONS)
    source = new_source()
    held = {sha: new_source().fetch(sha) for sha in shas}

    held.pop(shas[0]).release()
    source.fetch(shas[-1]).release()

    assert worktree_names(source) == set(shas[1:])
    for index, sha in enumerate(shas[1:], start=1):
        assert files_under(held[sha].directory) == expected_files(index)
    for snapshot in held.values():
        snapshot.release()
    source.fetch(shas[-1]).release()
    assert worktree_names(source) == set(shas[-KEPT:])
    assert sorted(path.name for path in (source.cache_path / "leases").iterdir()) == sorted(
        shas[-KEPT:]
    )


def test_a_reader_in_another_process_keeps_its_tree_until_it_releases(
    repo: GitRepo, new_source: NewSource, tmp_path: Path
) -> None:
    shas = commit_revisions(repo, REVISIONS)
    with _reader_process(repo, tmp_path / "cache", shas[0]) as (child, directory):
        source = new_source()
        for sha in shas[1:]:
            source.fetch(sha).release()

        assert files_under(directory) == expected_files(0)
        assert _tell(child, "release") == "released"

        source.fetch(shas[-1]).release()
        assert not directory.exists()
        assert worktree_names(source) == set(shas[-KEPT:])


def test_a_crashed_readers_lease_is_dropped_and_its_tree_pruned_later(
    repo: GitRepo, new_source: NewSource, tmp_path: Path
) -> None:
    shas = commit_revisions(repo, REVISIONS)
    with _reader_process(repo, tmp_path / "cache", shas[0]) as (child, directory):
        source = new_source()
        for sha in shas[1:]:
            source.fetch(sha).release()
        assert directory.is_dir()

        child.send_signal(signal.SIGKILL)
        child.wait(timeout=JOIN_TIMEOUT)
        source.fetch(shas[-1]).release()

        assert not directory.exists()


def test_a_failed_fetch_releases_its_lease(repo: GitRepo, new_source: NewSource) -> None:
    (sha,) = commit_revisions(repo, 1)
    source = new_source("no/such/dir")

    with pytest.raises(SourceFetchError, match="directory 'no/such/dir' not found"):
        source.fetch(sha)

    assert not is_leased(source, sha)


def test_leaving_the_with_block_by_an_exception_releases_the_lease(
    repo: GitRepo, new_source: NewSource
) -> None:
    (sha,) = commit_revisions(repo, 1)
    source = new_source()

    def decode(snapshot: SourceSnapshot) -> None:
        assert is_leased(source, snapshot.commit)
        raise RuntimeError("decode failed")

    with pytest.raises(RuntimeError, match="decode failed"), source.fetch(sha) as snapshot:
        decode(snapshot)

    assert not is_leased(source, sha)


def test_readers_walking_their_trees_while_other_threads_fetch_see_complete_trees(
    repo: GitRepo, new_source: NewSource
) -> None:
    shas = commit_revisions(repo, REVISIONS * 2)
    read_shas, other_shas = shas[:REVISIONS], shas[REVISIONS:]
    all_hold = threading.Barrier(REVISIONS + 1)
    fetchers_done = threading.Event()

    def reader(index: int) -> int:
        walks = 0
        with new_source().fetch(read_shas[index]) as snapshot:
            all_hold.wait(timeout=JOIN_TIMEOUT)
            while not fetchers_done.is_set():
                assert files_under(snapshot.directory) == expected_files(index)
                walks += 1
            assert files_under(snapshot.directory) == expected_files(index)
        return walks + 1

    def fetcher() -> None:
        all_hold.wait(timeout=JOIN_TIMEOUT)
        try:
            for _ in range(2):
                for sha in other_shas:
                    new_source().fetch(sha).release()
        finally:
            fetchers_done.set()

    with ThreadPoolExecutor(max_workers=REVISIONS + 1) as pool:
        readers = [pool.submit(reader, index) for index in range(REVISIONS)]
        fetching = pool.submit(fetcher)
        fetching.result(timeout=JOIN_TIMEOUT)
        walks = [future.result(timeout=JOIN_TIMEOUT) for future in readers]

    assert all(count >= 1 for count in walks)
    source = new_source()
    source.fetch(other_shas[-1]).release()
    assert worktree_names(source) == set(other_shas[-KEPT:])


def test_concurrent_fetches_of_many_revisions_always_hand_out_complete_trees(
    repo: GitRepo, new_source: NewSource
) -> None:
    shas = commit_revisions(repo, REVISIONS)
    rounds = 4

    def sync(index: int) -> None:
        source = new_source()
        for round_ in range(rounds):
            which = (index + round_) % REVISIONS
            with source.fetch(shas[which]) as snapshot:
                assert files_under(snapshot.directory) == expected_files(which)

    with ThreadPoolExecutor(max_workers=REVISIONS) as pool:
        for future in [pool.submit(sync, index) for index in range(REVISIONS)]:
            future.result(timeout=JOIN_TIMEOUT)

    assert len(worktree_names(new_source())) <= REVISIONS


# -- a reader in a child process -------------------------------------------------

_READER = """
import sys
from pathlib import Path
from syncd.source.git import GitSource, GitSourceOptions

source = GitSource(GitSourceOptions(repo=sys.argv[1]), cache_dir=Path(sys.argv[2]))
snapshot = source.fetch(sys.argv[3])
print("reader:", snapshot.directory, flush=True)
sys.stdin.readline()
snapshot.release()
print("reader: released", flush=True)
sys.stdin.readline()
"""
_MARK = "reader: "


def _answer(child: subprocess.Popen[str]) -> str:
    """The child's next reply (its log lines share stdout and are skipped)."""
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(_MARK):
            return line.removeprefix(_MARK).strip()
    return ""


def _tell(child: subprocess.Popen[str], line: str) -> str:
    assert child.stdin is not None
    child.stdin.write(f"{line}\n")
    child.stdin.flush()
    return _answer(child)


@contextlib.contextmanager
def _reader_process(
    repo: GitRepo, cache_dir: Path, commit: str
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A child process holding a snapshot of `commit` until told to release it."""
    args = [sys.executable, "-c", _READER, str(repo.bare_path), str(cache_dir), commit]
    with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        try:
            line = _answer(child)
            assert line, f"the reader process exited with {child.wait(timeout=JOIN_TIMEOUT)}"
            yield child, Path(line)
        finally:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=JOIN_TIMEOUT)
