"""manifests/rbac/ on the real control plane: what syncd's own service account may and may not do.

syncd's identity (`system:serviceaccount:syncd-system:syncd`, with a real
token from the TokenRequest API) may impersonate a tenant's service account
and read RepoSyncs; RBAC then judges the impersonated tenant. Cluster-wide
management (here: creating a ClusterRole) comes only from the
`syncd-root-cluster-admin` binding: once it is deleted, syncd-controller
alone refuses it, while impersonation and the sync objects keep working.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.kube import configmap, create_namespace, unique
from e2e.rbac import (
    CLUSTER_ROLES,
    RBAC_DIR,
    SYNCD_SA_USER,
    can,
    cluster_role,
    install_rbac,
    kubectl,
    service_account_token,
    service_account_user,
)
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

ROOT_ADMIN_BINDING = (
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/syncd-root-cluster-admin"
)


@pytest.fixture(scope="module")
def syncd_sa(control_plane: ControlPlane, admin: KubeHttp, syncd_crds: None) -> KubeHttp:
    """manifests/rbac/ applied; a client authenticated with a token of syncd's service account."""
    install_rbac(control_plane, admin)
    return admin.as_user(service_account_token(admin, "syncd-system", "syncd"))


@pytest.fixture
def tenant_sa(admin: KubeHttp) -> Iterator[tuple[str, str]]:
    """A namespace with a service account bound to syncd-tenant, as `syncd tenant init` makes."""
    ns = unique("tenant")
    create_namespace(admin, ns)
    sa = "syncd-repo-sync"
    assert (
        admin.post(f"/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": sa}}).status
        == 201
    )
    binding = {
        "metadata": {"name": sa},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "syncd-tenant",
        },
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
    }
    resp = admin.post(f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", binding)
    assert resp.status == 201, resp.text
    yield ns, sa
    admin.delete(f"/api/v1/namespaces/{ns}")


def test_syncd_authenticates_as_its_service_account(syncd_sa: KubeHttp) -> None:
    resp = syncd_sa.post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert resp.status == 201, resp.text
    assert resp.json()["status"]["userInfo"]["username"] == SYNCD_SA_USER


def test_syncd_impersonates_a_tenant_and_rbac_judges_the_tenant(
    syncd_sa: KubeHttp, tenant_sa: tuple[str, str]
) -> None:
    ns, sa = tenant_sa
    as_tenant = syncd_sa.impersonating(service_account_user(ns, sa))

    def created() -> bool | None:
        resp = as_tenant.post(f"/api/v1/namespaces/{ns}/configmaps", configmap("cm", ns, {}))
        assert resp.status in (201, 403), resp.text
        return resp.status == 201 or None

    wait_until(created, timeout=30, what="syncd, as the tenant, creates a ConfigMap")
    cm = syncd_sa.get(f"/api/v1/namespaces/{ns}/configmaps/cm")
    assert cm.status == 200
    # The tenant's wall holds although syncd itself may do more (cluster-admin).
    assert as_tenant.post(CLUSTER_ROLES, cluster_role(unique("escape"))).status == 403
    assert as_tenant.get("/api/v1/namespaces/syncd-system/secrets").status == 403


def test_syncd_reads_the_sync_objects_and_writes_inventories_and_events(syncd_sa: KubeHttp) -> None:
    assert syncd_sa.get("/apis/syncd.dev/v1beta1/reposyncs").status == 200
    assert syncd_sa.get("/apis/syncd.dev/v1beta1/rootsyncs").status == 200
    for verb in ("list", "watch", "update", "patch"):
        assert can(syncd_sa, verb, "reposyncs", group="syncd.dev", namespace="team-x")
    assert can(syncd_sa, "update", "reposyncs/status", group="syncd.dev", namespace="team-x")
    for verb in ("create", "update", "delete"):
        assert can(syncd_sa, verb, "resourcegroups", group="syncd.dev", namespace="team-x")
    assert can(syncd_sa, "create", "events", namespace="team-x")
    assert can(syncd_sa, "patch", "events", group="events.k8s.io", namespace="team-x")
    assert can(syncd_sa, "impersonate", "serviceaccounts", namespace="team-x")


def test_without_the_cluster_admin_binding_syncd_controller_alone_grants_no_cluster_management(
    control_plane: ControlPlane, admin: KubeHttp, syncd_sa: KubeHttp, tenant_sa: tuple[str, str]
) -> None:
    assert can(syncd_sa, "create", "clusterroles", group="rbac.authorization.k8s.io")
    assert admin.delete(ROOT_ADMIN_BINDING).status == 200
    try:
        wait_until(
            lambda: not can(syncd_sa, "create", "clusterroles", group="rbac.authorization.k8s.io"),
            timeout=30,
            what="the cluster-admin binding's removal reaching the authorizer",
            interval=0.1,
        )
        assert syncd_sa.post(CLUSTER_ROLES, cluster_role(unique("syncd-only"))).status == 403
        assert syncd_sa.get("/api/v1/secrets").status == 403
        assert syncd_sa.get("/api/v1/namespaces/kube-system/configmaps").status == 403
        assert not can(syncd_sa, "create", "deployments", group="apps", namespace="default")
        assert not can(syncd_sa, "*", "*", group="*")
        # What syncd-controller grants still works: sync objects, impersonation,
        # the syncd-root-* identities of RootSyncs with roleRefs, RootSync Secrets.
        assert syncd_sa.get("/apis/syncd.dev/v1beta1/reposyncs").status == 200
        ns, sa = tenant_sa
        as_tenant = syncd_sa.impersonating(service_account_user(ns, sa))

        def tenant_lists() -> bool | None:
            resp = as_tenant.get(f"/api/v1/namespaces/{ns}/configmaps")
            assert resp.status in (200, 403), resp.text
            return resp.status == 200 or None

        wait_until(tenant_lists, timeout=30, what="syncd, as the tenant, lists ConfigMaps")
        for resource in ("serviceaccounts", "rolebindings"):
            group = "" if resource == "serviceaccounts" else "rbac.authorization.k8s.io"
            assert can(syncd_sa, "create", resource, group=group, namespace="syncd-system")
        assert can(syncd_sa, "create", "clusterrolebindings", group="rbac.authorization.k8s.io")
        assert can(syncd_sa, "bind", "clusterroles", group="rbac.authorization.k8s.io")
        assert can(syncd_sa, "get", "secrets", namespace="syncd-system")
        assert not can(syncd_sa, "get", "secrets", namespace=ns)
    finally:
        kubectl(
            control_plane, "apply", "--server-side", "-f", str(RBAC_DIR / "root-cluster-admin.yaml")
        )
    wait_until(
        lambda: can(syncd_sa, "create", "clusterroles", group="rbac.authorization.k8s.io"),
        timeout=30,
        what="the restored cluster-admin binding",
        interval=0.1,
    )
