"""The knobs tests turn on FakeCluster: injected failures, new types, compaction, identities.

A base class of `FakeCluster`, which owns the state these methods steer.
"""

from __future__ import annotations

import threading

from syncd.core.ports import ResourceType, WatchEvent

from .fake_failures import Failures, Target
from .fake_objects import FakeDiscovery
from .fake_rbac import Authorizer, Identities


class FakeControls:
    """Test controls of FakeCluster (the state is FakeCluster's)."""

    _lock: threading.RLock
    _failures: Failures
    _discovery: FakeDiscovery
    _events: list[tuple[int, WatchEvent]]
    _rv: int
    _compacted_rv: int
    identities: Identities

    def fail_next(self, verb: str, target: Target, error: Exception, *, times: int = 1) -> None:
        """Raise `error` on the next `times` calls of `verb` (on `target` when given)."""
        with self._lock:
            self._failures.add(verb, target, error, times=times)

    def fail_always(self, verb: str, target: Target, error: Exception) -> None:
        """Raise `error` on every call of `verb` (on `target`) until `clear_failures()`."""
        with self._lock:
            self._failures.add(verb, target, error, times=None)

    def authorize(self, authorizer: Authorizer | None) -> None:
        """Decide every impersonated request with `authorizer` (None allows everything)."""
        self.identities.authorizer = authorizer

    def clear_failures(self) -> None:
        """Forget every injected failure."""
        with self._lock:
            self._failures.clear()

    def register_type(self, rtype: ResourceType) -> None:
        """Serve a new type (a CRD became Established); visible after `refresh_discovery()`."""
        with self._lock:
            self._discovery.register(rtype)

    def compact(self) -> None:
        """Drop the watch history: watching from an older resourceVersion then expires (410)."""
        with self._lock:
            self._events.clear()
            self._compacted_rv = self._rv

    @property
    def resource_version(self) -> str:
        """The latest resourceVersion the fake handed out."""
        with self._lock:
            return str(self._rv)
