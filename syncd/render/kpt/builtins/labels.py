"""The `set-labels` and `set-annotations` built-ins, after the kpt function catalogue's.

set-labels (ConfigMap `data` or `SetLabels.labels`) adds or replaces each
label in `metadata.labels` of every object that is not local-config, and in
the selectors and templates that must match them: Service and
ReplicationController `spec.selector`; Deployment, ReplicaSet, DaemonSet and
StatefulSet `spec.selector.matchLabels` (created), Job and
PodDisruptionBudget `spec.selector.matchLabels` (only labels already there
are updated); pod templates' `metadata.labels` of workloads, CronJob's job
template; StatefulSet `volumeClaimTemplates`; NetworkPolicy pod selectors
(updated, not created); pod (anti-)affinity and topology spread label
selectors (updated, not created).

set-annotations (ConfigMap `data` or `SetAnnotations.annotations`, plus
`additionalAnnotationFields`) sets each annotation in `metadata.annotations`
of every object (local-config ones too, as upstream) and in the pod
templates of workloads and CronJobs (kustomize's common annotation fields).
"""

from __future__ import annotations

from typing import Any, Final

from syncd.render.kpt.annotations import is_local_config
from syncd.render.kpt.builtins.common import (
    config_data,
    ensure,
    failure,
    group_of,
    info,
    is_kind,
    is_typed,
    nested,
    string_map,
)
from syncd.render.kpt.model import Deadline, FunctionOutcome

_POD_TEMPLATE_KINDS: Final = frozenset(
    {"ReplicationController", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"}
)
_CREATE_MATCH_LABELS: Final = frozenset({"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"})


class _Setter:
    """Sets a fixed set of key/values into label or annotation maps, counting changes."""

    __slots__ = ("count", "values")

    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(sorted(values.items()))
        self.count = 0

    def put(self, holder: dict[str, Any] | None, *path: str, create: bool) -> None:
        if holder is None:
            return
        target = ensure(holder, *path) if create else nested(holder, *path)
        if target is None:
            return
        for key, value in self.values.items():
            if (key in target and target[key] != value) or (key not in target and create):
                target[key] = value
                self.count += 1


def set_labels(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run set-labels over `items` (changed in place and returned)."""
    del deadline
    labels = _values(config, "SetLabels", "labels")
    if isinstance(labels, str):
        return failure(labels)
    setter = _Setter(labels)
    for item in items:
        if not is_local_config(item):
            _label_object(setter, item)
    return info(items, f"set {setter.count} labels in total")


def _label_object(setter: _Setter, item: dict[str, Any]) -> None:  # noqa: PLR0912 - one branch per catalogue rule
    kind = item.get("kind")
    setter.put(item, "metadata", "labels", create=True)
    if is_kind(item, "Service", group="") or is_kind(item, "ReplicationController", group=""):
        setter.put(item, "spec", "selector", create=True)
    if kind in _CREATE_MATCH_LABELS:
        setter.put(item, "spec", "selector", "matchLabels", create=True)
    if (kind == "Job" and group_of(item) == "batch") or (
        kind == "PodDisruptionBudget" and group_of(item) == "policy"
    ):
        setter.put(item, "spec", "selector", "matchLabels", create=False)
    spec = nested(item, "spec")
    if spec is None:
        return
    if kind in _POD_TEMPLATE_KINDS:
        _label_pod(setter, nested(spec, "template"))
    if is_kind(item, "CronJob", group="batch"):
        job = nested(spec, "jobTemplate")
        if job is not None:
            setter.put(job, "metadata", "labels", create=True)
            setter.put(job, "spec", "selector", "matchLabels", create=False)
            _label_pod(setter, nested(job, "spec", "template"))
    if is_kind(item, "StatefulSet", group="apps"):
        for claim in _maps(spec.get("volumeClaimTemplates")):
            setter.put(claim, "metadata", "labels", create=True)
            setter.put(claim, "spec", "selector", "matchLabels", create=False)
    if is_kind(item, "NetworkPolicy", group="networking.k8s.io"):
        setter.put(spec, "podSelector", "matchLabels", create=False)
        for rule in _maps(spec.get("ingress")):
            for peer in _maps(rule.get("from")):
                setter.put(peer, "podSelector", "matchLabels", create=False)
        for rule in _maps(spec.get("egress")):
            for peer in _maps(rule.get("to")):
                setter.put(peer, "podSelector", "matchLabels", create=False)


def _label_pod(setter: _Setter, pod: dict[str, Any] | None) -> None:
    if pod is None:
        return
    setter.put(pod, "metadata", "labels", create=True)
    spec = nested(pod, "spec")
    if spec is None:
        return
    for constraint in _maps(spec.get("topologySpreadConstraints")):
        setter.put(constraint, "labelSelector", "matchLabels", create=False)
    affinity = nested(spec, "affinity") or {}
    for which in ("podAffinity", "podAntiAffinity"):
        terms = nested(affinity, which)
        if terms is None:
            continue
        for weighted in _maps(terms.get("preferredDuringSchedulingIgnoredDuringExecution")):
            setter.put(
                nested(weighted, "podAffinityTerm"), "labelSelector", "matchLabels", create=False
            )
        for term in _maps(terms.get("requiredDuringSchedulingIgnoredDuringExecution")):
            setter.put(term, "labelSelector", "matchLabels", create=False)


def set_annotations(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run set-annotations over `items` (changed in place and returned)."""
    del deadline
    values = _values(config, "SetAnnotations", "annotations")
    if isinstance(values, str):
        return failure(values)
    extra = _field_specs(config)
    if isinstance(extra, str):
        return failure(extra)
    setter = _Setter(values)
    for item in items:
        setter.put(item, "metadata", "annotations", create=True)
        kind = item.get("kind")
        if kind in _POD_TEMPLATE_KINDS:
            setter.put(item, "spec", "template", "metadata", "annotations", create=True)
        if is_kind(item, "CronJob", group="batch"):
            setter.put(item, "spec", "jobTemplate", "metadata", "annotations", create=True)
            job = nested(item, "spec", "jobTemplate", "spec")
            setter.put(job, "template", "metadata", "annotations", create=True)
        for spec in extra:
            if _matches(item, spec):
                setter.put(item, *spec["path"], create=bool(spec["create"]))
    return info(items, f"set {setter.count} annotations in total")


def _values(config: dict[str, Any] | None, kind: str, field: str) -> dict[str, str] | str:
    data = config_data(config)
    if data is not None:
        values = data
    elif is_typed(config, kind):
        found = string_map((config or {}).get(field) or {})
        if found is None:
            return f"`{field}` must be a mapping"
        values = found
    elif config is None:
        return f"FunctionConfig is missing. Expect `ConfigMap` or `{kind}`"
    else:
        return f"unknown functionConfig kind {config.get('kind')!r}: expect `ConfigMap` or `{kind}`"
    if not values:
        return f"no `{field}` are given in the FunctionConfig"
    return values


def _field_specs(config: dict[str, Any] | None) -> list[dict[str, Any]] | str:
    if not is_typed(config, "SetAnnotations"):
        return []
    raw = (config or {}).get("additionalAnnotationFields") or (config or {}).get("fieldSpecs") or []
    if not isinstance(raw, list):
        return "`additionalAnnotationFields` must be a list"
    specs: list[dict[str, Any]] = []
    for entry in raw:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("path"), str)
            or not entry["path"]
        ):
            return "every `additionalAnnotationFields` entry needs a `path`"
        specs.append({**entry, "path": [part for part in entry["path"].split("/") if part]})
    return specs


def _matches(item: dict[str, Any], spec: dict[str, Any]) -> bool:
    version = item.get("apiVersion") if isinstance(item.get("apiVersion"), str) else ""
    assert isinstance(version, str)  # noqa: S101 - narrowed above
    wanted = {
        "group": group_of(item),
        "version": version.rsplit("/", 1)[-1],
        "kind": item.get("kind"),
    }
    return all(not spec.get(key) or spec.get(key) == value for key, value in wanted.items())


def _maps(value: object) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []
