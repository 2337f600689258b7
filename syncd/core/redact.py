"""Keeping credentials out of URLs, messages and log lines.

Owns `redact_url` (drops the userinfo of a URL) and `redact_text` (removes
URL userinfo and known secret strings, raw or percent-encoded, from free
text such as a third-party exception's message).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

MASK: Final = "***"

# `scheme://userinfo@` anywhere in a text; userinfo never holds `/`, `@` or whitespace.
_USERINFO_IN_TEXT: Final = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def redact_url(url: str) -> str:
    """`url` without its userinfo (`https://user:pass@host/x` -> `https://host/x`).

    Text that is not a URL with a network location (a local path, `file:///x`)
    is returned unchanged.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO_IN_TEXT.sub(r"\g<scheme>", url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with URL userinfo removed and every secret (and its encodings) masked."""
    cleaned = _USERINFO_IN_TEXT.sub(r"\g<scheme>", text)
    forms = {
        form
        for secret in secrets
        if secret
        for form in (secret, quote(secret, safe=""), quote_plus(secret, safe=""))
    }
    for form in sorted(forms, key=len, reverse=True):  # longest first: no partial leftovers
        cleaned = cleaned.replace(form, MASK)
    return cleaned
