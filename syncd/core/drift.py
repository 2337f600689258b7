"""Who changed a managed object, read from its managedFields (pure).

Watch events and live objects carry no user identity; the field managers do:
the latest entry of a manager other than syncd is the most likely author of
a drift (kubectl edit, kubectl apply, a controller, a forced apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.core.metadata import FIELD_MANAGER


def last_writer(live: Mapping[str, Any], *, ignore: str = FIELD_MANAGER) -> str | None:
    """`manager (Operation[, subresource]) at time` of the newest other manager, or None."""
    entries = (live.get("metadata") or {}).get("managedFields") or []
    others = [
        e for e in entries if isinstance(e, Mapping) and e.get("manager") not in (None, ignore)
    ]
    if not others:
        return None
    newest = max(others, key=lambda e: str(e.get("time") or ""))
    detail = str(newest.get("operation") or "Update")
    if newest.get("subresource"):
        detail += f", subresource {newest['subresource']}"
    when = f" at {newest['time']}" if newest.get("time") else ""
    return f"{newest['manager']} ({detail}){when}"
