"""The error-code registry is complete, well-formed and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syncd.core.errors import (
    CODE_PATTERN,
    REGISTRY,
    ErrorClass,
    ErrorCode,
    SourceFetchError,
    SyncdError,
    spec_for,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "errors.md"


def test_every_code_is_registered_once_and_well_formed() -> None:
    assert set(REGISTRY) == set(ErrorCode)
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    assert all(CODE_PATTERN.match(v) for v in values)


def test_every_code_has_exactly_one_docs_entry_and_docs_name_no_other() -> None:
    documented = re.findall(r"^## (SD\d{4})$", DOCS.read_text(), flags=re.MULTILINE)
    assert sorted(documented) == sorted(code.value for code in ErrorCode)


@pytest.mark.parametrize(
    ("code", "expected"),
    [(ErrorCode.PARSE_ERROR, ErrorClass.SOURCE), (ErrorCode.PRUNE_REFUSED, ErrorClass.RUNTIME)],
)
def test_error_class_follows_the_leading_digit(code: ErrorCode, expected: ErrorClass) -> None:
    assert spec_for(code).error_class is expected


def test_errors_carry_their_code_and_render_it_first() -> None:
    err = SourceFetchError("fetching https://example.invalid/repo failed")
    assert err.code is ErrorCode.SOURCE_FETCH
    assert str(err) == "SD2004: fetching https://example.invalid/repo failed"
    specific = SyncdError("nope", code=ErrorCode.FORBIDDEN)
    assert specific.code is ErrorCode.FORBIDDEN
