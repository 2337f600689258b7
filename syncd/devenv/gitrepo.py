"""Git repositories for tests and the demo, written with the real git CLI.

Owns `GitRepo` (one bare repository under a served root plus a private working
clone, driven by the git CLI with a fixed identity and no user or system git
config) and the helpers that run git isolated from the user's configuration
and keep credentials out of messages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType

_CREDENTIALS_IN_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")

# Git reads no user or system configuration; commits get a fixed identity.
_GIT_ISOLATION: Mapping[str, str] = MappingProxyType(
    {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": "syncd test",
        "GIT_AUTHOR_EMAIL": "syncd-test@example.invalid",
        "GIT_COMMITTER_NAME": "syncd test",
        "GIT_COMMITTER_EMAIL": "syncd-test@example.invalid",
    }
)


class GitError(RuntimeError):
    """A git command run by the helpers failed; credentials are redacted."""


def redact(text: str) -> str:
    """Replace credentials embedded in URLs (`scheme://user:pass@`) with `***`."""
    return _CREDENTIALS_IN_URL.sub(r"\g<scheme>***@", text)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for a git child: ours, isolated from user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_GIT_ISOLATION)
    if extra:
        env.update(extra)
    return env


def run_git(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> str:
    """Run `git ARGS` isolated from user config; return stripped stdout.

    Raises GitError with git's stderr (credentials redacted) on failure.
    """
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=git_env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(redact(f"git {' '.join(args)} timed out after {timeout:.0f}s")) from exc
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        raise GitError(redact(f"git {' '.join(args)} failed ({done.returncode}): {stderr}"))
    return done.stdout.decode(errors="replace").strip()


def repo_dir_name(name: str) -> str:
    """Return the directory of repository `name` under a served root (`NAME.git`)."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or name.startswith("."):
        raise ValueError(f"invalid repository name {name!r}")
    return name if name.endswith(".git") else f"{name}.git"


def read_tree(src: Path) -> dict[str, bytes]:
    """Every regular file under `src`, keyed by its POSIX path relative to `src`.

    Feed the result to `GitRepo.commit` to copy a directory into a repository.
    """
    return {
        path.relative_to(src).as_posix(): path.read_bytes()
        for path in sorted(src.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(src).parts
    }


# --------------------------------------------------------------------------- HTTP


# --------------------------------------------------------------------------- repos


@dataclass(frozen=True, slots=True, kw_only=True)
class GitRepo:
    """A bare repository under a served root, written through a private clone."""

    name: str
    bare_path: Path
    work_path: Path
    branch: str

    @classmethod
    def create(
        cls,
        root: Path,
        name: str,
        *,
        branch: str = "main",
        work_root: Path | None = None,
    ) -> GitRepo:
        """Create `root/NAME.git` (bare, pushes allowed) and its working clone.

        The clone lives under `work_root` (default: a `ROOTNAME-work` directory
        next to `root`), so it is never served itself.
        """
        root = root.resolve()
        dir_name = repo_dir_name(name)
        bare = root / dir_name
        work = (work_root or root.parent / f"{root.name}-work").resolve() / dir_name
        if bare.exists():
            raise ValueError(f"repository {dir_name} already exists under {root}")
        bare.parent.mkdir(parents=True, exist_ok=True)
        run_git(["init", "-q", "--bare", f"--initial-branch={branch}", str(bare)])
        run_git(["config", "http.receivepack", "true"], cwd=bare)
        work.parent.mkdir(parents=True, exist_ok=True)
        run_git(["init", "-q", f"--initial-branch={branch}", str(work)])
        run_git(["remote", "add", "origin", str(bare)], cwd=work)
        return cls(name=name, bare_path=bare, work_path=work, branch=branch)

    def git(self, *args: str) -> str:
        """Run git in the working clone; return stripped stdout."""
        return run_git(args, cwd=self.work_path)

    def git_bare(self, *args: str) -> str:
        """Run git in the bare repository; return stripped stdout."""
        return run_git(args, cwd=self.bare_path)

    def _checkout(self, branch: str) -> None:
        """Point the clone at the bare repository's `branch` (or fork a new one)."""
        self.git("fetch", "-q", "--prune", "--no-tags", "origin")
        remote_refs = set(
            self.git("for-each-ref", "--format=%(refname)", "refs/remotes/origin").splitlines()
        )
        if f"refs/remotes/origin/{branch}" in remote_refs:
            self.git("checkout", "-q", "-f", "-B", branch, f"origin/{branch}")
        elif f"refs/remotes/origin/{self.branch}" in remote_refs:
            self.git("checkout", "-q", "-f", "-B", branch, f"origin/{self.branch}")
        else:  # empty repository: the first commit starts the branch
            self.git("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        self.git("clean", "-q", "-f", "-d", "-x")

    def _target(self, rel: str) -> Path:
        path = PurePosixPath(rel)
        if not rel or path.is_absolute() or ".." in path.parts or ".git" in path.parts:
            raise ValueError(f"invalid file path {rel!r}")
        return self.work_path.joinpath(*path.parts)

    def commit(
        self,
        files: Mapping[str, str | bytes | None],
        message: str,
        *,
        branch: str | None = None,
    ) -> str:
        """Write `files` (None deletes), commit, push to the bare repo; return the sha."""
        branch = branch or self.branch
        targets = {rel: self._target(rel) for rel in files}
        self._checkout(branch)
        for rel, content in files.items():
            target = targets[rel]
            if content is None:
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode() if isinstance(content, str) else content
            target.write_bytes(data)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        self.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, rev: str = "HEAD", *, message: str | None = None) -> str:
        """Tag `rev` of the bare repo (annotated with `message`); return the commit sha."""
        args = ["tag", "-f"]
        if message is not None:
            args += ["-a", "-m", message]
        self.git_bare(*args, name, rev)
        return self.git_bare("rev-parse", f"refs/tags/{name}^{{commit}}")

    def head(self, branch: str | None = None) -> str:
        """Return the tip of `branch` (default: the initial branch) in the bare repo."""
        return self.git_bare("rev-parse", f"refs/heads/{branch or self.branch}")
