"""The `set-namespace` built-in, after the kpt function catalogue's.

Config: a ConfigMap with `data.namespace` (or `data.name` when the ConfigMap
is the package context `kptfile.kpt.dev`) and optional
`data.namespaceMatcher`, or a `SetNamespace` (`namespace`,
`namespaceMatcher`). Local-config objects are left alone. It sets
`metadata.namespace` of namespaced objects (an unset namespace counts as
`default`), renames Namespace objects, and updates the namespace of
RoleBinding/ClusterRoleBinding subjects, of a CRD's conversion webhook
service and of an APIService's service when those are set, and the
namespace segment of `config.kubernetes.io/depends-on` annotations that name
an object of the package. With `namespaceMatcher`, only values equal to it
change. (Upstream-origin matching of kpt packages is not modelled.)
"""

from __future__ import annotations

from typing import Any, Final

from syncd.render.kpt.annotations import annotations_of, is_local_config
from syncd.render.kpt.builtins.common import (
    config_data,
    config_name,
    failure,
    group_of,
    info,
    is_kind,
    is_namespaced,
    is_typed,
    nested,
)
from syncd.render.kpt.model import Deadline, FunctionOutcome

DEPENDS_ON: Final = "config.kubernetes.io/depends-on"
PACKAGE_CONTEXT: Final = "kptfile.kpt.dev"


def set_namespace(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run set-namespace over `items` (changed in place and returned)."""
    del deadline
    settings = _config(config)
    if isinstance(settings, str):
        return failure(settings)
    new, matcher = settings
    objects = [item for item in items if not is_local_config(item)]
    before = {_depends_on_id(item) for item in objects if is_namespaced(item)}
    changed = 0
    for item in objects:
        metadata = item.get("metadata")
        if not isinstance(metadata, dict):
            continue
        targets: list[tuple[dict[str, Any], str]] = []
        if is_kind(item, "Namespace", group=""):
            targets.append((metadata, "name"))
        elif is_namespaced(item):
            targets.append((metadata, "namespace"))
        targets.extend((holder, "namespace") for holder in _namespace_holders(item))
        for holder, key in targets:
            current = str(holder.get(key) or "") or "default"
            if current != new and (not matcher or current == matcher):
                holder[key] = new
                changed += 1
    updated = _depends_on(objects, before, new=new, matcher=matcher)
    return info(
        items, f"{changed} namespace value(s) and {updated} depends-on annotation(s) set to {new!r}"
    )


def _config(config: dict[str, Any] | None) -> tuple[str, str] | str:  # noqa: PLR0911
    data = config_data(config)
    if data is not None:
        if data.get("namespace"):
            return data["namespace"], data.get("namespaceMatcher", "")
        if data.get("name") and config_name(config) == PACKAGE_CONTEXT:
            return data["name"], data.get("namespaceMatcher", "")
        return "`data.namespace` should not be empty"
    if is_typed(config, "SetNamespace"):
        assert config is not None  # noqa: S101 - is_typed checked it
        namespace = config.get("namespace")
        matcher = config.get("namespaceMatcher") or ""
        if not isinstance(namespace, str) or not namespace:
            return "`namespace` should not be empty"
        return namespace, str(matcher)
    if config is None:
        return "FunctionConfig is missing. Expect `ConfigMap` or `SetNamespace`"
    return (
        f"unknown functionConfig Kind={config.get('kind')} ApiVersion={config.get('apiVersion')}, "
        "expect `ConfigMap` or `SetNamespace`"
    )


def _namespace_holders(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Mappings inside the object whose `namespace` key names a namespace and is set."""
    holders: list[dict[str, Any]] = []
    if item.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
        subjects = item.get("subjects")
        if isinstance(subjects, list):
            holders.extend(s for s in subjects if isinstance(s, dict) and "namespace" in s)
    elif is_kind(item, "CustomResourceDefinition", group="apiextensions.k8s.io"):
        service = nested(item, "spec", "conversion", "webhook", "clientConfig", "service")
        if service is not None and "namespace" in service:
            holders.append(service)
    elif is_kind(item, "APIService", group="apiregistration.k8s.io"):
        service = nested(item, "spec", "service")
        if service is not None and "namespace" in service:
            holders.append(service)
    return holders


def _depends_on_id(item: dict[str, Any]) -> str:
    metadata = item.get("metadata") or {}
    namespace = metadata.get("namespace") or "default"
    return f"{group_of(item)}/namespaces/{namespace}/{item.get('kind')}/{metadata.get('name')}"


def _depends_on(objects: list[dict[str, Any]], before: set[str], *, new: str, matcher: str) -> int:
    count = 0
    for item in objects:
        found = annotations_of(item)
        value = found.get(DEPENDS_ON)
        if not isinstance(value, str) or value not in before:
            continue
        segments = value.split("/")
        if len(segments) != 5 or segments[2] == new or (matcher and segments[2] != matcher):
            continue
        segments[2] = new
        found[DEPENDS_ON] = "/".join(segments)
        count += 1
    return count
