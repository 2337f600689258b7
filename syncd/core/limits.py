"""Limits on what one source may hold, so that a hostile or careless package costs nothing.

The decoder checks sizes before it parses anything and stops at the first
limit a package passes, with SD1072. The defaults fit every real package seen
so far with a wide margin; `Settings` (SYNCD_MAX_*) and the CLI can raise them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeLimits:
    """How much one package may hold.

    - `max_file_bytes`: one manifest file;
    - `max_package_bytes`: every manifest file of the package together;
    - `max_objects`: declared objects in the package (after List expansion);
    - `max_depth`: nesting of mappings and sequences in one document;
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
