"""The escape attempts a tenant's repository makes, as a table: object, expected code, target.

Each `Escape` is one file in the tenant's repository. Its object has a name
unique to the run, so the error that refuses it is found by the name it
names in its resources, and `target` is the API path an admin GET must
still answer 404 for after the run ("" when the test checks otherwise:
the tenant's own Namespace and ResourceGroup exist, an unserved kind has
no path). Every cluster-scoped object is harmless if it were ever created
(webhooks match no request, the PersistentVolume points at nothing), so a
broken wall fails the test without breaking the session's cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from e2e.syncenv import SYSTEM_NS
from e2e.syncsteps import configmap, manager_value
from e2e.tenants import REPO_SYNC, SYNCD_API, namespaced_path

SD1053 = "SD1053"  # a cluster-scoped kind that names a namespace
SD1058 = "SD1058"  # outside the tenant's scope: the first wall (validation)
SD1060 = "SD1060"  # managed by another sync
SD2013 = "SD2013"  # the API server's RBAC refused the tenant's account: the second wall

RBAC = "rbac.authorization.k8s.io"
ADMISSION = "admissionregistration.k8s.io"
CRD_API = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


@dataclass(frozen=True, slots=True, kw_only=True)
class Escape:
    """One attempt: the file's object, the code that must refuse it, what must not exist."""

    what: str
    obj: dict[str, Any]
    code: str
    target: str = ""
    says: str = ""
    """Words the refusing error's message must hold (the verb and resource RBAC names)."""

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])


@dataclass(frozen=True, slots=True, kw_only=True)
class Places:
    """Where the attempts aim: the tenant's namespace, another one, and a RootSync's object."""

    tenant: str
    victim: str
    root_sync: str
    root_object: str
    suffix: str


def _meta(name: str, namespace: str = "", **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **extra}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _obj(api_version: str, kind: str, meta: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **rest}


def _cluster_path(group_version: str, resource: str, name: str) -> str:
    prefix = f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"
    return f"{prefix}/{resource}/{name}"


def _webhook(kind: str, name: str) -> dict[str, Any]:
    hook = {
        "name": f"{name}.escape.e2e.example",
        "clientConfig": {"url": "https://127.0.0.1:1/never"},
        "rules": [
            {
                "apiGroups": ["escape.e2e.example"],
                "apiVersions": ["v1"],
                "operations": ["CREATE"],
                "resources": ["nothing"],
            }
        ],
        "failurePolicy": "Ignore",
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
    }
    return _obj(f"{ADMISSION}/v1", kind, _meta(name), webhooks=[hook])


def _crd(group: str, kind: str) -> dict[str, Any]:
    plural = f"{kind.lower()}s"
    return _obj(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        _meta(f"{plural}.{group}"),
        spec={
            "group": group,
            "scope": "Cluster",
            "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    )


def _everything_rules() -> list[dict[str, Any]]:
    return [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]


def _cluster_admin_subjects(tenant: str) -> list[dict[str, Any]]:
    return [{"kind": "ServiceAccount", "name": f"syncd-{REPO_SYNC}", "namespace": tenant}]


def _cluster_admin_ref() -> dict[str, str]:
    return {"apiGroup": RBAC, "kind": "ClusterRole", "name": "cluster-admin"}


def verb_and_resource(verb: str, resource: str) -> str:
    """How the API server's refusal names them: `cannot list resource "roles"`."""
    return f'cannot {verb} resource "{resource}"'


EDIT_REFUSALS = (verb_and_resource("list", "rolebindings"), verb_and_resource("list", "roles"))
"""What refuses the two to an `edit` account: it may not even list them."""
ESCALATION = "is attempting to grant RBAC permissions not currently held"
"""What refuses them to an `admin` account: RBAC escalation prevention."""


def rbac_escalations(
    tenant: str, suffix: str, *, says: tuple[str, str] = EDIT_REFUSALS
) -> list[Escape]:
    """A RoleBinding of the tenant's account to cluster-admin and a Role granting `*` on `*`.

    Both pass validation (namespaced, in the namespace): only the API server's
    RBAC, asked as the tenant's account, refuses them; `says` is how it
    words each refusal.
    """
    binding, role = f"esc-bind-admin-{suffix}", f"esc-role-all-{suffix}"
    return [
        Escape(
            what="RoleBinding of its account to cluster-admin",
            obj=_obj(
                f"{RBAC}/v1",
                "RoleBinding",
                _meta(binding, tenant),
                roleRef=_cluster_admin_ref(),
                subjects=_cluster_admin_subjects(tenant),
            ),
            code=SD2013,
            target=namespaced_path(tenant, "rolebindings", binding, group=f"{RBAC}/v1"),
            says=says[0],
        ),
        Escape(
            what="Role granting * on *",
            obj=_obj(f"{RBAC}/v1", "Role", _meta(role, tenant), rules=_everything_rules()),
            code=SD2013,
            target=namespaced_path(tenant, "roles", role, group=f"{RBAC}/v1"),
            says=says[1],
        ),
    ]


def escapes(at: Places) -> list[Escape]:
    """Every attempt of the table, each a distinct way out of the tenant's namespace."""
    s, t, v = at.suffix, at.tenant, at.victim
    group = f"esc-{s}.e2e.example"
    crd = _crd(group, "Breakout")
    return [
        Escape(
            what="ClusterRole",
            obj=_obj(f"{RBAC}/v1", "ClusterRole", _meta(f"esc-cr-{s}"), rules=_everything_rules()),
            code=SD1058,
            target=_cluster_path(f"{RBAC}/v1", "clusterroles", f"esc-cr-{s}"),
        ),
        Escape(
            what="ClusterRoleBinding of its account to cluster-admin",
            obj=_obj(
                f"{RBAC}/v1",
                "ClusterRoleBinding",
                _meta(f"esc-crb-{s}"),
                roleRef=_cluster_admin_ref(),
                subjects=_cluster_admin_subjects(t),
            ),
            code=SD1058,
            target=_cluster_path(f"{RBAC}/v1", "clusterrolebindings", f"esc-crb-{s}"),
        ),
        Escape(
            what="Namespace",
            obj=_obj("v1", "Namespace", _meta(f"esc-ns-{s}")),
            code=SD1058,
            target=f"/api/v1/namespaces/esc-ns-{s}",
        ),
        Escape(
            what="its own Namespace object (relabelled)",
            obj=_obj("v1", "Namespace", _meta(t, labels={"escape": s})),
            code=SD1058,
        ),
        Escape(
            what="CustomResourceDefinition",
            obj=crd,
            code=SD1058,
            target=f"{CRD_API}/{crd['metadata']['name']}",
        ),
        Escape(
            what="object of the cluster-scoped kind its own CRD declares",
            obj=_obj(f"{group}/v1", "Breakout", _meta(f"esc-breakout-{s}")),
            code=SD1058,
        ),
        Escape(
            what="object of a kind the cluster does not serve, without a namespace",
            obj=_obj("unserved.e2e.example/v1", "Gadget", _meta(f"esc-gadget-{s}")),
            code=SD1058,
        ),
        Escape(
            what="ValidatingWebhookConfiguration",
            obj=_webhook("ValidatingWebhookConfiguration", f"esc-vwc-{s}"),
            code=SD1058,
            target=_cluster_path(
                f"{ADMISSION}/v1", "validatingwebhookconfigurations", f"esc-vwc-{s}"
            ),
        ),
        Escape(
            what="MutatingWebhookConfiguration",
            obj=_webhook("MutatingWebhookConfiguration", f"esc-mwc-{s}"),
            code=SD1058,
            target=_cluster_path(
                f"{ADMISSION}/v1", "mutatingwebhookconfigurations", f"esc-mwc-{s}"
            ),
        ),
        Escape(
            what="PersistentVolume on the node's filesystem",
            obj=_obj(
                "v1",
                "PersistentVolume",
                _meta(f"esc-pv-{s}"),
                spec={
                    "capacity": {"storage": "1Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "hostPath": {"path": f"/nonexistent/esc-{s}"},
                },
            ),
            code=SD1058,
            target=f"/api/v1/persistentvolumes/esc-pv-{s}",
        ),
        Escape(
            what="Node",
            obj=_obj("v1", "Node", _meta(f"esc-node-{s}")),
            code=SD1058,
            target=f"/api/v1/nodes/esc-node-{s}",
        ),
        Escape(
            what="PriorityClass",
            obj=_obj(
                "scheduling.k8s.io/v1", "PriorityClass", _meta(f"esc-pc-{s}"), value=1000000000
            ),
            code=SD1058,
            target=_cluster_path("scheduling.k8s.io/v1", "priorityclasses", f"esc-pc-{s}"),
        ),
        Escape(
            what="StorageClass",
            obj=_obj(
                "storage.k8s.io/v1",
                "StorageClass",
                _meta(f"esc-sc-{s}"),
                provisioner="escape.e2e.example/none",
            ),
            code=SD1058,
            target=_cluster_path("storage.k8s.io/v1", "storageclasses", f"esc-sc-{s}"),
        ),
        Escape(
            what="ConfigMap in another namespace (where RBAC would let it)",
            obj=configmap(f"esc-cm-{s}", v, "stolen"),
            code=SD1058,
            target=namespaced_path(v, "configmaps", f"esc-cm-{s}"),
        ),
        Escape(
            what="Secret in syncd-system",
            obj=_obj("v1", "Secret", _meta(f"esc-secret-{s}", SYSTEM_NS), stringData={"k": "v"}),
            code=SD1058,
            target=namespaced_path(SYSTEM_NS, "secrets", f"esc-secret-{s}"),
        ),
        Escape(
            what="Secret in kube-system",
            obj=_obj("v1", "Secret", _meta(f"esc-ks-{s}", "kube-system"), stringData={"k": "v"}),
            code=SD1058,
            target=namespaced_path("kube-system", "secrets", f"esc-ks-{s}"),
        ),
        Escape(
            what="token Secret for another namespace's ServiceAccount",
            obj=_obj(
                "v1",
                "Secret",
                _meta(
                    f"esc-token-{s}",
                    v,
                    annotations={"kubernetes.io/service-account.name": "default"},
                ),
                type="kubernetes.io/service-account-token",
            ),
            code=SD1058,
            target=namespaced_path(v, "secrets", f"esc-token-{s}"),
        ),
        Escape(
            what="RepoSync in another namespace",
            obj=_repo_sync(f"esc-rs-{s}", v),
            code=SD1058,
            target=f"{SYNCD_API}/namespaces/{v}/reposyncs/esc-rs-{s}",
        ),
        Escape(
            what="second RepoSync in its own namespace, as another account",
            obj=_repo_sync(f"esc-rs-own-{s}", t, serviceAccountName="default"),
            code=SD1058,
            target=f"{SYNCD_API}/namespaces/{t}/reposyncs/esc-rs-own-{s}",
        ),
        Escape(
            what="RootSync in syncd-system",
            obj=_obj(
                "syncd.dev/v1beta1",
                "RootSync",
                _meta(f"esc-root-{s}", SYSTEM_NS),
                spec={"git": {"repo": "https://git.invalid/escape.git"}},
            ),
            code=SD1058,
            target=f"{SYNCD_API}/namespaces/{SYSTEM_NS}/rootsyncs/esc-root-{s}",
        ),
        Escape(
            what="its own ResourceGroup, listing an object in another namespace",
            obj=_obj(
                "syncd.dev/v1beta1",
                "ResourceGroup",
                _meta(REPO_SYNC, t),
                spec={
                    "resources": [
                        {"group": "", "kind": "ConfigMap", "namespace": v, "name": "victim"}
                    ]
                },
            ),
            code=SD1058,
        ),
        Escape(
            what="ClusterRole naming the tenant's namespace",
            obj=_obj(
                f"{RBAC}/v1", "ClusterRole", _meta(f"esc-cr-ns-{s}", t), rules=_everything_rules()
            ),
            code=SD1053,
            target=_cluster_path(f"{RBAC}/v1", "clusterroles", f"esc-cr-ns-{s}"),
        ),
        *rbac_escalations(t, s),
        Escape(
            what="forged syncd.dev/manager on the RootSync's object",
            obj=configmap(
                at.root_object,
                t,
                "tenant",
                annotations={"syncd.dev/manager": manager_value(at.root_sync)},
            ),
            code=SD1060,
        ),
    ]


def _repo_sync(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return _obj(
        "syncd.dev/v1beta1",
        "RepoSync",
        _meta(name, namespace),
        spec={"git": {"repo": "https://git.invalid/escape.git"}, **spec},
    )
