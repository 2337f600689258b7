"""Limits on what one source may hold, so that a hostile or careless package costs nothing.

The decoder checks sizes before it parses anything and nesting and expansion
while it parses: a file past a limit is skipped, a package past one (total
size, object count) is refused as a whole, each with SD1072. The defaults fit
every real package seen so far with a wide margin; `Settings` (SYNCD_MAX_*)
and the CLI's `--max-*` flags can raise them. Cost stays linear in the
limits: decoding takes about 0.4 s of CPU per MiB and 10 bytes of memory per byte of
YAML in the worst case (a file of tiny keys), well under that for real
manifests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MIB: Final = 1024 * 1024
DEPTH_CEILING: Final = 200
"""The deepest nesting any setting can allow.

What syncd does with a decoded object (render's YAML dump, JSON encoding,
hashing, drift comparison) recurses once or more per level; Python's
recursion limit (1000 frames) makes about 330 levels the most that all of it
survives. The decoder treats a larger `max_depth` as this ceiling.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeLimits:
    """How much one package may hold.

    - `max_file_bytes`: one manifest file;
    - `max_package_bytes`: every manifest file of the package together;
    - `max_objects`: documents and declared objects in the package (every
      document counts, empty ones too, and each item of a List);
    - `max_depth`: nesting of mappings and sequences in one document (at most
      `DEPTH_CEILING` is honoured);
    - `max_nodes`: values in one document once aliases and merge keys are
      expanded (stops "billion laughs" documents).
    """

    max_file_bytes: int = 8 * MIB
    max_package_bytes: int = 64 * MIB
    max_objects: int = 20_000
    max_depth: int = 100
    max_nodes: int = 1_000_000

    def __post_init__(self) -> None:
        """Every limit must be positive."""
        for name in self.__slots__:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
