"""The single structlog configuration for every syncd process.

Event names are static and dotted (`apply.object_applied`); data travels as
key-value pairs; per-sync context is bound once per run by the caller.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import Any, TextIO

import structlog


class LogFormat(StrEnum):
    """How log lines are rendered."""

    JSON = "json"
    CONSOLE = "console"


def configure_logging(
    level: str = "info", *, fmt: LogFormat = LogFormat.JSON, stream: TextIO | None = None
) -> None:
    """Configure structlog once for the process: level, format and output stream.

    Without `stream`, lines go to the `sys.stderr` of the moment they are logged.
    """
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning or error")
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt is LogFormat.JSON
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_stderr_logger if stream is None else structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    """A logger on whatever `sys.stderr` is when a line is logged (a test may have swapped it)."""
    return structlog.PrintLogger(sys.stderr)


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A logger bound to a component name."""
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(component=name)
    return logger
