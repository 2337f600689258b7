"""What the parse stage hands on: decoded and validated manifests with their errors.

`DecodeResult` comes out of `syncd.parse.decode`, `ValidationResult` out of
`syncd.parse.validate`; `reconcile` passes them to `plan` and `apply`, so the
types live here rather than in `parse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncd.core.errors import SyncdError
from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodeResult:
    """Every object decoded from a directory, and what could not be decoded.

    `complete` is False as soon as one file or document failed: the set of
    declared objects is then not known for sure, so nothing may be pruned.
    """

    manifests: tuple[Manifest, ...]
    errors: tuple[SyncdError, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every file and document decoded (pruning is safe)."""
        return not self.errors


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationResult:
    """The manifests that passed validation, and the errors of those that did not.

    `rejected` holds the identities of declared objects that were dropped
    (duplicates, invalid names or namespaces). They are still declared, so
    the planner keeps them in the inventory and never prunes them.
    """

    manifests: tuple[Manifest, ...]
    errors: tuple[SyncdError, ...] = ()
    rejected: frozenset[ObjectRef] = field(default_factory=frozenset)
