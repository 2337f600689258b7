"""The CLI's top level: version, help that teaches, and error explanations."""

from __future__ import annotations

import pytest

from syncd import __version__
from syncd.cli.main import main


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"syncd {__version__}"


def test_help_lists_commands_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "errors" in out
    assert "examples:" in out
    assert "RootSync" in out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: syncd" in capsys.readouterr().err


def test_errors_explains_a_code_case_insensitively(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["errors", "sd2006"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SD2006 (runtime error)")
    assert "What to do:" in out


def test_errors_rejects_an_unknown_code_and_says_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["errors", "SD9999"]) == 2
    assert "run `syncd errors` to list them all" in capsys.readouterr().err
