"""Builders for in-memory Config Sync repositories: manifests with source paths."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from syncd.core.errors import ErrorCode, SyncdError
from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef

CM = "configmanagement.gke.io/v1"
NS_SELECTOR_ANNOTATION = "configmanagement.gke.io/namespace-selector"
CLUSTER_SELECTOR_ANNOTATION = "configmanagement.gke.io/cluster-selector"
CLUSTER_NAME_ANNOTATION = "configsync.gke.io/cluster-name-selector"

_NAMESPACED = {("", "ConfigMap"), ("", "Secret"), ("rbac.authorization.k8s.io", "RoleBinding")}
_NAMESPACED |= {("rbac.authorization.k8s.io", "Role"), ("apps", "Deployment")}
_CLUSTER = {("", "Namespace"), ("rbac.authorization.k8s.io", "ClusterRole")}


def is_namespaced(group: str, kind: str) -> bool | None:
    """Discovery for the kinds these tests use; None for any other."""
    if (group, kind) in _NAMESPACED:
        return True
    if (group, kind) in _CLUSTER:
        return False
    return None


def obj(
    kind: str,
    name: str,
    path: str,
    *,
    api_version: str = "v1",
    namespace: str = "",
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    **fields: Any,
) -> Manifest:
    """One manifest declared in `path`."""
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    body = {"apiVersion": api_version, "kind": kind, "metadata": metadata, **fields}
    return Manifest(ref=ObjectRef.from_object(body), body=body, source_path=path)


def config_map(name: str, path: str, **kwargs: Any) -> Manifest:
    return obj("ConfigMap", name, path, data={"k": "v"}, **kwargs)


def namespace(name: str, path: str, **kwargs: Any) -> Manifest:
    return obj("Namespace", name, path, **kwargs)


def repo(path: str = "system/repo.yaml", version: str = "1.0.0") -> Manifest:
    return obj("Repo", "repo", path, api_version=CM, spec={"version": version})


def hierarchy_config(
    resources: Sequence[Mapping[str, Any]], path: str = "system/hc.yaml"
) -> Manifest:
    return obj("HierarchyConfig", "hc", path, api_version=CM, spec={"resources": list(resources)})


def selector(
    kind: str,
    name: str,
    path: str,
    match_labels: Mapping[str, str] | None = None,
    *,
    api_version: str = CM,
    **spec: Any,
) -> Manifest:
    body_spec: dict[str, Any] = dict(spec)
    if match_labels is not None:
        body_spec["selector"] = {"matchLabels": dict(match_labels)}
    return obj(kind, name, path, api_version=api_version, spec=body_spec)


def cluster(name: str, path: str = "clusterregistry/cluster.yaml", **labels: str) -> Manifest:
    return obj("Cluster", name, path, api_version="clusterregistry.k8s.io/v1alpha1", labels=labels)


def refs(manifests: Sequence[Manifest]) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of each manifest."""
    return {(m.ref.kind, m.ref.namespace, m.ref.name) for m in manifests}


def only_error(errors: Sequence[SyncdError], code: ErrorCode) -> SyncdError:
    """The one error, which must carry `code`."""
    assert [e.code for e in errors] == [code], [str(e) for e in errors]
    return errors[0]
