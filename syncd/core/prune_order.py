"""Prune ordering: the apply graph in reverse, custom resources first (pure).

Objects that leave the source are deleted in waves; each wave is gone before
the next starts (the pruner waits). The order reverses the apply order:

1. custom resources (kinds the API server does not serve itself), with every
   object that depends on one of them: an operator's resources go while the
   operator still runs to clear their finalizers;
2. other namespaced objects;
3. other cluster-scoped objects;
4. Namespaces;
5. CustomResourceDefinitions.

Inside a stage, `config.kubernetes.io/depends-on` edges (read from the live
objects, which carry the annotation as applied) put dependents in an earlier
wave than what they depend on. Malformed annotations and edges that leave the
set being pruned add nothing; a cycle (impossible for objects that were
applied in order, but live annotations can be edited) is cut by putting its
members in one wave.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any, Final

from syncd.core.metadata import DEPENDS_ON_ANNOTATION
from syncd.core.ordering import InvalidDependsOnError, Stage, parse_depends_on, stage_of
from syncd.core.refs import ObjectRef

BUILTIN_GROUPS: Final = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "extensions",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)
"""API groups the API server serves itself; every other group is a custom resource's."""


class PruneStage(IntEnum):
    """Prune stages, in deletion order."""

    CUSTOM_RESOURCES = 0
    NAMESPACED = 1
    CLUSTER_SCOPED = 2
    NAMESPACES = 3
    CRDS = 4


_FROM_APPLY: Final = {
    Stage.NAMESPACED: PruneStage.NAMESPACED,
    Stage.CLUSTER_SCOPED: PruneStage.CLUSTER_SCOPED,
    Stage.NAMESPACES: PruneStage.NAMESPACES,
    Stage.CRDS: PruneStage.CRDS,
}


def is_custom_resource(ref: ObjectRef) -> bool:
    """Whether `ref` is of a kind a CustomResourceDefinition (or an aggregated API) serves."""
    return ref.group not in BUILTIN_GROUPS


def prune_waves(
    objects: Mapping[ObjectRef, Mapping[str, Any]],
) -> tuple[tuple[ObjectRef, ...], ...]:
    """Deletion waves for `objects` (identity -> live body), each sorted, first wave first."""
    deps = _dependencies(objects)
    stage = {ref: _FROM_APPLY[stage_of(ref)] for ref in objects}
    custom = {ref for ref in objects if is_custom_resource(ref)}
    for ref in _dependents_of(custom, deps):
        if stage[ref] in (PruneStage.NAMESPACED, PruneStage.CLUSTER_SCOPED):
            stage[ref] = PruneStage.CUSTOM_RESOURCES
    for ref in custom:
        stage[ref] = PruneStage.CUSTOM_RESOURCES
    level = _levels(objects, deps, stage)
    buckets: dict[tuple[PruneStage, int], list[ObjectRef]] = {}
    for ref in objects:
        buckets.setdefault((stage[ref], level[ref]), []).append(ref)
    return tuple(tuple(sorted(buckets[key])) for key in sorted(buckets))


def _dependencies(
    objects: Mapping[ObjectRef, Mapping[str, Any]],
) -> dict[ObjectRef, tuple[ObjectRef, ...]]:
    """`ref -> what it depends on`, limited to objects being pruned."""
    deps: dict[ObjectRef, tuple[ObjectRef, ...]] = {}
    for ref, live in objects.items():
        metadata = live.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        value = annotations.get(DEPENDS_ON_ANNOTATION) if isinstance(annotations, Mapping) else None
        if not isinstance(value, str):
            deps[ref] = ()
            continue
        try:
            named = parse_depends_on(value)
        except InvalidDependsOnError:
            named = ()
        deps[ref] = tuple(dict.fromkeys(d for d in named if d in objects and d != ref))
    return deps


def _dependents_of(
    roots: Iterable[ObjectRef], deps: Mapping[ObjectRef, tuple[ObjectRef, ...]]
) -> set[ObjectRef]:
    """Every object that depends, directly or through others, on one of `roots`."""
    dependents: dict[ObjectRef, list[ObjectRef]] = {}
    for ref, named in deps.items():
        for dep in named:
            dependents.setdefault(dep, []).append(ref)
    seen: set[ObjectRef] = set()
    queue = deque(roots)
    while queue:
        for ref in dependents.get(queue.popleft(), ()):
            if ref not in seen:
                seen.add(ref)
                queue.append(ref)
    return seen


def _levels(
    objects: Iterable[ObjectRef],
    deps: Mapping[ObjectRef, tuple[ObjectRef, ...]],
    stage: Mapping[ObjectRef, PruneStage],
) -> dict[ObjectRef, int]:
    """Per object, the longest chain of same-stage dependents that must go before it."""
    refs = list(objects)
    level = dict.fromkeys(refs, 0)
    # An edge dependent -> dependency inside one stage: the dependency waits.
    waiting = dict.fromkeys(refs, 0)
    after: dict[ObjectRef, list[ObjectRef]] = {}
    for ref in refs:
        for dep in deps[ref]:
            if stage[dep] is stage[ref]:
                waiting[dep] += 1
                after.setdefault(ref, []).append(dep)
    queue = deque(ref for ref in refs if waiting[ref] == 0)
    done: set[ObjectRef] = set()
    while queue:
        ref = queue.popleft()
        done.add(ref)
        for dep in after.get(ref, ()):
            level[dep] = max(level[dep], level[ref] + 1)
            waiting[dep] -= 1
            if waiting[dep] == 0:
                queue.append(dep)
    if len(done) < len(refs):  # a cycle in edited live annotations: one wave after the rest
        last = max(level.values(), default=0) + 1
        for ref in refs:
            if ref not in done:
                level[ref] = last
    return level
