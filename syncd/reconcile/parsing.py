"""One commit's content: render, decode, validate and order it, with scope from discovery.

The render stage (`syncd.render`) turns the fetched tree into declared
objects; namespaced objects that name no namespace go to the sync's default
namespace (`default` for a RootSync unless `spec.defaultNamespace` says
otherwise, the RepoSync's own namespace for a RepoSync), and a RepoSync's
objects outside its namespace are refused (SD1058, `syncd.tenancy.policy`).

A kind's scope (namespaced or not) comes from the cluster's discovery. A kind
the cluster does not serve is a fact worth keeping with the commit (the
applier reports SD1021, or a CRD in the same commit makes it known); a
discovery request that *failed* is not: the parse is then not kept, so the
next run parses the commit again instead of freezing a wrong scope into the
cache for as long as the commit stays the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from syncd.api.models import RootSync, SyncObject
from syncd.api.spec import SourceFormat
from syncd.core.errors import ClusterError, UnknownKindError
from syncd.core.ordering import apply_waves
from syncd.core.ports import Cluster, SourceSnapshot
from syncd.core.render import GitAccess, RenderedBundle, RenderOptions
from syncd.core.sync import SyncId
from syncd.parse.hierarchy.layout import read_layout
from syncd.parse.validate import ScopeRules, validate
from syncd.reconcile.reporting import Parsed
from syncd.render.stage import PackageRenderer, RenderRequest
from syncd.tenancy.policy import confine


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadOptions:
    """How a sync reads its commits: render options and the default namespace."""

    render: RenderOptions
    default_namespace: str
    git: GitAccess | None = None
    hierarchy: bool = False
    """sourceFormat: hierarchy (Config Sync's cluster/, namespaces/, ... layout)."""
    cluster_name: str = ""
    """This cluster's name, for ClusterSelectors (SYNCD_CLUSTER_NAME)."""
    sync: SyncId | None = None
    """The sync the commit is read for: a RepoSync's objects are confined to its namespace."""


def options_of(
    sync: SyncObject, *, cluster_name: str = "", git: GitAccess | None = None
) -> ReadOptions:
    """How `sync` reads its commits (its spec's render options, default namespace and format)."""
    hierarchy = isinstance(sync, RootSync) and sync.spec.source_format is SourceFormat.HIERARCHY
    return ReadOptions(
        render=sync.spec.render.options(),
        default_namespace=sync.default_namespace,
        git=git,
        hierarchy=hierarchy,
        cluster_name=cluster_name,
        sync=sync.sync_id,
    )


def read_rendered(
    commit: str,
    bundle: RenderedBundle,
    *,
    options: ReadOptions,
    is_namespaced: Callable[[str, str], bool | None],
) -> Parsed:
    """A rendered bundle's layout read, validated (namespaces defaulted) and ordered."""
    layout = read_layout(
        bundle.manifests,
        hierarchy=options.hierarchy,
        cluster_name=options.cluster_name,
        is_namespaced=is_namespaced,
    )
    validation = validate(
        layout.manifests,
        scope=ScopeRules(is_namespaced=is_namespaced, default_namespace=options.default_namespace),
    )
    if options.sync is not None:
        validation = confine(validation, sync=options.sync)
    return Parsed(
        commit=commit,
        validation=validation,
        parse_errors=bundle.decode_errors + layout.errors,
        order=apply_waves(validation.manifests),
        render_errors=bundle.render_errors,
        rendering_message=bundle.message(),
    )


def parse_commit(
    commit: str,
    snapshot: SourceSnapshot,
    *,
    cluster: Cluster,
    renderer: PackageRenderer,
    options: ReadOptions,
) -> Parsed:
    """The rendered, validated, ordered content of `snapshot` at `commit`.

    Raises ClusterError (transient) when discovery failed for a kind, so that
    nothing is decided on a guessed scope.
    """
    bundle = renderer.render(
        RenderRequest(
            root=snapshot.root,
            package=snapshot.directory,
            options=options.render,
            default_namespace=options.default_namespace,
            git=options.git,
        )
    )
    failures: list[ClusterError] = []

    def is_namespaced(group: str, kind: str) -> bool | None:
        try:
            return cluster.resource_type(group, kind).namespaced
        except UnknownKindError:
            return None
        except ClusterError as exc:
            failures.append(exc)
            return None

    parsed = read_rendered(commit, bundle, options=options, is_namespaced=is_namespaced)
    if failures:
        raise ClusterError(
            f"discovery failed while reading commit {commit[:12]}; it is read again next run: "
            f"{failures[0].message}",
            transient=True,
        )
    return parsed
