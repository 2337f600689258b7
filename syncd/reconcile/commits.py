"""A sync's source and the one commit it last read: fetched, rendered and parsed once.

`CommitReader.read` returns the parsed content of the commit the source
resolves to now. While the commit and what rendering reads from the spec
(the source, `render`, `defaultNamespace`, `sourceFormat`) stay the same, it
reuses the last result: an unchanged poll fetches, renders and parses
nothing and starts no renderer process. A change of those spec fields
builds a new source and reads the commit again. A commit whose rendering
failed is not kept (the next run renders it again: a remote base may be
back), nor is one read while discovery failed (`parse_commit` raises).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from syncd.api.duration import parse_duration
from syncd.api.models import SyncObject
from syncd.core.ports import Cluster, Source
from syncd.reconcile.parsing import parse_commit
from syncd.reconcile.reporting import Parsed
from syncd.reconcile.sources import SourceFactory, read_options
from syncd.render.stage import PackageRenderer

_READ_FIELDS = {"source_type", "git", "render", "default_namespace", "source_format"}
"""The spec fields the source and the render stage read (tool versions cannot change while a
process runs: one Tools finds them once)."""


class CommitReader:
    """The source of one sync and its last parsed commit (owned by the sync's pipeline)."""

    def __init__(
        self,
        *,
        renderer: PackageRenderer,
        source_factory: SourceFactory,
        cache_dir: Path,
        cluster_name: str = "",
    ) -> None:
        """Nothing is fetched until the first `read`."""
        self._renderer = renderer
        self._factory = source_factory
        self._cache_dir = cache_dir
        self._cluster_name = cluster_name
        self._source: Source | None = None
        self._key = ""
        self._parsed: Parsed | None = None

    @property
    def commit(self) -> str:
        """The commit read last ('' before the first read)."""
        return self._parsed.commit if self._parsed else ""

    def source(self, sync: SyncObject, *, cluster: Cluster, identity: str) -> Source:
        """The sync's Source, built again when the spec fields it and rendering read change.

        `cluster` reads the credentials Secrets (as `identity`, whose change
        builds the source again too).
        """
        key = identity + sync.spec.model_dump_json(include=_READ_FIELDS)
        if self._source is None or key != self._key:
            timeout = parse_duration(sync.spec.override.api_server_timeout).total_seconds()
            self._source = self._factory(cluster, sync, self._cache_dir, max(timeout, 30))
            if key != self._key:
                self._key = key
                self._parsed = None
        return self._source

    def forget_source(self) -> None:
        """Build the source again next run (its credentials Secret may have been fixed)."""
        self._source = None

    def read(
        self, source: Source, commit: str, sync: SyncObject, bound: Any, *, cluster: Cluster
    ) -> Parsed:
        """The parsed content of `commit`: the last result when it is still the same.

        `cluster` reads the credentials Secrets and discovery, as the sync's identity.
        """
        if self._parsed is not None and self._parsed.commit == commit:
            return self._parsed
        with source.fetch(commit) as snapshot:
            parsed = parse_commit(
                commit,
                snapshot,
                cluster=cluster,
                renderer=self._renderer,
                options=read_options(cluster, sync, cluster_name=self._cluster_name),
            )
        bound.info(
            "reconcile.parsed",
            commit=commit[:12],
            objects=len(parsed.validation.manifests),
            errors=len(parsed.source_errors),
            render_errors=len(parsed.render_errors),
            rendering=parsed.rendering_message,
        )
        self._parsed = None if parsed.render_errors else parsed
        return parsed
