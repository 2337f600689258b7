"""`LocatedError`: a document that cannot be decoded, with where and which code.

The YAML and JSON readers raise their own subclasses; the decoder catches
this one and adds the file's name.
"""

from __future__ import annotations

from syncd.core.errors import ErrorCode


class LocatedError(Exception):
    """A problem at a line and column of one file's text, with its SD code."""

    def __init__(
        self, problem: str, *, line: int, column: int, code: ErrorCode = ErrorCode.PARSE_ERROR
    ) -> None:
        """Keep the problem, where it is (1-based; 0 when unknown) and the code."""
        super().__init__(problem)
        self.problem = problem
        self.line = line
        self.column = column
        self.code = code
