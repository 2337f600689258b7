"""Reading one small YAML file of a package (a kustomization, a Chart.yaml) as the decoder would.

Bounded like every manifest file (`max_file_bytes`, a regular file only) and
parsed with syncd's own YAML reader (depth, size and alias limits); any
problem is an SD1068 naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path

from syncd.core.errors import RenderError, SyncdError
from syncd.core.limits import DecodeLimits
from syncd.parse.files import ManifestFile, read_text
from syncd.parse.located import LocatedError
from syncd.parse.yaml_stream import yaml_documents


def first_document(path: Path, *, shown: str, limits: DecodeLimits) -> object:
    """The first document of the YAML file at `path` (None when it is empty)."""
    try:
        size = path.lstat().st_size
    except OSError as exc:
        raise RenderError(f"{shown}: cannot be read: {exc.strerror}") from None
    text = read_text(ManifestFile(relative=shown, target=os.fspath(path), size=size), limits=limits)
    if isinstance(text, SyncdError):
        raise RenderError(text.message)
    try:
        documents = yaml_documents(text, limits=limits, max_documents=1)
    except LocatedError as exc:
        raise RenderError(f"{shown}:{exc.line}:{exc.column}: {exc.problem}") from None
    return documents[0].value if documents else None
