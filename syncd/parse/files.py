"""Finding and reading a package's manifest files without trusting the directory.

Owns every file system access of the parse stage:

- the walk: iterative (no recursion, whatever the depth), `os.scandir`
  based, sorted by relative POSIX path; hidden files and directories
  (`.git`, ...) are skipped and directory symlinks are not followed; a
  directory that cannot be listed (permissions, a path longer than the OS
  allows) is an error, never a silent skip;
- which entries are read: names ending `.yaml`, `.yml` or `.json`, whose
  relative path holds no control character, line separator or byte that is
  not UTF-8 (such a name could forge output lines; it is reported escaped),
  and that are regular files. A file symlink is read only when it resolves,
  without a loop, to a regular file inside the root. FIFOs, sockets and
  devices are never opened for reading (a FIFO would block, /dev/zero never
  ends);
- sizes: every candidate is stat'ed before anything is read, a file above
  `max_file_bytes` is refused (SD1072) and a package above
  `max_package_bytes` is refused as a whole (SD1072, nothing is read); the
  read itself opens with O_NOFOLLOW|O_NONBLOCK, checks the descriptor is a
  regular file and stops one byte past the limit, so a file that grows after
  the stat costs no more;
- text: UTF-8 (a BOM is dropped); anything else is SD1006.

Every problem is a `SourceContentError` value naming the (escaped) path.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from syncd.core.errors import ErrorCode, SourceContentError, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.core.ports import OUTSIDE_TREE_LINK
from syncd.parse.text import display_path, is_safe

SUFFIXES: Final = frozenset({".yaml", ".yml", ".json"})
_OPEN_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_READ_CHUNK: Final = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestFile:
    """One manifest file found by the walk: its relative path and the path to open."""

    relative: str
    target: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FileSet:
    """The files to read (none when the package passes its size limit) and the problems found."""

    files: tuple[ManifestFile, ...]
    errors: tuple[SyncdError, ...]


def find_manifest_files(
    root: Path, *, limits: DecodeLimits, exclude: frozenset[str] = frozenset()
) -> FileSet:
    """Every manifest file under `root`, checked and sized, in sorted relative-path order.

    Directories in `exclude` (POSIX paths relative to `root`) are not walked:
    a renderer reads them.
    """
    problems: list[tuple[str, SyncdError]] = []
    real_root = os.path.realpath(root)
    found: list[ManifestFile] = []
    total = 0
    walked = _walk(os.fspath(root), problems, exclude=exclude)
    for relative, entry in sorted(walked, key=lambda item: item[0]):
        checked = _check(relative, entry, real_root=real_root, limits=limits)
        if isinstance(checked, SyncdError):
            problems.append((relative, checked))
            continue
        found.append(checked)
        total += checked.size
    errors = [error for _, error in sorted(problems, key=lambda item: item[0])]
    if total > limits.max_package_bytes:
        errors.append(
            too_large(
                f"the package's manifest files hold {total} bytes, more than the limit of "
                f"{limits.max_package_bytes} (SYNCD_MAX_PACKAGE_BYTES); nothing was read"
            )
        )
        return FileSet(files=(), errors=tuple(errors))
    return FileSet(files=tuple(found), errors=tuple(errors))


def read_text(file: ManifestFile, *, limits: DecodeLimits) -> str | SyncdError:
    """The UTF-8 text of `file`, read with a bound; an error value if it cannot be."""
    shown = display_path(file.relative)
    try:
        fd = os.open(file.target, _OPEN_FLAGS)
    except OSError as exc:
        return parse_error(f"{shown}: cannot be read: {_reason(exc)}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return parse_error(f"{shown}: is not a regular file ({_kind(info.st_mode)})")
        data = _read_bounded(fd, limits.max_file_bytes)
    except OSError as exc:
        return parse_error(f"{shown}: cannot be read: {_reason(exc)}")
    finally:
        os.close(fd)
    if data is None:
        return _file_too_large(shown, limits)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return parse_error(f"{shown}: cannot be read: not UTF-8 (byte {exc.start}: {exc.reason})")


def parse_error(message: str) -> SourceContentError:
    """An SD1006 error."""
    return SourceContentError(message, code=ErrorCode.PARSE_ERROR)


def too_large(message: str) -> SourceContentError:
    """An SD1072 error."""
    return SourceContentError(message, code=ErrorCode.SOURCE_TOO_LARGE)


def _walk(
    root: str, problems: list[tuple[str, SyncdError]], *, exclude: frozenset[str]
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """`(relative path, entry)` of every non-hidden manifest-named entry that is not a directory."""
    pending = [""]
    while pending:
        relative_dir = pending.pop()
        directory = f"{root}/{relative_dir}" if relative_dir else root
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    relative = f"{relative_dir}/{name}" if relative_dir else name
                    if _is_directory(entry):
                        if relative not in exclude:
                            pending.append(relative)
                    elif name[name.rfind(".") :].lower() in SUFFIXES:
                        yield relative, entry
        except OSError as exc:
            shown = display_path(relative_dir or ".")
            error = parse_error(f"{shown}: directory cannot be read: {_reason(exc)}")
            problems.append((relative_dir, error))


def _is_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _check(
    relative: str, entry: os.DirEntry[str], *, real_root: str, limits: DecodeLimits
) -> ManifestFile | SyncdError:
    """The file to read for `entry`, or why it is not read."""
    shown = display_path(relative)
    if not is_safe(relative):
        return parse_error(
            f"{shown}: the file name holds control characters, line separators or bytes "
            "that are not UTF-8; rename it"
        )
    resolved = _resolve(entry, shown=shown, real_root=real_root)
    if isinstance(resolved, SyncdError):
        return resolved
    target, info = resolved
    if not stat.S_ISREG(info.st_mode):
        return parse_error(f"{shown}: is not a regular file ({_kind(info.st_mode)})")
    if info.st_size > limits.max_file_bytes:
        return _file_too_large(shown, limits, size=info.st_size)
    return ManifestFile(relative=relative, target=target, size=info.st_size)


def _resolve(
    entry: os.DirEntry[str], *, shown: str, real_root: str
) -> tuple[str, os.stat_result] | SyncdError:
    """The path to open for `entry` and what it is, following a file symlink inside the root."""
    try:
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISLNK(info.st_mode):
            return entry.path, info
        # A link the source found leaving its tree was written as OUTSIDE_TREE_LINK.
        left_tree = str(Path(entry.path).readlink()) == OUTSIDE_TREE_LINK
        target = "" if left_tree else os.path.realpath(entry.path, strict=True)
        if left_tree or os.path.commonpath([real_root, target]) != real_root:
            return parse_error(f"{shown}: symlink points outside the source directory")
        return target, os.lstat(target)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return parse_error(f"{shown}: symlink loop")
        if exc.errno == errno.ENOENT:
            return parse_error(f"{shown}: symlink points to nothing")
        return parse_error(f"{shown}: cannot be read: {_reason(exc)}")


def _read_bounded(fd: int, limit: int) -> bytes | None:
    """At most `limit` bytes from `fd`; None if there are more."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, _READ_CHUNK))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        left -= len(chunk)
    return None


def _file_too_large(shown: str, limits: DecodeLimits, *, size: int | None = None) -> SyncdError:
    holds = f"holds {size} bytes" if size is not None else "grew while it was read"
    return too_large(
        f"{shown}: {holds}, more than the limit of {limits.max_file_bytes} bytes per file "
        "(SYNCD_MAX_FILE_BYTES); it was not parsed"
    )


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
