"""The generated CRDs against a real API server.

Proves the schemas are structural and accepted, that the server applies the
same defaults as the Python models (so a server object round-trips through
`from_object`/`to_object` unchanged), that the schema refuses what the models
refuse, and that `kubectl get` prints the status columns.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from e2e.kube import create_namespace, unique
from syncd.api.crdgen import generate_crds
from syncd.api.models import RepoSync, RootSync, parse_root_sync
from syncd.api.resourcegroup import ResourceGroup
from syncd.api.status import (
    Condition,
    ConditionStatus,
    ConditionType,
    StatusError,
    Summary,
    SyncObjectStatus,
    SyncState,
    SyncStatus,
)
from syncd.core.errors import SyncSpecError
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

SYSTEM_NS = "e2e-crds"
"""Not syncd's own namespace: a controller started by other tests never reconciles
(and so never writes) the syncs these tests create and edit."""
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
API = "/apis/syncd.dev/v1beta1"


def _collection(namespace: str, plural: str) -> str:
    return f"{API}/namespaces/{namespace}/{plural}"


def _wait_established(admin: KubeHttp, path: str) -> dict[str, Any]:
    """Poll the CRD until Established is True (conditions start out null, not [])."""

    def probe() -> dict[str, Any] | None:
        resp = admin.get(path)
        if resp.status != 200:
            return None
        crd: dict[str, Any] = resp.json()
        conditions = (crd.get("status") or {}).get("conditions") or []
        established = any(
            c.get("type") == "Established" and c.get("status") == "True" for c in conditions
        )
        return crd if established else None

    return wait_until(probe, timeout=60, what=f"{path} Established", interval=0.1)


@pytest.fixture(scope="module")
def crds(admin: KubeHttp) -> list[dict[str, Any]]:
    """The three CRDs applied and Established, and the namespace of these tests' syncs."""
    installed = []
    for crd in generate_crds():
        path = f"{CRD_PATH}/{crd['metadata']['name']}"
        resp = admin.apply(path, crd, manager="syncd-e2e", force=True)
        assert resp.status in (200, 201), resp.text
        installed.append(_wait_established(admin, path))
    resp = admin.post("/api/v1/namespaces", {"metadata": {"name": SYSTEM_NS}})
    assert resp.status in (201, 409), resp.text
    return installed


def _root_sync(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RootSync",
        "metadata": {"name": name, "namespace": SYSTEM_NS},
        "spec": spec,
    }


def _create_root_sync(admin: KubeHttp, spec: dict[str, Any]) -> dict[str, Any]:
    resp = admin.post(_collection(SYSTEM_NS, "rootsyncs"), _root_sync(unique("root"), spec))
    assert resp.status == 201, resp.text
    created: dict[str, Any] = resp.json()
    return created


def test_crds_are_established_with_names_category_and_applyset_label(
    crds: list[dict[str, Any]],
) -> None:
    by_kind = {crd["spec"]["names"]["kind"]: crd for crd in crds}
    assert set(by_kind) == {"RootSync", "RepoSync", "ResourceGroup"}
    for crd in crds:
        conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
        assert conditions["NamesAccepted"] == "True"
        assert crd["status"]["acceptedNames"]["categories"] == ["syncd"]
    labels = by_kind["ResourceGroup"]["metadata"]["labels"]
    assert labels["applyset.kubernetes.io/is-parent-type"] == "true"
    assert "labels" not in by_kind["RootSync"]["metadata"]


def test_server_applies_the_models_defaults_so_objects_round_trip(
    admin: KubeHttp, crds: list[dict[str, Any]]
) -> None:
    created = _create_root_sync(admin, {"git": {"repo": "https://git.example/repo.git"}})
    spec = created["spec"]
    assert spec["sourceType"] == "git"
    assert spec["sourceFormat"] == "unstructured"
    assert spec["suspend"] is False
    assert spec["git"]["branch"] == "main"
    assert spec["git"]["period"] == "15s"
    assert spec["git"]["dir"] == "."
    assert spec["git"]["auth"] == "none"
    assert spec["override"] == {
        "reconcileTimeout": "5m",
        "apiServerTimeout": "15s",
        "statusMode": "enabled",
        "roleRefs": [],
    }
    assert RootSync.from_object(created).to_object() == created


def test_repo_sync_and_resource_group_round_trip_through_the_server(
    admin: KubeHttp, crds: list[dict[str, Any]]
) -> None:
    namespace = unique("tenant")
    create_namespace(admin, namespace)
    repo_sync: dict[str, Any] = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": "repo-sync", "namespace": namespace},
        "spec": {
            "sourceType": "helm",
            "helm": {
                "repo": "oci://registry.example/charts",
                "chart": "web",
                "values": {"replicas": 2, "nested": {"keep": None, "list": [1, "a"]}},
                "valuesFileRefs": [{"name": "web-values"}],
            },
        },
    }
    resp = admin.post(_collection(namespace, "reposyncs"), repo_sync)
    assert resp.status == 201, resp.text
    created = resp.json()
    assert created["spec"]["helm"]["valuesFileRefs"] == [
        {"name": "web-values", "key": "values.yaml"}
    ]
    assert created["spec"]["helm"]["values"] == repo_sync["spec"]["helm"]["values"]
    assert RepoSync.from_object(created).to_object() == created

    group = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "ResourceGroup",
        "metadata": {"name": "repo-sync", "namespace": namespace},
        "spec": {"resources": [{"kind": "ConfigMap", "namespace": namespace, "name": "a"}]},
    }
    resp = admin.post(_collection(namespace, "resourcegroups"), group)
    assert resp.status == 201, resp.text
    created = resp.json()
    assert created["spec"]["resources"] == [
        {"group": "", "kind": "ConfigMap", "namespace": namespace, "name": "a"}
    ]
    assert ResourceGroup.from_object(created).to_object() == created


def test_resource_group_inventory_is_owned_as_one_atomic_list(
    admin: KubeHttp, crds: list[dict[str, Any]]
) -> None:
    # The inventory can hold thousands of entries; per-entry ownership would
    # make every write carry a managedFields entry per object.
    name = unique("rg")
    entries = [{"kind": "ConfigMap", "namespace": SYSTEM_NS, "name": f"c{i}"} for i in range(100)]
    group = {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "ResourceGroup",
        "metadata": {"name": name, "namespace": SYSTEM_NS},
        "spec": {"resources": entries},
    }
    path = f"{_collection(SYSTEM_NS, 'resourcegroups')}/{name}"
    resp = admin.apply(path, group, manager="syncd")
    assert resp.status == 201, resp.text
    fields = resp.json()["metadata"]["managedFields"][0]["fieldsV1"]
    assert fields["f:spec"]["f:resources"] == {}
    assert len(resp.json()["spec"]["resources"]) == 100


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        pytest.param(
            {"sourceType": "svn", "git": {"repo": "https://x"}}, "spec.sourceType", id="enum"
        ),
        pytest.param(
            {"git": {"repo": "https://x", "period": "15 seconds"}},
            "spec.git.period",
            id="duration",
        ),
        pytest.param(
            {"git": {"repo": "https://x"}, "override": {"prune": {"maxDeletePercent": 101}}},
            "spec.override.prune.maxDeletePercent",
            id="range",
        ),
        pytest.param({"git": {}}, "spec.git.repo", id="required"),
    ],
)
def test_schema_refuses_what_the_models_refuse(
    admin: KubeHttp, crds: list[dict[str, Any]], spec: dict[str, Any], field: str
) -> None:
    obj = _root_sync(unique("bad"), spec)
    resp = admin.post(_collection(SYSTEM_NS, "rootsyncs"), obj)
    assert resp.status == 422, resp.text
    status = resp.json()
    assert status["reason"] == "Invalid"
    assert [cause["field"] for cause in status["details"]["causes"]] == [field]
    with pytest.raises(SyncSpecError) as caught:
        parse_root_sync(obj)
    assert caught.value.message.startswith(f"{field}: ")


def _put_status(admin: KubeHttp, obj: dict[str, Any], status: dict[str, Any]) -> Any:
    name = obj["metadata"]["name"]
    path = f"{_collection(SYSTEM_NS, 'rootsyncs')}/{name}/status"
    return admin.request("PUT", path, body={**obj, "status": status})


def test_status_with_a_malformed_error_code_is_refused(
    admin: KubeHttp, crds: list[dict[str, Any]]
) -> None:
    created = _create_root_sync(admin, {"git": {"repo": "https://x"}})
    resp = _put_status(
        admin, created, {"sync": {"errors": [{"code": "KNV1061", "message": "wrong prefix"}]}}
    )
    assert resp.status == 422, resp.text
    fields = [cause["field"] for cause in resp.json()["details"]["causes"]]
    assert fields == ["status.sync.errors[0].code"]


def test_kubectl_get_prints_ready_status_commit_and_errors(
    admin: KubeHttp, control_plane: ControlPlane, crds: list[dict[str, Any]]
) -> None:
    created = _create_root_sync(admin, {"git": {"repo": "https://x"}})
    name = created["metadata"]["name"]
    status = SyncObjectStatus(
        observed_generation=1,
        last_synced_commit="abc1234def5678",
        sync=SyncStatus(
            commit="abc1234def5678",
            last_update="2024-05-01T12:00:00Z",
            errors=[
                StatusError(code="SD2009", message="one"),
                StatusError(code="SD2009", message="two"),
            ],
            applied=3,
            failed=2,
            total=5,
        ),
        conditions=[
            Condition(
                type=ConditionType.READY,
                status=ConditionStatus.TRUE,
                reason="Synced",
                message="all applied",
                last_transition_time="2024-05-01T12:00:00Z",
            )
        ],
        summary=Summary(state=SyncState.SYNCED, error_count=2, short_commit="abc1234"),
    )
    resp = _put_status(admin, created, status.model_dump(mode="json", exclude_none=True))
    assert resp.status == 200, resp.text
    assert RootSync.from_object(resp.json()).status == status

    result = subprocess.run(
        control_plane.kubectl_argv("get", "rootsync", name, "-n", SYSTEM_NS),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()
    assert header.split() == ["NAME", "READY", "STATUS", "COMMIT", "ERRORS", "AGE"]
    assert row.split()[:5] == [name, "True", "Synced", "abc1234", "2"]

    wide = subprocess.run(
        control_plane.kubectl_argv("get", "syncd", "-n", SYSTEM_NS, "-o", "name"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wide.returncode == 0, wide.stderr
    assert f"rootsync.syncd.dev/{name}" in wide.stdout.split()
