"""One commit's content: decode, validate and order it, with scope from discovery.

A kind's scope (namespaced or not) comes from the cluster's discovery. A kind
the cluster does not serve is a fact worth keeping with the commit (the
applier reports SD1021, or a CRD in the same commit makes it known); a
discovery request that *failed* is not: the parse is then not kept, so the
next run parses the commit again instead of freezing a wrong scope into the
cache for as long as the commit stays the same.
"""

from __future__ import annotations

from pathlib import Path

from syncd.core.errors import ClusterError, UnknownKindError
from syncd.core.limits import DecodeLimits
from syncd.core.ordering import apply_waves
from syncd.core.ports import Cluster
from syncd.parse.decode import decode_directory
from syncd.parse.validate import ScopeRules, validate
from syncd.reconcile.reporting import Parsed


def parse_commit(commit: str, directory: Path, *, cluster: Cluster, limits: DecodeLimits) -> Parsed:
    """The validated, ordered content of `directory` at `commit`.

    Raises ClusterError (transient) when discovery failed for a kind, so that
    nothing is decided on a guessed scope.
    """
    decoded = decode_directory(directory, limits=limits)
    failures: list[ClusterError] = []

    def is_namespaced(group: str, kind: str) -> bool | None:
        try:
            return cluster.resource_type(group, kind).namespaced
        except UnknownKindError:
            return None
        except ClusterError as exc:
            failures.append(exc)
            return None

    validation = validate(decoded.manifests, scope=ScopeRules(is_namespaced=is_namespaced))
    if failures:
        raise ClusterError(
            f"discovery failed while reading commit {commit[:12]}; it is read again next run: "
            f"{failures[0].message}",
            transient=True,
        )
    order = apply_waves(validation.manifests)
    return Parsed(commit=commit, validation=validation, parse_errors=decoded.errors, order=order)
