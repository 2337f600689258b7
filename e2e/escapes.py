"""The escape attempts a tenant's repository makes, as a table: object, expected code, target.

Each `Escape` is one file in the tenant's repository (or, for a renderer,
one package directory whose output is `obj`). Its object has a name unique
to the run, so the error that refuses it is found by the object its
resources name, and `target` is the API path an admin GET must still
answer 404 for after the run ("" when the test checks otherwise: the
tenant's own Namespace and ResourceGroup exist, an unserved kind has no
path). Every cluster-scoped object would be harmless if it were ever
created (webhooks match no request, the PersistentVolume points at
nothing), so a broken wall fails the test without breaking the session's
cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from e2e.syncenv import SYSTEM_NS
from e2e.syncsteps import configmap, manager_value, to_yaml
from e2e.tenants import REPO_SYNC, SYNCD_API, namespaced_path

SD1053 = "SD1053"  # a cluster-scoped kind that names a namespace
SD1058 = "SD1058"  # outside the tenant's scope: the first wall (validation)
SD1060 = "SD1060"  # managed by another sync
SD2013 = "SD2013"  # the API server's RBAC refused the tenant's account: the second wall

RBAC = "rbac.authorization.k8s.io/v1"
ADMISSION = "admissionregistration.k8s.io/v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Escape:
    """One attempt: the object, the code that must refuse it, what must not exist."""

    what: str
    obj: dict[str, Any]
    code: str = SD1058
    target: str = ""
    says: str = ""
    """Words the refusing error's message must hold (the verb and resource RBAC names)."""
    files: Mapping[str, str] = field(default_factory=dict)
    """A package that renders to `obj` (paths inside its directory), instead of `obj`'s YAML."""

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    def committed(self, index: int) -> dict[str, str]:
        """The files this attempt adds to the tenant's repository."""
        where = f"escapes/{index:02d}-{self.kind.lower()}"
        if not self.files:
            return {f"{where}.yaml": to_yaml(self.obj)}
        return {f"{where}/{path}": text for path, text in self.files.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class Places:
    """Where the attempts aim: the tenant's namespace, another one, and a RootSync's object."""

    tenant: str
    victim: str
    root_sync: str
    root_object: str
    suffix: str


def _obj(
    api_version: str, kind: str, name: str, namespace: str = "", **rest: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **rest.pop("meta", {})}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **rest}


def _path(api_version: str, resource: str, name: str) -> str:
    prefix = "/api" if "/" not in api_version else "/apis"
    return f"{prefix}/{api_version}/{resource}/{name}"


def cluster_scoped(what: str, api_version: str, kind: str, name: str, **rest: Any) -> Escape:
    """A cluster-scoped object (its resource is the lowercase plural of `kind`)."""
    resource = f"{kind.lower()}es" if kind.endswith("s") else f"{kind.lower()}s"
    target = _path(api_version, resource, name)
    return Escape(what=what, obj=_obj(api_version, kind, name, **rest), target=target)


def elsewhere(what: str, kind: str, name: str, namespace: str, **rest: Any) -> Escape:
    """A core-group object in another namespace than the tenant's."""
    target = namespaced_path(namespace, f"{kind.lower()}s", name)
    return Escape(what=what, obj=_obj("v1", kind, name, namespace, **rest), target=target)


def _webhook(kind: str, name: str) -> Escape:
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
    return cluster_scoped(kind, ADMISSION, kind, name, webhooks=[hook])


def _crd(group: str, kind: str) -> Escape:
    plural = f"{kind.lower()}s"
    version = {"name": "v1", "served": True, "storage": True}
    version["schema"] = {"openAPIV3Schema": {"type": "object"}}
    names = {"plural": plural, "singular": kind.lower(), "kind": kind}
    spec = {"group": group, "scope": "Cluster", "names": names, "versions": [version]}
    crd = "apiextensions.k8s.io/v1"
    return cluster_scoped(
        "CustomResourceDefinition", crd, "CustomResourceDefinition", f"{plural}.{group}", spec=spec
    )


EVERYTHING = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
CLUSTER_ADMIN = {
    "apiGroup": "rbac.authorization.k8s.io",
    "kind": "ClusterRole",
    "name": "cluster-admin",
}


def _subjects(tenant: str) -> list[dict[str, str]]:
    return [{"kind": "ServiceAccount", "name": f"syncd-{REPO_SYNC}", "namespace": tenant}]


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
    bind = _obj(
        RBAC, "RoleBinding", binding, tenant, roleRef=CLUSTER_ADMIN, subjects=_subjects(tenant)
    )
    return [
        Escape(
            what="RoleBinding of its account to cluster-admin",
            obj=bind,
            code=SD2013,
            target=namespaced_path(tenant, "rolebindings", binding, group=RBAC),
            says=says[0],
        ),
        Escape(
            what="Role granting * on *",
            obj=_obj(RBAC, "Role", role, tenant, rules=EVERYTHING),
            code=SD2013,
            target=namespaced_path(tenant, "roles", role, group=RBAC),
            says=says[1],
        ),
    ]


def _bare(name: str, namespace: str = "") -> str:
    """A ConfigMap's YAML, naming `namespace` only when given."""
    return yaml.safe_dump(_obj("v1", "ConfigMap", name, namespace, data={"k": "v"}))


def rendered(at: Places) -> list[Escape]:
    """Packages whose renderer puts an object in another namespace."""
    s, v = at.suffix, at.victim
    kustomized, charted, piped = f"esc-kust-{s}", f"esc-helm-{s}", f"esc-kpt-{s}"
    kptfile = {
        "apiVersion": "kpt.dev/v1",
        "kind": "Kptfile",
        "metadata": {"name": "escape"},
        "pipeline": {
            "mutators": [
                {"image": "gcr.io/kpt-fn/set-namespace:v0.4.1", "configMap": {"namespace": v}}
            ]
        },
    }
    return [
        Escape(
            what="kustomization whose namespace is another namespace",
            obj=configmap(kustomized, v, "k"),
            target=namespaced_path(v, "configmaps", kustomized),
            files={
                "kustomization.yaml": f"namespace: {v}\nresources: [cm.yaml]\n",
                "cm.yaml": _bare(kustomized),
            },
        ),
        Escape(
            what="Helm chart templating into kube-system",
            obj=configmap(charted, "kube-system", "h"),
            target=namespaced_path("kube-system", "configmaps", charted),
            files={
                "Chart.yaml": "apiVersion: v2\nname: escape\nversion: 0.1.0\n",
                "templates/cm.yaml": _bare(charted, "kube-system"),
            },
        ),
        Escape(
            what="kpt set-namespace into another namespace",
            obj=configmap(piped, v, "p"),
            target=namespaced_path(v, "configmaps", piped),
            files={"Kptfile": yaml.safe_dump(kptfile), "cm.yaml": _bare(piped)},
        ),
    ]


def escapes(at: Places) -> list[Escape]:
    """Every attempt of the table, each a distinct way out of the tenant's namespace."""
    s, t, v = at.suffix, at.tenant, at.victim
    group = f"esc-{s}.e2e.example"
    pv_spec = {
        "capacity": {"storage": "1Gi"},
        "accessModes": ["ReadWriteOnce"],
        "hostPath": {"path": f"/nonexistent/esc-{s}"},
    }
    token_meta = {"annotations": {"kubernetes.io/service-account.name": "default"}}
    git = {"git": {"repo": "https://git.invalid/escape.git"}}
    foreign = [{"group": "", "kind": "ConfigMap", "namespace": v, "name": "victim"}]
    forged = {"annotations": {"syncd.dev/manager": manager_value(at.root_sync)}}
    return [
        cluster_scoped("ClusterRole", RBAC, "ClusterRole", f"esc-cr-{s}", rules=EVERYTHING),
        cluster_scoped(
            "ClusterRoleBinding of its account to cluster-admin",
            RBAC,
            "ClusterRoleBinding",
            f"esc-crb-{s}",
            roleRef=CLUSTER_ADMIN,
            subjects=_subjects(t),
        ),
        cluster_scoped("Namespace", "v1", "Namespace", f"esc-ns-{s}"),
        Escape(
            what="its own Namespace object (relabelled)",
            obj=_obj("v1", "Namespace", t, meta={"labels": {"escape": s}}),
        ),
        _crd(group, "Breakout"),
        Escape(
            what="object of the cluster-scoped kind its own CRD declares",
            obj=_obj(f"{group}/v1", "Breakout", f"esc-breakout-{s}"),
        ),
        Escape(
            what="object of a kind the cluster does not serve, without a namespace",
            obj=_obj("unserved.e2e.example/v1", "Gadget", f"esc-gadget-{s}"),
        ),
        _webhook("ValidatingWebhookConfiguration", f"esc-vwc-{s}"),
        _webhook("MutatingWebhookConfiguration", f"esc-mwc-{s}"),
        cluster_scoped("PersistentVolume", "v1", "PersistentVolume", f"esc-pv-{s}", spec=pv_spec),
        cluster_scoped("Node", "v1", "Node", f"esc-node-{s}"),
        cluster_scoped(
            "PriorityClass", "scheduling.k8s.io/v1", "PriorityClass", f"esc-pc-{s}", value=10**9
        ),
        cluster_scoped(
            "StorageClass", "storage.k8s.io/v1", "StorageClass", f"esc-sc-{s}", provisioner="x.io/n"
        ),
        elsewhere(
            "ConfigMap in another namespace (RBAC would allow it)", "ConfigMap", f"esc-cm-{s}", v
        ),
        elsewhere(
            "Secret in syncd-system", "Secret", f"esc-secret-{s}", SYSTEM_NS, stringData={"k": "v"}
        ),
        elsewhere(
            "Secret in kube-system", "Secret", f"esc-ks-{s}", "kube-system", stringData={"k": "v"}
        ),
        elsewhere(
            "token Secret for another namespace's ServiceAccount",
            "Secret",
            f"esc-token-{s}",
            v,
            meta=token_meta,
            type="kubernetes.io/service-account-token",
        ),
        Escape(
            what="RepoSync in another namespace",
            obj=_obj("syncd.dev/v1beta1", "RepoSync", f"esc-rs-{s}", v, spec=git),
            target=f"{SYNCD_API}/namespaces/{v}/reposyncs/esc-rs-{s}",
        ),
        Escape(
            what="second RepoSync in its own namespace, as another account",
            obj=_obj(
                "syncd.dev/v1beta1",
                "RepoSync",
                f"esc-rs-own-{s}",
                t,
                spec={**git, "serviceAccountName": "default"},
            ),
            target=f"{SYNCD_API}/namespaces/{t}/reposyncs/esc-rs-own-{s}",
        ),
        Escape(
            what="RootSync in syncd-system",
            obj=_obj("syncd.dev/v1beta1", "RootSync", f"esc-root-{s}", SYSTEM_NS, spec=git),
            target=f"{SYNCD_API}/namespaces/{SYSTEM_NS}/rootsyncs/esc-root-{s}",
        ),
        Escape(
            what="its own ResourceGroup, listing an object in another namespace",
            obj=_obj(
                "syncd.dev/v1beta1", "ResourceGroup", REPO_SYNC, t, spec={"resources": foreign}
            ),
        ),
        Escape(
            what="ClusterRole naming the tenant's namespace",
            obj=_obj(RBAC, "ClusterRole", f"esc-cr-ns-{s}", t, rules=EVERYTHING),
            code=SD1053,
            target=_path(RBAC, "clusterroles", f"esc-cr-ns-{s}"),
        ),
        *rbac_escalations(t, s),
        Escape(
            what="forged syncd.dev/manager on the RootSync's object",
            obj=_obj("v1", "ConfigMap", at.root_object, t, meta=forged, data={"value": "tenant"}),
            code=SD1060,
        ),
        *rendered(at),
    ]
