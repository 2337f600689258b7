"""The process a Starlark script runs in (`python -m syncd.render.kpt.builtins.starlark_child`).

Arguments: the address-space limit in bytes and the seconds left. Input on
stdin: `{"items": [...], "config": {...}}` as JSON. Output on stdout:
`{"items": [...] | null, "results": [{"severity", "message"}]}`. The limit
is set before anything else runs, so a script that allocates past it kills
only this process (the Starlark heap aborts on a failed allocation).
"""

from __future__ import annotations

import json
import resource
import sys
import time

from syncd.render.kpt.builtins.starlark_fn import evaluate
from syncd.render.kpt.model import Deadline


def main(argv: list[str]) -> int:
    """Evaluate one script; 0 when an outcome was written."""
    limit, seconds = int(argv[0]), float(argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    request = json.loads(sys.stdin.buffer.read())
    outcome = evaluate(
        request["items"], request["config"], deadline=Deadline(at=time.monotonic() + seconds)
    )
    results = [{"severity": r.severity, "message": r.message} for r in outcome.results]
    json.dump({"items": outcome.items, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
