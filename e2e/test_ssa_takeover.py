"""managedFields surgery, takeover from kubectl's managers, and DELETE answers, on the real server.

Facts 6-8 of the server-side apply facts (1-5 are in test_ssa_facts.py):
a merge patch of `metadata.managedFields` replaces the list exactly, guarded
by resourceVersion, which is how syncd stops owning an ignored field without
the server resetting it; removing the entries of kubectl's managers lets a
later apply remove fields dropped from Git; and what DELETE answers for an
object gone at once and one held by a finalizer.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from e2e.kube import create_namespace, unique
from e2e.syncsteps import deployment
from syncd.cluster.client import KubeClient
from syncd.cluster.config import load_connection
from syncd.core.fields import (
    entry_fields,
    managed_fields_patch,
    missing_paths,
    syncd_entry,
    with_fields,
    without_managers,
)
from syncd.core.pointers import owns_any, parse_ignore_fields, remove_pointed, strip_pointers
from syncd.core.ports import DeleteResult
from syncd.core.refs import ObjectRef
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp, Response

pytestmark = pytest.mark.e2e

MANAGER = "syncd"
MERGE = "application/merge-patch+json"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
TAKEOVER = ("kubectl-client-side-apply", "kubectl-create", "before-first-apply", "kubectl")


@pytest.fixture(scope="module")
def namespace(admin: KubeHttp) -> str:
    name = unique("ssa-takeover")
    create_namespace(admin, name)
    return name


def apply(admin: KubeHttp, path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = admin.apply(path, body, manager=MANAGER, force=True)
    assert resp.status in (200, 201), resp.text
    obj: dict[str, Any] = resp.json()
    return obj


def merge_patch(admin: KubeHttp, path: str, patch: Any, *, manager: str) -> Response:
    return admin.request("PATCH", f"{path}?fieldManager={manager}", body=patch, content_type=MERGE)


def managers(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields") or []]


def configmap(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


# -- fact 6: managedFields surgery ---------------------------------------------


def test_fact6_surgery_replaces_the_list_exactly_and_a_stale_version_is_409(
    admin: KubeHttp, namespace: str
) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/surgery"
    old = apply(admin, path, deployment("surgery", namespace, replicas=3))
    live = apply(admin, path, deployment("surgery", namespace, replicas=3, paused=False))
    assert live["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"]
    body = deployment("surgery", namespace, replicas=3, paused=False)
    ignored = parse_ignore_fields("/spec/replicas")
    fields = entry_fields(syncd_entry(live))
    assert owns_any(fields, body, ignored)
    entries = with_fields(live["metadata"]["managedFields"], remove_pointed(fields, body, ignored))

    stale = merge_patch(admin, path, managed_fields_patch(old, entries), manager=MANAGER)
    assert stale.status == 409, stale.text
    assert stale.json()["reason"] == "Conflict"
    assert "the object has been modified" in stale.json()["message"]
    assert admin.get(path).json()["metadata"]["managedFields"] == live["metadata"]["managedFields"]

    done = merge_patch(admin, path, managed_fields_patch(live, entries), manager=MANAGER)
    assert done.status == 200, done.text
    assert done.json()["metadata"]["managedFields"] == entries  # no extra syncd Update entry
    assert not owns_any(entry_fields(syncd_entry(done.json())), body, ignored)

    # Nobody owns replicas now: an apply without it leaves the live value alone,
    # and so does one that changes another field after someone scaled it.
    stripped = strip_pointers(body, ignored).body
    assert apply(admin, path, stripped)["spec"]["replicas"] == 3
    scaled = merge_patch(admin, path, {"spec": {"replicas": 5}}, manager="kubectl-scale")
    assert scaled.status == 200, scaled.text
    changed = dict(stripped, spec={**stripped["spec"], "minReadySeconds": 1})
    after = apply(admin, path, changed)
    assert after["spec"]["replicas"] == 5
    assert missing_paths(changed, entry_fields(syncd_entry(after))) == ()


def test_fact6_without_surgery_dropping_replicas_resets_it_to_the_default(
    admin: KubeHttp, namespace: str
) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/trap"
    apply(admin, path, deployment("trap", namespace, replicas=3))
    assert apply(admin, path, deployment("trap", namespace))["spec"]["replicas"] == 1


# -- fact 7: taking over from kubectl ------------------------------------------

KUBECTL_WAYS = {
    "create": (["create", "-f", "-"], [("kubectl-create", "Update")]),
    "client-side-apply": (["apply", "-f", "-"], [("kubectl-client-side-apply", "Update")]),
    "server-side-apply": (["apply", "--server-side", "-f", "-"], [("kubectl", "Apply")]),
}


def kubectl(control_plane: ControlPlane, args: list[str], body: dict[str, Any]) -> None:
    done = subprocess.run(
        control_plane.kubectl_argv(*args),
        input=json.dumps(body),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("surgery", [True, False], ids=["surgery", "no-surgery"])
@pytest.mark.parametrize("way", sorted(KUBECTL_WAYS))
def test_fact7_a_field_dropped_after_taking_over_from_kubectl_goes_only_after_surgery(
    admin: KubeHttp, control_plane: ControlPlane, namespace: str, way: str, *, surgery: bool
) -> None:
    args, expected = KUBECTL_WAYS[way]
    name = f"{way}-{'s' if surgery else 'n'}"
    path = f"/api/v1/namespaces/{namespace}/configmaps/{name}"
    kubectl(control_plane, args, configmap(namespace, name, {"a": "1", "b": "2"}))
    assert managers(admin.get(path).json()) == expected
    live = apply(admin, path, configmap(namespace, name, {"a": "1", "b": "2"}))
    assert sorted(managers(live)) == sorted([(MANAGER, "Apply"), *expected])  # co-owned
    if surgery:
        kept = without_managers(live["metadata"]["managedFields"], TAKEOVER)
        resp = merge_patch(admin, path, managed_fields_patch(live, kept), manager=MANAGER)
        assert resp.status == 200, resp.text
        assert managers(resp.json()) == [(MANAGER, "Apply")]
    dropped = apply(admin, path, configmap(namespace, name, {"a": "1"}))
    assert dropped["data"] == ({"a": "1"} if surgery else {"a": "1", "b": "2"})
    if way == "client-side-apply":
        # Nobody applied the annotation, so no apply ever removes it.
        assert LAST_APPLIED in dropped["metadata"]["annotations"]


def test_fact7_before_first_apply_owns_what_an_untracked_object_held(
    admin: KubeHttp, control_plane: ControlPlane, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/untracked"
    kubectl(control_plane, ["create", "-f", "-"], configmap(namespace, "untracked", {"a": "1"}))
    wiped = merge_patch(admin, path, {"metadata": {"managedFields": [{}]}}, manager="wiper")
    assert "managedFields" not in wiped.json()["metadata"]
    live = apply(admin, path, configmap(namespace, "untracked", {"a": "1"}))
    assert managers(live) == [(MANAGER, "Apply"), ("before-first-apply", "Update")]
    before_first = [e for e in live["metadata"]["managedFields"] if e["manager"] != MANAGER]
    assert before_first[0]["fieldsV1"] == {"f:data": {".": {}, "f:a": {}}}


def test_fact7_kubectl_server_side_apply_after_client_side_migrates_to_its_own_entries(
    admin: KubeHttp, control_plane: ControlPlane, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/migrated"
    body = configmap(namespace, "migrated", {"a": "1"})
    kubectl(control_plane, ["apply", "-f", "-"], body)
    kubectl(control_plane, ["apply", "--server-side", "-f", "-"], body)
    live = admin.get(path).json()
    assert sorted(managers(live)) == [("kubectl", "Apply"), ("kubectl-last-applied", "Apply")]
    last = [e for e in live["metadata"]["managedFields"] if e["manager"] == "kubectl-last-applied"]
    assert last[0]["fieldsV1"] == {"f:metadata": {"f:annotations": {f"f:{LAST_APPLIED}": {}}}}


# -- fact 8: DELETE answers ----------------------------------------------------


def test_fact8_delete_answers_a_status_when_gone_and_the_object_when_held(
    admin: KubeHttp, control_plane: ControlPlane, namespace: str
) -> None:
    client = KubeClient(load_connection(control_plane.kubeconfig))
    options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}

    def ref(name: str) -> ObjectRef:
        return ObjectRef(group="", kind="ConfigMap", namespace=namespace, name=name, version="v1")

    def path(name: str) -> str:
        return f"/api/v1/namespaces/{namespace}/configmaps/{name}"

    held = {"finalizers": ["example.com/hold"]}
    for name, extra in (("raw-gone", {}), ("raw-held", held), ("gone", {}), ("held", held)):
        body = configmap(namespace, name, {"a": "1"})
        body["metadata"].update(extra)
        apply(admin, path(name), body)

    gone = admin.delete(path("raw-gone"), options)
    assert gone.status == 200
    assert gone.json()["kind"] == "Status"
    assert gone.json()["status"] == "Success"
    assert gone.json()["details"]["name"] == "raw-gone"
    assert "deletionTimestamp" not in gone.json()["metadata"]
    pending = admin.delete(path("raw-held"), options)
    assert pending.status == 200
    assert pending.json()["kind"] == "ConfigMap"
    assert pending.json()["metadata"]["deletionTimestamp"]
    again = admin.delete(path("raw-held"), options)
    assert (again.status, again.json()["kind"]) == (200, "ConfigMap")
    assert admin.delete(path("raw-gone"), options).status == 404

    assert client.delete(ref("gone")) is DeleteResult.DELETED
    assert client.delete(ref("held")) is DeleteResult.PENDING
    assert client.delete(ref("held")) is DeleteResult.PENDING
    assert client.delete(ref("gone")) is DeleteResult.ABSENT
    for name in ("raw-held", "held"):
        released = merge_patch(admin, path(name), {"metadata": {"finalizers": None}}, manager="t")
        assert released.status == 200, released.text
        assert admin.get(path(name)).status == 404
