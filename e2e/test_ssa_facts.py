"""What server-side apply really owns, pinned against the real API server (facts 1-5).

Drift detection reads syncd's own managedFields entry (manager `syncd`,
operation Apply) instead of comparing values by hand, so each test here pins
one fact that design depends on: the shape of `fieldsV1` (associative keys
with defaulted fields, atomic lists and structs, empty maps), which paths a
non-apply write takes from syncd, Secret `stringData`, HPA versions, and CRD
schemas. `syncd.core.fields` is checked against the same objects.
managedFields surgery, takeover from kubectl's managers and DELETE answers
(facts 6-8) are in test_ssa_takeover.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from e2e.kube import create_namespace, namespaced_crd, unique
from syncd.core.fields import entry_fields, losses, lost_paths, missing_paths, syncd_entry
from syncd.devenv.kubehttp import KubeHttp, Response
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

MANAGER = "syncd"
EDITOR = "kubectl-edit"
MERGE = "application/merge-patch+json"
CONTAINER = 'k:{"name":"app"}'
APP = '.spec.template.spec.containers[name="app"]'


@pytest.fixture(scope="module")
def namespace(admin: KubeHttp) -> str:
    name = unique("ssa")
    create_namespace(admin, name)
    return name


def deployment(namespace: str, name: str) -> dict[str, Any]:
    """The Deployment of fact 1: every shape the old value diff got wrong."""
    labels = {"app": name, "empty": ""}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "automountServiceAccountToken": False,
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1",
                            "ports": [
                                {"containerPort": 80},
                                {"containerPort": 53, "protocol": "UDP"},
                            ],
                            "securityContext": {"allowPrivilegeEscalation": False},
                            "resources": {"limits": {"memory": "1024Mi"}},
                        }
                    ],
                    "volumes": [{"name": "scratch", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                },
            },
        },
    }


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def apply(admin: KubeHttp, path: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    resp = admin.apply(path, body, manager=MANAGER, **kw)
    assert resp.status in (200, 201), resp.text
    obj: dict[str, Any] = resp.json()
    return obj


def merge_patch(admin: KubeHttp, path: str, patch: Any, *, manager: str = EDITOR) -> Response:
    return admin.request("PATCH", f"{path}?fieldManager={manager}", body=patch, content_type=MERGE)


def fields_of(obj: dict[str, Any], manager: str = MANAGER) -> dict[str, Any]:
    entry = syncd_entry(obj, manager=manager)
    assert entry is not None, obj["metadata"].get("managedFields")
    return dict(entry_fields(entry))


def managers(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields") or []]


# -- fact 1: the shape of syncd's entry ---------------------------------------


def test_fact1_fields_v1_of_a_deployment_with_defaulted_keys_atomics_and_empties(
    admin: KubeHttp, namespace: str
) -> None:
    body = deployment(namespace, "shape")
    live = apply(admin, deployment_path(namespace, "shape"), body)
    [entry] = [e for e in live["metadata"]["managedFields"] if e["manager"] == MANAGER]
    assert (entry["operation"], entry["apiVersion"], entry["fieldsType"]) == (
        "Apply",
        "apps/v1",
        "FieldsV1",
    )
    assert "subresource" not in entry
    fields = entry["fieldsV1"]
    assert fields["f:metadata"] == {"f:labels": {"f:app": {}, "f:empty": {}}}
    spec = fields["f:spec"]
    assert spec["f:replicas"] == {}
    assert spec["f:selector"] == {}  # LabelSelector is an atomic struct
    pod = spec["f:template"]["f:spec"]
    assert pod["f:automountServiceAccountToken"] == {}
    assert pod["f:tolerations"] == {}  # an atomic list is one leaf
    assert pod["f:volumes"] == {'k:{"name":"scratch"}': {".": {}, "f:emptyDir": {}, "f:name": {}}}
    assert pod["f:containers"][CONTAINER]["f:ports"] == {
        # The key carries the defaulted protocol; syncd owns only what it declared.
        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}},
        'k:{"containerPort":53,"protocol":"UDP"}': {
            ".": {},
            "f:containerPort": {},
            "f:protocol": {},
        },
    }
    assert pod["f:containers"][CONTAINER]["f:securityContext"] == {"f:allowPrivilegeEscalation": {}}
    assert pod["f:containers"][CONTAINER]["f:resources"] == {"f:limits": {"f:memory": {}}}
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["memory"] == "1Gi"  # rewritten, still owned
    assert missing_paths(body, fields) == ()


def test_fact1_sets_map_lists_and_empty_lists_in_fields_v1(admin: KubeHttp, namespace: str) -> None:
    body = deployment(namespace, "empties")
    pod = body["spec"]["template"]["spec"]
    pod["containers"][0].update(args=[], env=[], command=["a", "b"])
    pod.update(
        nodeSelector={"disk": "ssd"}, imagePullSecrets=[{"name": "pull"}], securityContext={}
    )
    body["metadata"]["annotations"] = {}
    live = apply(admin, deployment_path(namespace, "empties"), body)
    fields = fields_of(live)
    owned = fields["f:spec"]["f:template"]["f:spec"]
    app = owned["f:containers"][CONTAINER]
    assert app["f:args"] == {}  # an empty atomic list is owned
    assert "f:env" not in app  # an empty associative list owns nothing
    assert app["f:command"] == {}
    assert owned["f:nodeSelector"] == {}  # an atomic map
    assert owned["f:imagePullSecrets"] == {'k:{"name":"pull"}': {}}  # key-only element: a leaf
    assert owned["f:securityContext"] == {}  # an empty map is a leaf
    assert fields["f:metadata"]["f:annotations"] == {}
    assert missing_paths(body, fields) == ()


# -- fact 2: what another manager's merge patch takes from syncd --------------


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


def _containers(container: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": [container]}}}}


# case: (patch from the live container, the losses as (path, owner now), leaves an entry)
EDITS: dict[str, Any] = {
    "a-remove-allow-privilege-escalation": (
        lambda c: _containers(
            {**c, "securityContext": _without(c["securityContext"], "allowPrivilegeEscalation")}
        ),
        [(f"{APP}.securityContext.allowPrivilegeEscalation", None)],
        False,
    ),
    "b-emptydir-to-hostpath": (
        lambda c: {
            "spec": {
                "template": {
                    "spec": {"volumes": [{"name": "scratch", "hostPath": {"path": "/tmp"}}]}
                }
            }
        },
        [('.spec.template.spec.volumes[name="scratch"].emptyDir', None)],
        True,
    ),
    "c-remove-empty-label": (
        lambda c: {"spec": {"template": {"metadata": {"labels": {"empty": None}}}}},
        [(".spec.template.metadata.labels.empty", None)],
        False,
    ),
    "d-change-image": (
        lambda c: _containers({**c, "image": "nginx:2"}),
        [(f"{APP}.image", EDITOR)],
        True,
    ),
    "e-add-env": (
        lambda c: _containers({**c, "env": [{"name": "X", "value": "1"}]}),
        [],
        True,
    ),
    "f-remove-automount": (
        lambda c: {"spec": {"template": {"spec": {"automountServiceAccountToken": None}}}},
        [(".spec.template.spec.automountServiceAccountToken", None)],
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_fact2_a_merge_patch_by_another_manager_takes_exactly_the_fields_it_changes(
    admin: KubeHttp, namespace: str, case: str
) -> None:
    make_patch, lost, leaves_an_entry = EDITS[case]
    name = f"edit-{case[0]}"
    path = deployment_path(namespace, name)
    body = deployment(namespace, name)
    before = apply(admin, path, body)
    # Like kubectl edit: the whole containers list goes back, with one change.
    container = copy.deepcopy(before["spec"]["template"]["spec"]["containers"][0])
    resp = merge_patch(admin, path, make_patch(container))
    assert resp.status == 200, resp.text
    after = resp.json()
    paths = tuple(path for path, _ in lost)
    assert lost_paths(fields_of(before), fields_of(after)) == paths
    assert missing_paths(body, fields_of(after)) == paths
    assert [(loss.path, loss.owner) for loss in losses(fields_of(before), after)] == lost
    editor = [e["operation"] for e in after["metadata"]["managedFields"] if e["manager"] == EDITOR]
    assert editor == (["Update"] if leaves_an_entry else [])  # a removal leaves no trace


def test_fact2_an_env_var_another_manager_adds_is_only_in_its_own_entry(
    admin: KubeHttp, namespace: str
) -> None:
    path = deployment_path(namespace, "env")
    before = apply(admin, path, deployment(namespace, "env"))
    container = copy.deepcopy(before["spec"]["template"]["spec"]["containers"][0])
    after = merge_patch(admin, path, _containers({**container, "env": [{"name": "X"}]})).json()
    assert fields_of(after) == fields_of(before)
    [entry] = [e for e in after["metadata"]["managedFields"] if e["manager"] == EDITOR]
    owned = entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][CONTAINER]
    assert owned == {"f:env": {".": {}, 'k:{"name":"X"}': {".": {}, "f:name": {}}}}


def test_fact2_a_scale_by_another_manager_takes_replicas(admin: KubeHttp, namespace: str) -> None:
    path = deployment_path(namespace, "scaled")
    before = apply(admin, path, deployment(namespace, "scaled"))
    after = merge_patch(admin, path, {"spec": {"replicas": 5}}).json()
    assert [(loss.path, loss.owner) for loss in losses(fields_of(before), after)] == [
        (".spec.replicas", EDITOR)
    ]


def test_fact2_entries_list_apply_before_update_then_by_time_and_manager(
    admin: KubeHttp, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps/order"
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "order"}, "data": {}}
    apply(admin, path, {**cm, "data": {"k": "v"}})
    assert merge_patch(admin, path, {"data": {"z": "1"}}, manager="zeta").status == 200
    assert merge_patch(admin, path, {"data": {"y": "1"}}, manager="alpha").status == 200
    resp = admin.apply(path, {**cm, "data": {"k": "v", "x": "1"}}, manager="helper")
    entries = resp.json()["metadata"]["managedFields"]
    keys = [(e["operation"], e["time"], e["manager"]) for e in entries]
    assert [k[0] for k in keys] == ["Apply", "Apply", "Update", "Update"]
    assert keys == sorted(keys)
    # An unchanged value in a merge patch takes no ownership.
    again = merge_patch(admin, path, {"data": {"z": "1"}}, manager="alpha").json()
    alpha = [e for e in again["metadata"]["managedFields"] if e["manager"] == "alpha"]
    assert alpha[0]["fieldsV1"] == {"f:data": {"f:y": {}}}


# -- fact 3: Secret stringData -------------------------------------------------


def test_fact3_secret_string_data_is_owned_as_written_and_reapplying_is_a_no_op(
    admin: KubeHttp, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/secrets/creds"
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "namespace": namespace},
        "stringData": {"password": "hunter2"},
        "type": "Opaque",
    }
    first = apply(admin, path, body)
    assert fields_of(first) == {"f:stringData": {"f:password": {}}, "f:type": {}}
    assert "stringData" not in first
    assert first["data"] == {"password": "aHVudGVyMg=="}
    again = apply(admin, path, body)
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert missing_paths(body, fields_of(again)) == ()


# -- fact 4: HPA applied as autoscaling/v1, read as v2 -------------------------


def test_fact4_an_hpa_entry_keeps_the_applied_version_and_its_fields(
    admin: KubeHttp, namespace: str
) -> None:
    v1 = f"/apis/autoscaling/v1/namespaces/{namespace}/horizontalpodautoscalers/web"
    body = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 3,
            "targetCPUUtilizationPercentage": 50,
        },
    }
    first = apply(admin, v1, body)
    expected: dict[str, Any] = {
        "f:spec": {
            "f:maxReplicas": {},
            "f:minReplicas": {},
            "f:scaleTargetRef": {},
            "f:targetCPUUtilizationPercentage": {},
        }
    }
    v2_path = v1.replace("autoscaling/v1", "autoscaling/v2")
    for read in (
        admin.get(v2_path).json(),
        admin.get(v2_path.rsplit("/", 1)[0]).json()["items"][0],
    ):
        entry = syncd_entry(read)
        assert entry is not None
        assert entry["apiVersion"] == "autoscaling/v1"
        assert entry["fieldsV1"] == expected
        assert read["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 50
    assert missing_paths(body, fields_of(admin.get(v2_path).json())) == ()
    again = apply(admin, v1, body)
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


# -- fact 5: a CRD schema and unknown fields -----------------------------------


def test_fact5_an_apply_with_a_field_the_schema_lacks_fails_with_500_and_stores_nothing(
    admin: KubeHttp, namespace: str
) -> None:
    group = f"{unique('facts')}.example.com"
    crd = namespaced_crd(
        group,
        "Gadget",
        spec={
            "size": {"type": "integer"},
            "tags": {
                "type": "array",
                "x-kubernetes-list-type": "set",
                "items": {"type": "string"},
            },
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            },
        },
    )
    apply(admin, f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.{group}", crd)
    base = f"/apis/{group}/v1/namespaces/{namespace}/gadgets"

    def gadget(name: str, **spec: Any) -> dict[str, Any]:
        return {
            "apiVersion": f"{group}/v1",
            "kind": "Gadget",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"size": 1, **spec},
            "status": {"phase": "declared"},
        }

    def served() -> Response | None:
        resp = admin.apply(f"{base}/known", gadget("known", tags=["b", "a"]), manager=MANAGER)
        return resp if resp.status != 404 else None

    known = wait_until(served, timeout=60, what="the Gadget kind served", interval=0.2)
    assert known.status == 201, known.text
    assert fields_of(known.json()) == {
        "f:spec": {"f:size": {}, "f:tags": {'v:"a"': {}, 'v:"b"': {}}}
    }  # status is not owned through the main resource
    for spec in ({"unknown": "x"}, {"items": [{"name": "a", "extra": 1}]}):
        resp = admin.apply(f"{base}/pruned", gadget("pruned", **spec), manager=MANAGER)
        assert resp.status == 500, resp.text
        assert "failed to create typed patch object" in resp.text
        assert "field not declared in schema" in resp.text
        assert admin.get(f"{base}/pruned").status == 404
    # A POST prunes the same field instead, with a warning.
    created = admin.post(base, gadget("posted", unknown="x"))
    assert created.status == 201, created.text
    assert created.json()["spec"] == {"size": 1}
    assert 'unknown field \\"spec.unknown\\"' in created.headers.get("warning", "")
