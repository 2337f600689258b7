r"""Text that is safe to print on one line: file names and messages from a package.

A package's author controls its file names and every string in it. Printed
raw, a newline, a carriage return, a Unicode line or paragraph separator
(YAML 1.1 treats U+0085, U+2028 and U+2029 as line breaks), a terminal
escape or a bidirectional override could forge a line of `syncd vet` output
or a `# Source:` comment of `syncd render` (and with it extra YAML documents).

- `UNSAFE` matches every such character: C0 and C1 controls, DEL, line and
  paragraph separators, bidirectional controls, the byte-order mark, and
  surrogates (lone ones, and the ones Python uses for bytes that are not
  UTF-8 in file names);
- `escape_unsafe` replaces each with a visible escape (`\n`, `\x1b`,
  `\u2028`; a byte that was not UTF-8 shows as `\xff`);
- `display_path` is how the decoder names a file in messages: the path
  itself when it is safe, else its escaped form in double quotes, and
  shortened in the middle when it is very long.
"""

from __future__ import annotations

import re
from typing import Final

UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
SURROGATE: Final = re.compile("[\ud800-\udfff]")
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SURROGATE_ESCAPES: Final = range(0xDC80, 0xDD00)
"""Python decodes a file name byte that is not UTF-8 as U+DC80 + byte (surrogateescape)."""
MAX_DISPLAY: Final = 240


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code in _SURROGATE_ESCAPES:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_safe(text: str) -> bool:
    """Whether `text` prints as one honest line."""
    return UNSAFE.search(text) is None


def escape_unsafe(text: str) -> str:
    """`text` with every unsafe character replaced by a visible escape."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def display_path(path: str) -> str:
    """A file path for a message: as is when safe, else escaped and double-quoted."""
    if len(path) > MAX_DISPLAY:
        half = MAX_DISPLAY // 2
        path = f"{path[:half]}...{path[-half:]}"
    if is_safe(path) and '"' not in path[:1]:
        return path
    return '"' + escape_unsafe(path.replace("\\", "\\\\")) + '"'
