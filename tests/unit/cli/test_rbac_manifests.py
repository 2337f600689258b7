"""manifests/rbac/ holds the roles `syncd tenant init` and the controller rely on, no wildcard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from syncd.cli.tenant_objects import TENANT_CLUSTER_ROLE

RBAC = Path(__file__).resolve().parents[3] / "manifests" / "rbac"


def _objects() -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for path in sorted(RBAC.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert doc is not None, path
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found


def test_the_tenant_role_is_aggregated_from_edit_and_leaves_rules_to_the_controller() -> None:
    role = _objects()[("ClusterRole", TENANT_CLUSTER_ROLE)]
    selectors = role["aggregationRule"]["clusterRoleSelectors"]
    assert selectors == [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}},
        {"matchLabels": {"syncd.dev/aggregate-to-tenant": "true"}},
    ]
    # The aggregation controller owns `rules`; declaring them would fight it.
    assert "rules" not in role


def test_no_rule_grants_a_wildcard() -> None:
    for (kind, name), obj in _objects().items():
        for rule in obj.get("rules", []):
            for key in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule.get(key, []), (kind, name, rule)


def test_syncd_service_account_is_bound_to_its_roles_and_to_cluster_admin() -> None:
    objects = _objects()
    subject = {"kind": "ServiceAccount", "name": "syncd", "namespace": "syncd-system"}
    assert ("ServiceAccount", "syncd") in objects
    for kind, name, role in [
        ("ClusterRoleBinding", "syncd-controller", "syncd-controller"),
        ("ClusterRoleBinding", "syncd-root-cluster-admin", "cluster-admin"),
        ("RoleBinding", "syncd-controller", "syncd-controller"),
    ]:
        binding = objects[(kind, name)]
        assert binding["roleRef"]["name"] == role
        assert binding["subjects"] == [subject]
    rules = objects[("ClusterRole", "syncd-controller")]["rules"]
    assert {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]} in rules
