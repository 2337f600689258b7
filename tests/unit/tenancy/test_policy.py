"""The first wall: what a RepoSync may declare, and who takes over what (pure rules)."""

from __future__ import annotations

import pytest

from syncd.core.manifest import Manifest
from syncd.core.refs import ObjectRef
from syncd.core.results import ValidationResult
from syncd.core.sync import Identity, SyncId, SyncKind
from syncd.tenancy.policy import confine, outside_scope, within_scope

TENANT = SyncId(kind=SyncKind.REPO_SYNC, namespace="team-a", name="repo")
ROOT = SyncId(kind=SyncKind.ROOT_SYNC, namespace="syncd-system", name="root")


def ref(kind: str, name: str, namespace: str = "", group: str = "") -> ObjectRef:
    return ObjectRef(group=group, version="v1", kind=kind, namespace=namespace, name=name)


INSIDE = ref("ConfigMap", "ok", "team-a")
OUTSIDE = [
    ref("ConfigMap", "x", "team-b"),
    ref("Secret", "x", "syncd-system"),
    ref("ClusterRole", "x", group="rbac.authorization.k8s.io"),
    ref("Namespace", "team-b"),
    ref("ValidatingWebhookConfiguration", "x", group="admissionregistration.k8s.io"),
    ref("RepoSync", "x", "team-a", group="syncd.dev"),
    ref("ResourceGroup", "repo", "team-a", group="syncd.dev"),
    ref("RootSync", "x", "team-a", group="syncd.dev"),
]


@pytest.mark.parametrize("outside", OUTSIDE, ids=lambda r: r.short)
def test_a_repo_sync_may_not_reach_outside_its_namespace(outside: ObjectRef) -> None:
    assert outside_scope(outside, sync=TENANT)
    assert not outside_scope(outside, sync=ROOT)


def test_confine_refuses_each_outside_object_with_sd1058_and_keeps_it_declared() -> None:
    manifests = tuple(
        Manifest(ref=r, body={"metadata": {"name": r.name}}, source_path=f"{r.name}.yaml")
        for r in (INSIDE, *OUTSIDE)
    )
    confined = confine(ValidationResult(manifests=manifests), sync=TENANT)
    assert [m.ref for m in confined.manifests] == [INSIDE]
    assert [e.code for e in confined.errors] == ["SD1058"] * len(OUTSIDE)
    assert confined.rejected == frozenset(OUTSIDE)
    same = ValidationResult(manifests=manifests)
    assert confine(same, sync=ROOT) is same


def test_within_scope_splits_an_inventory() -> None:
    inside, outside = within_scope([INSIDE, *OUTSIDE], sync=TENANT)
    assert inside == {INSIDE}
    assert outside == frozenset(OUTSIDE)


@pytest.mark.parametrize(
    ("sync", "owner", "takes"),
    [
        (ROOT, "RepoSync/team-a/repo", True),
        (ROOT, "RootSync/syncd-system/other", False),
        (TENANT, "RootSync/syncd-system/root", False),
        (TENANT, "RepoSync/team-a/other", False),
        (ROOT, "kubectl", False),
    ],
)
def test_only_a_root_sync_takes_over_and_only_from_a_repo_sync(
    sync: SyncId, owner: str, takes: bool
) -> None:
    assert sync.may_take_over(owner) is takes


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("RepoSync/team-a/repo", TENANT),
        ("RootSync/syncd-system/root", ROOT),
        ("Deployment/x/y", None),
        ("RepoSync/team-a", None),
        ("RepoSync//repo", None),
        ("RepoSync/a/b/c", None),
        ("", None),
    ],
)
def test_a_manager_value_parses_back_to_its_sync(text: str, parsed: SyncId | None) -> None:
    assert SyncId.parse(text) == parsed


def test_an_identity_is_syncd_or_a_service_account_user() -> None:
    assert Identity().own
    assert str(Identity()) == "syncd"
    tenant = Identity(namespace="team-a", service_account="syncd-repo")
    assert tenant.user == "system:serviceaccount:team-a:syncd-repo"
    assert TENANT.scope == "team-a"
    assert ROOT.scope == ""
