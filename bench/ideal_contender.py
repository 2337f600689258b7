"""`ideal`: an SSA client with perfect knowledge and no overhead.

It is `raw` (same parsing, same keep-alive pool, same concurrency, same
requests) with one difference: it remembers, in memory, the exact body it
applied for each object in its last phase and applies only objects whose
body is new or changed. So cold sends one apply per object, an unchanged
resync sends nothing at all, and change+prune sends one apply per changed
object and one DELETE per removed one, all in one parallel batch. It never
LISTs and never reads the cluster: it assumes nobody else touched its
objects, which is what makes it the floor for "only the needed requests".
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.raw_contender import SsaContender


class IdealContender(SsaContender):
    """Applies only the objects whose body differs from what it applied last."""

    name = "ideal"
    field_manager = "ideal-bench"

    def to_apply(self, declared: Mapping[str, bytes], previous: Mapping[str, bytes]) -> list[str]:
        """Declared objects that are new or whose body changed since the last phase."""
        return [path for path, body in declared.items() if previous.get(path) != body]
