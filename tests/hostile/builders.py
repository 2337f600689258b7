"""Small functions that write one hostile thing into a package directory at test time.

FIFOs, sockets, devices, sparse files and paths longer than PATH_MAX cannot
be committed, so each corpus case is data plus one of these builders. Every
builder returns a `Build`: a function of the package directory.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

Build = Callable[[Path], None]

HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: n\n"


def configmap(name: str, extra: str = "") -> str:
    """A valid ConfigMap `name` in namespace `n`, with `extra` YAML appended at top level."""
    return HEAD.format(name=name) + extra


def json_configmap(name: str, extra: str = "") -> str:
    """The same ConfigMap as JSON, with `extra` (`, "key": value`) inside the top object."""
    return (
        '{"apiVersion": "v1", "kind": "ConfigMap", '
        f'"metadata": {{"name": "{name}", "namespace": "n"}}{extra}}}'
    )


def text(name: str | bytes, content: str | bytes) -> Build:
    """A regular file (a bytes name may hold any byte but `/` and NUL)."""

    def build(root: Path) -> None:
        path = os.fsencode(root) + b"/" + (os.fsencode(name) if isinstance(name, str) else name)
        os.makedirs(os.path.dirname(path), exist_ok=True)  # noqa: PTH103, PTH120 - bytes path
        data = content.encode() if isinstance(content, str) else content
        with open(path, "wb") as out:  # noqa: PTH123 - bytes path
            out.write(data)

    return build


def fifo(name: str) -> Build:
    """A FIFO: reading it blocks until a writer comes, which never happens."""
    return lambda root: os.mkfifo(root / name)


def unix_socket(name: str) -> Build:
    """A listening-ready UNIX socket file (the socket object is closed; the file stays)."""

    def build(root: Path) -> None:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(root / name))

    return build


def char_device(name: str, major: int = 1, minor: int = 5) -> Build:
    """A character device node (1, 5 is /dev/zero: reading never ends)."""
    return lambda root: os.mknod(root / name, stat.S_IFCHR | 0o644, os.makedev(major, minor))


def symlink(name: str, target: str) -> Build:
    """A symlink `name -> target` (relative targets resolve inside the package)."""
    return lambda root: (root / name).symlink_to(target)


def directory(name: str) -> Build:
    return lambda root: (root / name).mkdir()


def sparse(name: str, size: int) -> Build:
    """A file whose size is `size` bytes without using the disk."""

    def build(root: Path) -> None:
        with (root / name).open("wb") as out:
            out.truncate(size)

    return build


def deep_directories(levels: int, leaf: str) -> Build:
    """`levels` nested 250-character directories holding `leaf`: past PATH_MAX."""

    def build(root: Path) -> None:
        fd = os.open(root, os.O_RDONLY)
        try:
            for _ in range(levels):
                os.mkdir("d" * 250, dir_fd=fd)
                child = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = child
            out = os.open("deep.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
            os.write(out, leaf.encode())
            os.close(out)
        finally:
            os.close(fd)

    return build


def every(*builds: Build) -> Build:
    """All of `builds`, in order."""

    def build(root: Path) -> None:
        for one in builds:
            one(root)

    return build


def flow_nesting(levels: int, open_: str = "[", close: str = "]") -> str:
    return open_ * levels + close * levels


def block_mappings(levels: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "leaf\n"


def block_sequences(levels: int) -> str:
    return "".join(" " * (2 * i) + "-\n" for i in range(levels)) + " " * (2 * levels) + "x\n"


def around(inner: str, levels: int) -> str:
    """`inner` inside `levels` flow lists."""
    return "[" * levels + inner + "]" * levels


def laughs(levels: int = 9, width: int = 9, *, mappings: bool = False) -> str:
    """The "billion laughs" document: each anchor holds `width` aliases of the previous one."""

    def node(items: list[str]) -> str:
        if mappings:
            return "{" + ", ".join(f"k{n}: {item}" for n, item in enumerate(items)) + "}"
        return "[" + ", ".join(items) + "]"

    lines = [f"l0: &l0 {node(['lol'] * width)}"]
    lines += [f"l{i}: &l{i} {node([f'*l{i - 1}'] * width)}" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def wide_merges(keys: int, merges: int) -> str:
    """A mapping of `keys` keys merged four times into each of `merges` mappings."""
    base = "b: &b {" + ", ".join(f"k{i}: {i}" for i in range(keys)) + "}\n"
    return base + "".join(f"m{i}: {{<<: [*b, *b, *b, *b]}}\n" for i in range(merges))


def doubling_merges(levels: int) -> str:
    lines = ["m0: &m0 {a: 1, b: 2}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}" for i in range(1, levels)]
    return "\n".join(lines) + "\n"
