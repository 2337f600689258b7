"""Small shell scripts standing in for renderer binaries (real processes, known behaviour)."""

from __future__ import annotations

from pathlib import Path


def script(directory: Path, name: str, body: str) -> Path:
    """An executable `/bin/sh` script named `name` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path
