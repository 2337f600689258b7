"""Steps shared by the sync acceptance tests: manifests, RootSync lifecycle, server-side facts.

Owns the YAML builders the tests commit, `create_root_sync` (a uniquely named
RootSync deleted, with what it created, when the test ends), polling helpers
over the RootSync's status, Events and the controller's JSON log, and
`history`, which replays the API server's watch cache to learn the exact
resourceVersion at which each object was created, modified or deleted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
import yaml

from e2e.kube import unique
from e2e.syncenv import (
    ROOT_SYNCS,
    SYSTEM_NS,
    Controller,
    get_root_sync,
    root_sync_body,
)
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import ServerError, wait_until

RESOURCE_GROUPS = f"/apis/syncd.dev/v1beta1/namespaces/{SYSTEM_NS}/resourcegroups"
SYNCD_LABELS = ("app.kubernetes.io/managed-by", "applyset.kubernetes.io/part-of")
SYNCD_ANNOTATION_PREFIX = "syncd.dev/"
DEPENDS_ON = "config.kubernetes.io/depends-on"
TIMEOUT = 90.0

# ----------------------------------------------------------------------------- manifests


def to_yaml(*objects: Mapping[str, Any]) -> str:
    """One YAML stream holding `objects`."""
    return "---\n".join(yaml.safe_dump(dict(obj), sort_keys=False) for obj in objects)


def namespace(name: str) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def configmap(
    name: str, ns: str, value: str, *, annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A ConfigMap with one key, `value`."""
    metadata: dict[str, Any] = {"name": name, "namespace": ns}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"value": value}}


def deployment(
    name: str,
    ns: str,
    *,
    image: str = "example.com/app:1",
    pod: Mapping[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Deployment of one container; `pod` adds pod spec fields, `spec` Deployment fields."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {**(pod or {}), "containers": [{"name": "app", "image": image}]},
            },
            **spec,
        },
    }


def cluster_role(name: str, *, annotations: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A ClusterRole that may read ConfigMaps (no aggregation: nothing else writes it)."""
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": metadata,
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}],
    }


def depends_on(*refs: str) -> dict[str, str]:
    """The depends-on annotation naming `refs` (kpt syntax)."""
    return {DEPENDS_ON: ",".join(refs)}


def cm_path(ns: str, name: str) -> str:
    """The API path of a ConfigMap."""
    return f"/api/v1/namespaces/{ns}/configmaps/{name}"


def ns_path(name: str) -> str:
    """The API path of a Namespace."""
    return f"/api/v1/namespaces/{name}"


def cluster_role_path(name: str) -> str:
    """The API path of a ClusterRole."""
    return f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"


# ----------------------------------------------------------------------------- RootSync


def create_root_sync(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    *,
    repo: str,
    cleanup: Sequence[str] = (),
    spec: Mapping[str, Any] | None = None,
    git: Mapping[str, Any] | None = None,
) -> str:
    """Create a uniquely named RootSync polling `repo` every second; return its name.

    `spec` adds spec fields, `git` fields of spec.git (dir, auth, secretRef).
    When the test ends the RootSync is deleted (its objects are orphaned),
    then its ResourceGroup and every path in `cleanup`.
    """
    name = unique("root")
    body = root_sync_body(name, repo=repo, **(git or {}))
    body["spec"].update(spec or {})
    request.addfinalizer(lambda: _delete_root_sync(admin, name, cleanup))
    resp = admin.post(ROOT_SYNCS, body)
    assert resp.status == 201, resp.text
    return name


def _delete_root_sync(admin: KubeHttp, name: str, cleanup: Sequence[str]) -> None:
    admin.delete(f"{ROOT_SYNCS}/{name}")
    wait_until(
        lambda: admin.get(f"{ROOT_SYNCS}/{name}").status == 404,
        timeout=TIMEOUT,
        what=f"RootSync {name} deleted",
        interval=0.2,
    )
    for path in (f"{RESOURCE_GROUPS}/{name}", *cleanup):
        resp = admin.delete(path)
        assert resp.status in (200, 202, 404), resp.text


def wait_state(
    admin: KubeHttp, name: str, commit: str, state: str, *, timeout: float = TIMEOUT
) -> dict[str, Any]:
    """Poll until the RootSync's sync block is at `commit` and its summary state is `state`."""

    last: dict[str, Any] = {}

    def probe() -> dict[str, Any] | None:
        obj = get_root_sync(admin, name)
        status = obj.get("status") or {}
        last["status"] = status
        at_commit = (status.get("sync") or {}).get("commit") == commit
        return obj if at_commit and (status.get("summary") or {}).get("state") == state else None

    try:
        return wait_until(
            probe, timeout=timeout, what=f"RootSync {name} {state} at {commit[:7]}", interval=0.1
        )
    except ServerError as exc:
        summary = json.dumps(
            {k: last.get("status", {}).get(k) for k in ("summary", "source", "rendering", "sync")}
        )[:3000]
        raise ServerError(f"{exc}; last status: {summary}") from None


def errors_of(status: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every error in the source, rendering and sync blocks."""
    found: list[dict[str, Any]] = []
    for block in ("source", "rendering", "sync"):
        found.extend((status.get(block) or {}).get("errors") or [])
    return found


def errors_with_code(status: Mapping[str, Any], code: str) -> list[dict[str, Any]]:
    """The errors carrying `code`."""
    return [err for err in errors_of(status) if err.get("code") == code]


def source_paths(error: Mapping[str, Any]) -> set[str]:
    """The source paths an error names in its resources."""
    return {res.get("sourcePath") or "" for res in error.get("resources") or []} - {""}


# ----------------------------------------------------------------------------- objects

SECRETS = f"/api/v1/namespaces/{SYSTEM_NS}/secrets"


def encode_secret_data(data: Mapping[str, str]) -> dict[str, str]:
    """A Secret's `data`: every value base64-encoded."""
    return {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}


def create_secret(admin: KubeHttp, name: str, data: Mapping[str, str]) -> None:
    """An Opaque Secret in syncd-system holding `data` (strings)."""
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": SYSTEM_NS},
        "type": "Opaque",
        "data": encode_secret_data(data),
    }
    resp = admin.post(SECRETS, body)
    assert resp.status == 201, resp.text


def get_object(admin: KubeHttp, path: str) -> dict[str, Any] | None:
    """The live object at `path`, or None when it does not exist."""
    resp = admin.get(path)
    if resp.status == 404:
        return None
    assert resp.status == 200, resp.text
    result: dict[str, Any] = resp.json()
    return result


def syncd_metadata(obj: Mapping[str, Any]) -> list[str]:
    """The labels and annotations syncd writes that `obj` still carries."""
    metadata = obj.get("metadata") or {}
    labels = [key for key in metadata.get("labels") or {} if key in SYNCD_LABELS]
    annotations = [
        key for key in metadata.get("annotations") or {} if key.startswith(SYNCD_ANNOTATION_PREFIX)
    ]
    return labels + annotations


def manager_of(obj: Mapping[str, Any]) -> str:
    """The `syncd.dev/manager` annotation of `obj` (empty when absent)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get("syncd.dev/manager", ""))


def manager_value(name: str) -> str:
    """The `syncd.dev/manager` value of objects RootSync `name` manages."""
    return f"RootSync/{SYSTEM_NS}/{name}"


def current_resource_version(admin: KubeHttp) -> int:
    """The cluster's current etcd revision (a consistent LIST's resourceVersion)."""
    resp = admin.get("/api/v1/namespaces?limit=1")
    assert resp.status == 200, resp.text
    return int(resp.json()["metadata"]["resourceVersion"])


def history(admin: KubeHttp, collection: str, since: int) -> list[tuple[str, int, dict[str, Any]]]:
    """Every watch event on `collection` after revision `since`: (type, resourceVersion, object).

    A watch from an old resourceVersion replays the server's watch cache; the
    server closes it after one second (`timeoutSeconds`), so the whole answer
    is one finite body. The resourceVersion of an ADDED event is the
    object's creation revision, however often it changed afterwards.
    """
    sep = "&" if "?" in collection else "?"
    resp = admin.get(f"{collection}{sep}watch=1&resourceVersion={since}&timeoutSeconds=1")
    assert resp.status == 200, resp.text
    events: list[tuple[str, int, dict[str, Any]]] = []
    for line in resp.text.splitlines():
        if not line.strip():
            continue
        event = json.loads(line)
        assert event["type"] != "ERROR", f"watch on {collection} failed: {event['object']}"
        obj = event["object"]
        events.append((event["type"], int(obj["metadata"]["resourceVersion"]), obj))
    return events


def first_revision(
    events: Sequence[tuple[str, int, dict[str, Any]]], event_type: str
) -> dict[str, int]:
    """Object name -> resourceVersion of its first `event_type` event."""
    found: dict[str, int] = {}
    for kind, revision, obj in events:
        if kind == event_type:
            found.setdefault(obj["metadata"]["name"], revision)
    return found


# ----------------------------------------------------------------------------- events and runs


def events_for(admin: KubeHttp, name: str) -> list[dict[str, Any]]:
    """Kubernetes Events whose involved object is the RootSync `name`."""
    resp = admin.get(
        f"/api/v1/namespaces/{SYSTEM_NS}/events?fieldSelector=involvedObject.name={name}"
    )
    assert resp.status == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def warnings_for(admin: KubeHttp, name: str) -> list[str]:
    """`reason: message` of every Warning Event on RootSync `name`."""
    return [
        f"{ev.get('reason')}: {ev.get('message')}"
        for ev in events_for(admin, name)
        if ev.get("type") == "Warning"
    ]


def wait_event(
    admin: KubeHttp, name: str, match: Callable[[Mapping[str, Any]], bool], *, what: str
) -> dict[str, Any]:
    """Poll until an Event on RootSync `name` satisfies `match`; return it."""

    def probe() -> dict[str, Any] | None:
        return next((ev for ev in events_for(admin, name) if match(ev)), None)

    return wait_until(probe, timeout=TIMEOUT, what=f"Event on {name}: {what}", interval=0.2)


def run_records(controller: Controller, name: str) -> list[dict[str, Any]]:
    """The `reconcile.synced` log records of RootSync `name`, oldest first.

    One record per run that reached the end of apply and prune, with the
    run's `commit` (12 characters) and its `applied`, `unchanged`, `pruned`
    and `failed` counts.
    """
    manager = manager_value(name)
    records: list[dict[str, Any]] = []
    for line in controller.log_text().splitlines():
        if '"reconcile.synced"' not in line or manager not in line:
            continue
        record = json.loads(line)
        if record.get("event") == "reconcile.synced" and record.get("sync") == manager:
            records.append(record)
    return records


def first_run_at(controller: Controller, name: str, commit: str) -> dict[str, Any]:
    """The log record of the first finished run of RootSync `name` at `commit`.

    Status counts describe the latest run only (the next poll finds the same
    objects unchanged), so what one run did is read from its own record.
    """

    def probe() -> dict[str, Any] | None:
        records = run_records(controller, name)
        return next((r for r in records if r.get("commit") == commit[:12]), None)

    return wait_until(probe, timeout=TIMEOUT, what=f"a run of {name} at {commit[:7]}", interval=0.2)


def wait_more_runs(controller: Controller, name: str, more: int = 2) -> None:
    """Wait until RootSync `name` has finished `more` further runs than it had so far."""
    target = len(run_records(controller, name)) + more
    wait_until(
        lambda: len(run_records(controller, name)) >= target,
        timeout=TIMEOUT,
        what=f"{more} more runs of {name}",
        interval=0.2,
    )
