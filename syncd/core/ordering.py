"""Apply and prune ordering: stages, `depends-on` edges and the waves they produce.

Objects are applied in four stages: CustomResourceDefinitions, Namespaces,
other cluster-scoped objects, namespaced objects. `config.kubernetes.io/
depends-on` (kpt/cli-utils syntax) adds edges on top: a dependent lands in a
strictly later wave than everything it depends on. Inside a stage, an object
goes to the earliest wave its dependencies allow (the longest chain of
same-stage dependencies before it), so the number of waves is minimal.

An object whose annotation is malformed, names an undeclared object, or
points at a later stage is excluded (SD1070); so is every object in a cycle
(SD1071) and, transitively, every object depending on an excluded one
(SD1070). Everything else is still ordered. Input manifests are expected to be
unique by identity (validation drops duplicates). Pruning follows the same
graph in reverse (`core.prune_order`), reading `depends-on` from the live
objects.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from syncd.core.errors import ErrorCode, ResourceRef, SourceContentError, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.metadata import DEPENDS_ON_ANNOTATION
from syncd.core.refs import ObjectRef

CRD_GROUP: Final = "apiextensions.k8s.io"
CRD_KIND: Final = "CustomResourceDefinition"


class Stage(IntEnum):
    """Apply stages, in apply order."""

    CRDS = 0
    NAMESPACES = 1
    CLUSTER_SCOPED = 2
    NAMESPACED = 3


def stage_of(ref: ObjectRef) -> Stage:
    """The stage an object is applied in (validation has already checked its namespace)."""
    if ref.group == CRD_GROUP and ref.kind == CRD_KIND:
        return Stage.CRDS
    if ref.group == "" and ref.kind == "Namespace":
        return Stage.NAMESPACES
    return Stage.CLUSTER_SCOPED if ref.cluster_scoped else Stage.NAMESPACED


def is_crd(ref: ObjectRef) -> bool:
    """Whether `ref` names a CustomResourceDefinition."""
    return ref.group == CRD_GROUP and ref.kind == CRD_KIND


class InvalidDependsOnError(ValueError):
    """A depends-on annotation does not follow the kpt syntax."""


def parse_depends_on(value: str) -> tuple[ObjectRef, ...]:
    """The objects a `config.kubernetes.io/depends-on` value names.

    Comma-separated `<group>/<kind>/<name>` (cluster-scoped) or
    `<group>/namespaces/<namespace>/<kind>/<name>` (namespaced); the group is
    empty for the core group. Whitespace around entries is ignored and an
    empty value names nothing. Raises InvalidDependsOnError.
    """
    if not value.strip():
        return ()
    refs: list[ObjectRef] = []
    for raw in value.split(","):
        entry = raw.strip()
        parts = entry.split("/")
        if len(parts) == 3:
            group, kind, name = parts
            namespace = ""
        elif len(parts) == 5 and parts[1] == "namespaces" and parts[2]:
            group, _, namespace, kind, name = parts
        else:
            raise InvalidDependsOnError(
                f"{entry!r} is not <group>/<kind>/<name> "
                "or <group>/namespaces/<namespace>/<kind>/<name>"
            )
        if not kind or not name:
            raise InvalidDependsOnError(f"{entry!r} lacks a kind or a name")
        refs.append(ObjectRef(group=group, kind=kind, namespace=namespace, name=name))
    return tuple(refs)


def format_depends_on(ref: ObjectRef) -> str:
    """The kpt form of one reference (the inverse of `parse_depends_on`)."""
    if ref.namespace:
        return f"{ref.group}/namespaces/{ref.namespace}/{ref.kind}/{ref.name}"
    return f"{ref.group}/{ref.kind}/{ref.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderResult:
    """Waves to apply in sequence; each wave's objects may be applied in parallel.

    `wait_for[i]` holds the objects of wave `i` that must be ready before
    wave `i + 1` starts: CRDs (Established) and objects something depends on
    (kstatus Current). `excluded` holds every object left out, with the
    reasons in `errors`.
    """

    waves: tuple[tuple[Manifest, ...], ...]
    wait_for: tuple[frozenset[ObjectRef], ...]
    errors: tuple[SyncdError, ...] = ()
    excluded: frozenset[ObjectRef] = frozenset()

    @property
    def wait_after(self) -> tuple[bool, ...]:
        """Per wave: whether to wait for readiness before starting the next one."""
        return tuple(bool(refs) for refs in self.wait_for)


def apply_waves(
    manifests: Iterable[Manifest], *, external: Collection[ObjectRef] = ()
) -> OrderResult:
    """Order `manifests` into apply waves (see the module docstring).

    Pass every declared object, not only those that changed: a dependency on
    an unchanged object must still be found. `external` names objects known
    to exist outside the set; depending on them is allowed and adds no edge.
    """
    by_ref: dict[ObjectRef, Manifest] = {}
    for manifest in manifests:
        by_ref.setdefault(manifest.ref, manifest)
    errors: list[SyncdError] = []
    edges, broken = _dependency_edges(by_ref, external=external, errors=errors)
    in_cycle = _report_cycles(by_ref, edges, errors)
    excluded = _exclude_dependents(by_ref, edges, broken | in_cycle, errors)
    kept = [ref for ref in by_ref if ref not in excluded]
    levels = _levels(kept, edges)
    waves: list[tuple[Manifest, ...]] = []
    wait_for: list[frozenset[ObjectRef]] = []
    depended_on = {dep for ref in kept for dep in edges[ref]}
    buckets: dict[tuple[Stage, int], list[ObjectRef]] = {}
    for ref in kept:
        buckets.setdefault((stage_of(ref), levels[ref]), []).append(ref)
    for key in sorted(buckets):
        wave = buckets[key]
        waves.append(tuple(by_ref[ref] for ref in wave))
        wait_for.append(frozenset(r for r in wave if is_crd(r) or r in depended_on))
    if wait_for:
        wait_for[-1] = frozenset()
    return OrderResult(
        waves=tuple(waves),
        wait_for=tuple(wait_for),
        errors=tuple(errors),
        excluded=frozenset(excluded),
    )


def _dependency_edges(
    by_ref: Mapping[ObjectRef, Manifest],
    *,
    external: Collection[ObjectRef],
    errors: list[SyncdError],
) -> tuple[dict[ObjectRef, list[ObjectRef]], set[ObjectRef]]:
    """`ref -> the declared objects it depends on`, and the refs with unusable annotations."""
    edges: dict[ObjectRef, list[ObjectRef]] = {}
    broken: set[ObjectRef] = set()
    for ref, manifest in by_ref.items():
        edges[ref] = []
        value = manifest.annotation(DEPENDS_ON_ANNOTATION)
        if value is None:
            continue
        try:
            deps = parse_depends_on(value)
        except InvalidDependsOnError as exc:
            errors.append(
                _error(ErrorCode.INVALID_DEPENDENCY, f"{ref}: depends-on: {exc}", [ref], by_ref)
            )
            broken.add(ref)
            continue
        for dep in dict.fromkeys(deps):
            problem = _dependency_problem(ref, dep, by_ref=by_ref, external=external)
            if problem:
                errors.append(_error(ErrorCode.INVALID_DEPENDENCY, problem, [ref], by_ref))
                broken.add(ref)
            elif dep in by_ref:
                edges[ref].append(dep)
    return edges, broken


def _dependency_problem(
    ref: ObjectRef,
    dep: ObjectRef,
    *,
    by_ref: Mapping[ObjectRef, Manifest],
    external: Collection[ObjectRef],
) -> str:
    if dep not in by_ref:
        if dep in external:
            return ""
        return f"{ref} depends on {dep}, which is not declared in this source"
    if stage_of(dep) > stage_of(ref):
        return (
            f"{ref} depends on {dep}, which is applied in a later stage "
            "(CRDs, then Namespaces, then cluster-scoped, then namespaced objects)"
        )
    return ""


def _report_cycles(
    by_ref: Mapping[ObjectRef, Manifest],
    edges: Mapping[ObjectRef, Sequence[ObjectRef]],
    errors: list[SyncdError],
) -> set[ObjectRef]:
    in_cycle: set[ObjectRef] = set()
    for component in _strongly_connected(list(by_ref), edges):
        members = set(component)
        first = min(component)
        if len(component) == 1 and first not in edges[first]:
            continue
        in_cycle |= members
        path = " -> ".join(str(ref) for ref in _cycle_path(first, members, edges))
        errors.append(
            _error(ErrorCode.DEPENDENCY_CYCLE, f"depends-on cycle: {path}", sorted(members), by_ref)
        )
    return in_cycle


def _exclude_dependents(
    by_ref: Mapping[ObjectRef, Manifest],
    edges: Mapping[ObjectRef, Sequence[ObjectRef]],
    excluded: set[ObjectRef],
    errors: list[SyncdError],
) -> set[ObjectRef]:
    """`excluded` plus, transitively, every object depending on one of them."""
    dependents: dict[ObjectRef, list[ObjectRef]] = {}
    for ref, deps in edges.items():
        for dep in deps:
            dependents.setdefault(dep, []).append(ref)
    result = set(excluded)
    queue = deque(sorted(excluded))
    while queue:
        blocked = queue.popleft()
        for ref in dependents.get(blocked, ()):
            if ref not in result:
                result.add(ref)
                queue.append(ref)
                message = f"{ref} depends on {blocked}, which cannot be applied"
                errors.append(_error(ErrorCode.INVALID_DEPENDENCY, message, [ref], by_ref))
    return result


def _levels(
    refs: Sequence[ObjectRef], edges: Mapping[ObjectRef, Sequence[ObjectRef]]
) -> dict[ObjectRef, int]:
    """Longest chain of same-stage dependencies before each object (the graph is acyclic)."""
    kept = set(refs)
    level = dict.fromkeys(refs, 0)
    waiting = {
        ref: sum(1 for dep in edges[ref] if dep in kept and stage_of(dep) is stage_of(ref))
        for ref in refs
    }
    dependents: dict[ObjectRef, list[ObjectRef]] = {}
    for ref in refs:
        for dep in edges[ref]:
            if dep in kept and stage_of(dep) is stage_of(ref):
                dependents.setdefault(dep, []).append(ref)
    queue = deque(ref for ref in refs if waiting[ref] == 0)
    while queue:
        dep = queue.popleft()
        for ref in dependents.get(dep, ()):
            level[ref] = max(level[ref], level[dep] + 1)
            waiting[ref] -= 1
            if waiting[ref] == 0:
                queue.append(ref)
    return level


def _strongly_connected(
    nodes: Sequence[ObjectRef], edges: Mapping[ObjectRef, Sequence[ObjectRef]]
) -> list[list[ObjectRef]]:
    """Tarjan's algorithm, iterative (dependency chains may be thousands long)."""
    index: dict[ObjectRef, int] = {}
    low: dict[ObjectRef, int] = {}
    stack: list[ObjectRef] = []
    on_stack: set[ObjectRef] = set()
    components: list[list[ObjectRef]] = []

    def visit(node: ObjectRef) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in nodes:
        if root in index:
            continue
        visit(root)
        work = [(root, iter(edges[root]))]
        while work:
            node, successors = work[-1]
            descended = False
            for successor in successors:
                if successor not in index:
                    visit(successor)
                    work.append((successor, iter(edges[successor])))
                    descended = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if descended:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[ObjectRef] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _cycle_path(
    start: ObjectRef, members: set[ObjectRef], edges: Mapping[ObjectRef, Sequence[ObjectRef]]
) -> list[ObjectRef]:
    """A shortest cycle through `start` inside one strongly connected component."""
    previous: dict[ObjectRef, ObjectRef] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in edges[node]:
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if successor in members and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    return [start, start]  # unreachable for a real component; keeps the type total


def _error(
    code: ErrorCode,
    message: str,
    refs: Sequence[ObjectRef],
    by_ref: Mapping[ObjectRef, Manifest],
) -> SyncdError:
    return SourceContentError(
        message,
        code=code,
        resources=[ResourceRef(ref=ref, source_path=by_ref[ref].source_path) for ref in refs],
    )
