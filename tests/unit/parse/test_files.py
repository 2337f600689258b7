"""The file walk trusts nothing: special files, symlinks, unreadable paths, names and sizes."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.core.errors import ErrorCode
from syncd.core.limits import DecodeLimits
from syncd.core.ports import OUTSIDE_TREE_LINK
from syncd.core.results import DecodeResult
from syncd.parse.decode import decode_directory
from tests.hostile.builders import deep_directories

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: n}}\n"


def cm(name: str) -> str:
    return CM.format(name=name)


def names(result: DecodeResult) -> list[str]:
    return [m.ref.name for m in result.manifests]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "ok.yaml").write_text(cm("ok"))
    return tmp_path


def only_error(result: DecodeResult) -> str:
    assert names(result) == ["ok"]
    assert not result.complete
    [error] = result.errors
    assert error.code is ErrorCode.PARSE_ERROR
    return error.message


def test_a_fifo_named_yaml_is_an_error_and_never_opened_for_reading(root: Path) -> None:
    os.mkfifo(root / "pipe.yaml")
    assert only_error(decode_directory(root)) == "pipe.yaml: is not a regular file (a FIFO)"


def test_a_socket_named_yaml_is_an_error(root: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "s.yaml"))
        assert only_error(decode_directory(root)) == "s.yaml: is not a regular file (a socket)"


def test_a_character_device_named_yaml_is_an_error(root: Path) -> None:
    try:
        os.mknod(root / "zero.yaml", stat.S_IFCHR | 0o644, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating device nodes needs CAP_MKNOD")
    message = only_error(decode_directory(root))
    assert message == "zero.yaml: is not a regular file (a character device)"


def test_a_symlink_to_dev_zero_is_refused(root: Path) -> None:
    (root / "zero.yaml").symlink_to("/dev/zero")
    assert "outside the source directory" in only_error(decode_directory(root))


def test_a_link_the_source_found_leaving_its_tree_is_an_error_not_a_missing_file(
    root: Path,
) -> None:
    (root / "a.yaml").symlink_to(OUTSIDE_TREE_LINK)
    result = decode_directory(root)
    assert names(result) == ["ok"]
    assert [e.message for e in result.errors] == [
        "a.yaml: symlink points outside the source directory"
    ]
    assert [e.code for e in result.errors] == ["SD1006"]
    assert not result.complete  # so nothing is pruned from this commit


def test_a_symlink_loop_is_an_error_naming_the_path(root: Path) -> None:
    (root / "a.yaml").symlink_to("b.yaml")
    (root / "b.yaml").symlink_to("a.yaml")
    result = decode_directory(root)
    assert names(result) == ["ok"]
    assert [e.message for e in result.errors] == ["a.yaml: symlink loop", "b.yaml: symlink loop"]


def test_a_dangling_symlink_and_a_symlink_to_a_fifo_inside_the_root_are_errors(root: Path) -> None:
    (root / "gone.yaml").symlink_to("missing.yaml")
    os.mkfifo(root / "fifo")
    (root / "to-fifo.yaml").symlink_to("fifo")
    result = decode_directory(root)
    assert names(result) == ["ok"]
    assert [e.message for e in result.errors] == [
        "gone.yaml: symlink points to nothing",
        "to-fifo.yaml: is not a regular file (a FIFO)",
    ]


def test_a_symlink_named_yaml_that_points_to_a_directory_is_an_error(root: Path) -> None:
    (root / "sub").mkdir()
    (root / "sub.yaml").symlink_to("sub")
    assert only_error(decode_directory(root)) == "sub.yaml: is not a regular file (a directory)"


def test_a_path_longer_than_the_os_allows_is_an_error_not_a_silent_skip(root: Path) -> None:
    deep_directories(20, cm("deep"))(root)
    message = only_error(decode_directory(root))
    assert message.startswith("dddd")
    assert message.endswith("directory cannot be read: File name too long")
    assert len(message) < 400


def _run_without_root_powers(code: str) -> str:
    """Run python `code` unable to bypass file permissions (drops CAP_DAC_* when root)."""
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root reads every file; dropping CAP_DAC_* needs setpriv")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def locked(root: Path) -> Iterator[Path]:
    (root / "locked").mkdir()
    (root / "locked" / "hidden.yaml").write_text(cm("hidden"))
    (root / "secret.yaml").write_text(cm("secret"))
    (root / "locked").chmod(0)
    (root / "secret.yaml").chmod(0)
    yield root
    (root / "locked").chmod(0o755)


def test_unreadable_directories_and_files_are_errors_that_block_pruning(locked: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from syncd.parse.decode import decode_directory\n"
        f"r = decode_directory(Path({str(locked)!r}))\n"
        "print([m.ref.name for m in r.manifests]); print(r.complete)\n"
        "[print(e) for e in r.errors]\n"
    )
    lines = _run_without_root_powers(code).splitlines()
    assert lines == [
        "['ok']",
        "False",
        "SD1006: locked: directory cannot be read: Permission denied",
        "SD1006: secret.yaml: cannot be read: Permission denied",
    ]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (b"a\n---\nkind: Secret.yaml", '"a\\n---\\nkind: Secret.yaml"'),
        (b"bell\x07.yaml", '"bell\\x07.yaml"'),
        (b"cr\r.yaml", '"cr\\r.yaml"'),
        (b"\xff\xfe.yaml", '"\\xff\\xfe.yaml"'),
        ("ls\u2028.yaml".encode(), '"ls\\u2028.yaml"'),
        ("rtl\u202e.yaml".encode(), '"rtl\\u202e.yaml"'),
        (b"esc\x1b[2J.yaml", '"esc\\x1b[2J.yaml"'),
    ],
)
def test_file_names_that_could_forge_output_are_refused_and_shown_escaped(
    root: Path, name: bytes, shown: str
) -> None:
    with open(os.fsencode(root) + b"/" + name, "w") as out:  # noqa: PTH123 - a bytes path
        out.write(cm("named"))
    message = only_error(decode_directory(root))
    assert message.startswith(f"{shown}: the file name holds control characters")
    assert message.isprintable()


def test_a_directory_with_a_bad_name_makes_its_manifests_errors(root: Path) -> None:
    (root / "evil\ndir").mkdir()
    (root / "evil\ndir" / "x.yaml").write_text(cm("x"))
    assert only_error(decode_directory(root)).startswith('"evil\\ndir/x.yaml": ')


def test_a_file_past_max_file_bytes_is_sd1072_from_its_size_alone(root: Path) -> None:
    with (root / "huge.yaml").open("wb") as out:
        out.truncate(200 * 1024 * 1024)  # sparse: 200 MB that would take >4 GB to parse
    result = decode_directory(root)
    assert names(result) == ["ok"]
    [error] = result.errors
    assert error.code is ErrorCode.SOURCE_TOO_LARGE
    assert error.message.startswith("huge.yaml: holds 209715200 bytes, more than the limit")


def test_a_package_past_max_package_bytes_is_refused_before_anything_is_read(root: Path) -> None:
    for index in range(3):
        (root / f"f{index}.yaml").write_text(cm(f"f{index}") + "#" * 400)
    result = decode_directory(root, limits=DecodeLimits(max_package_bytes=1000))
    assert result.manifests == ()
    [error] = result.errors
    assert error.code is ErrorCode.SOURCE_TOO_LARGE
    assert "more than the limit of 1000 (SYNCD_MAX_PACKAGE_BYTES)" in error.message


def test_more_documents_and_objects_than_max_objects_refuse_the_package(root: Path) -> None:
    (root / "many.yaml").write_text("---\n".join(cm(f"c{i}") for i in range(6)))
    (root / "list.json").write_text(
        '{"apiVersion": "v1", "kind": "List", "items": ['
        + ",".join(
            f'{{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {{"name": "j{i}"}}}}'
            for i in range(4)
        )
        + "]}"
    )
    assert len(decode_directory(root, limits=DecodeLimits(max_objects=11)).manifests) == 11
    result = decode_directory(root, limits=DecodeLimits(max_objects=10))
    assert result.manifests == ()
    assert [e.code for e in result.errors] == [ErrorCode.SOURCE_TOO_LARGE]
    assert "more than 10 documents and objects" in result.errors[0].message


def test_empty_documents_count_against_max_objects(root: Path) -> None:
    (root / "empty.yaml").write_text("---\n" * 100_000)
    result = decode_directory(root)
    assert result.manifests == ()
    assert [e.code for e in result.errors] == [ErrorCode.SOURCE_TOO_LARGE]
