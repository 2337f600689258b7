"""Between syncs: an object belongs to one sync, the RootSync outranks a tenant, never the reverse.

Shown from the cluster's objects: the `syncd.dev/manager` annotation, the
content, the UID and resourceVersion of the contested object, and the
RepoSync's ResourceGroup (`spec.resources`) as an admin reads them.
"""

from __future__ import annotations

from typing import Any

import pytest

from e2e.kube import merge_patch, unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    configmap,
    create_root_sync,
    errors_with_code,
    get_object,
    manager_of,
    manager_value,
    to_yaml,
    wait_state,
)
from e2e.tenants import (
    TIMEOUT,
    Tenant,
    create_repo_sync,
    grant,
    inventory_of,
    namespaced_path,
    onboard,
    other_namespace,
    wait_repo_state,
    wait_repo_status,
)
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

SD1060 = "SD1060"


def live_cm(admin: KubeHttp, namespace: str, name: str) -> dict[str, Any]:
    obj = get_object(admin, namespaced_path(namespace, "configmaps", name))
    assert obj is not None, f"ConfigMap {namespace}/{name} is gone"
    return obj


Entry = tuple[str, str, str, str]


def cm_entry(namespace: str, name: str) -> Entry:
    return ("", "ConfigMap", namespace, name)


def names_in_errors(status: dict[str, Any], code: str) -> set[str]:
    return {res["name"] for err in errors_with_code(status, code) for res in err["resources"]}


def test_a_repo_sync_never_takes_an_object_the_root_sync_holds(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="yield")
    ns, held, own = tenant.namespace, unique("held"), unique("own")
    platform = git_repo_factory(git_http, prefix="platform")
    root_sha = platform.commit({"cm.yaml": to_yaml(configmap(held, ns, "platform"))}, "p")
    root = create_root_sync(admin, request, repo=git_http.repo_url(platform.name))
    wait_state(admin, root, root_sha, "Synced")
    before = live_cm(admin, ns, held)

    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit(
        {
            "held.yaml": to_yaml(configmap(held, ns, "tenant")),
            "own.yaml": to_yaml(configmap(own, ns, "t")),
        },
        "declare the platform's object",
    )
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))

    status = wait_repo_state(admin, tenant, sha, "Error")["status"]
    assert names_in_errors(status, SD1060) == {held}
    (error,) = errors_with_code(status, SD1060)
    assert manager_value(root) in error["message"], error
    after = live_cm(admin, ns, held)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["data"] == {"value": "platform"}
    assert manager_of(after) == manager_value(root)
    assert manager_of(live_cm(admin, ns, own)) == tenant.manager()
    assert cm_entry(ns, held) not in inventory_of(admin, tenant)
    assert cm_entry(ns, own) in inventory_of(admin, tenant)


def test_a_root_sync_takes_over_a_tenants_object_and_the_tenant_lets_go_without_deleting_it(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="takeover")
    ns, shared, mine = tenant.namespace, unique("shared"), unique("mine")
    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit(
        {
            "shared.yaml": to_yaml(configmap(shared, ns, "tenant")),
            "mine.yaml": to_yaml(configmap(mine, ns, "tenant")),
        },
        "two objects",
    )
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    wait_repo_state(admin, tenant, sha)
    assert inventory_of(admin, tenant) == {cm_entry(ns, shared), cm_entry(ns, mine)}
    uid = live_cm(admin, ns, shared)["metadata"]["uid"]
    assert manager_of(live_cm(admin, ns, shared)) == tenant.manager()

    platform = git_repo_factory(git_http, prefix="platform")
    root_sha = platform.commit({"cm.yaml": to_yaml(configmap(shared, ns, "platform"))}, "p")
    root = create_root_sync(admin, request, repo=git_http.repo_url(platform.name))
    wait_state(admin, root, root_sha, "Synced")
    taken = live_cm(admin, ns, shared)
    assert manager_of(taken) == manager_value(root)
    assert taken["data"] == {"value": "platform"}

    # The tenant, still declaring it, reports SD1060 and drops it from its inventory.
    def let_go(status: Any) -> bool:
        return shared in names_in_errors(status, SD1060) and cm_entry(
            ns, shared
        ) not in inventory_of(admin, tenant)

    wait_repo_status(admin, tenant, let_go, what="SD1060 and the object out of its inventory")
    assert inventory_of(admin, tenant) == {cm_entry(ns, mine)}
    after = live_cm(admin, ns, shared)
    assert after["metadata"]["uid"] == uid, "never deleted (nor re-created)"
    assert after["data"] == {"value": "platform"}
    assert manager_of(after) == manager_value(root)
    assert manager_of(live_cm(admin, ns, mine)) == tenant.manager()


def add_to_inventory(admin: KubeHttp, tenant: Tenant, entry: Entry) -> None:
    """As admin (like `kubectl edit`), append `entry` to the RepoSync's ResourceGroup."""
    path = tenant.resource_group_path()
    group = get_object(admin, path)
    assert group is not None
    resources = list(group["spec"]["resources"])
    resources.append(dict(zip(("group", "kind", "namespace", "name"), entry, strict=True)))
    resp = merge_patch(admin, path, {"spec": {"resources": resources}}, manager="kubectl-edit")
    assert resp.status == 200, resp.text
    assert entry in inventory_of(admin, tenant)


def plant_victim(admin: KubeHttp, tenant: Tenant, namespace: str) -> tuple[str, str, Entry]:
    """A ConfigMap in `namespace` that looks like the tenant's own: (name, uid, inventory entry).

    It carries the tenant's manager annotation and ApplySet label, so only the
    namespace it lives in tells it apart from an object the tenant manages.
    """
    group = get_object(admin, tenant.resource_group_path())
    assert group is not None
    victim = configmap(
        unique("victim"),
        namespace,
        "not yours",
        annotations={"syncd.dev/manager": tenant.manager()},
    )
    applyset = group["metadata"]["labels"]["applyset.kubernetes.io/id"]
    victim["metadata"]["labels"] = {"applyset.kubernetes.io/part-of": applyset}
    resp = admin.post(f"/api/v1/namespaces/{namespace}/configmaps", victim)
    assert resp.status == 201, resp.text
    name = victim["metadata"]["name"]
    return name, resp.json()["metadata"]["uid"], cm_entry(namespace, name)


def delete_repo_sync(admin: KubeHttp, tenant: Tenant) -> None:
    """Delete the RepoSync and wait until it is gone (its finalizer, if any, done)."""
    resp = admin.delete(tenant.repo_sync_path())
    assert resp.status in (200, 202), resp.text
    wait_until(
        lambda: get_object(admin, tenant.repo_sync_path()) is None,
        timeout=TIMEOUT,
        what="RepoSync deleted",
    )


def test_a_hand_edited_tenant_inventory_never_deletes_an_object_in_another_namespace(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="inventory")
    victim_ns = other_namespace(admin, request, "victim")
    grant(admin, tenant, victim_ns)  # RBAC would let the tenant delete there: syncd must not
    ns, first, second, stays = tenant.namespace, unique("first"), unique("second"), unique("stays")
    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit(
        {f"{n}.yaml": to_yaml(configmap(n, ns, "tenant")) for n in (first, second, stays)}, "three"
    )
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    wait_repo_state(admin, tenant, sha)
    victim, uid, entry = plant_victim(admin, tenant, victim_ns)

    # Edited while the sync runs, then a file removed so that the sync prunes.
    add_to_inventory(admin, tenant, entry)
    sha = repo.commit({f"{first}.yaml": None}, "remove the first")
    wait_repo_state(admin, tenant, sha)
    wait_until(
        lambda: get_object(admin, namespaced_path(ns, "configmaps", first)) is None,
        timeout=TIMEOUT,
        what=f"{first} pruned",
    )
    assert live_cm(admin, victim_ns, victim)["metadata"]["uid"] == uid
    assert inventory_of(admin, tenant) == {cm_entry(ns, second), cm_entry(ns, stays)}

    # Edited while no sync runs, so that a new worker reads it from the cluster.
    delete_repo_sync(admin, tenant)
    add_to_inventory(admin, tenant, entry)
    sha = repo.commit({f"{second}.yaml": None}, "remove the second")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    wait_repo_state(admin, tenant, sha)
    wait_until(
        lambda: get_object(admin, namespaced_path(ns, "configmaps", second)) is None,
        timeout=TIMEOUT,
        what=f"{second} pruned",
    )
    ignored = syncd_controller.log_records("inventory.outside_scope_ignored", sync=tenant.manager())
    assert ignored, "the new worker read the edited ResourceGroup and ignored the entry"
    assert live_cm(admin, victim_ns, victim)["metadata"]["uid"] == uid
    assert inventory_of(admin, tenant) == {cm_entry(ns, stays)}


def test_a_repo_sync_never_takes_an_object_another_repo_sync_holds(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="neighbours")
    ns, held, own = tenant.namespace, unique("held"), unique("own")
    first = git_repo_factory(git_http, prefix="first")
    sha = first.commit({"held.yaml": to_yaml(configmap(held, ns, "first"))}, "first")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(first.name))
    wait_repo_state(admin, tenant, sha)
    before = live_cm(admin, ns, held)

    # A second RepoSync in the same namespace, acting as the same account.
    second = git_repo_factory(git_http, prefix="second")
    sha2 = second.commit(
        {
            "held.yaml": to_yaml(configmap(held, ns, "second")),
            "own.yaml": to_yaml(configmap(own, ns, "second")),
        },
        "declare the first sync's object",
    )
    create_repo_sync(
        admin,
        tenant,
        repo=git_http.repo_url(second.name),
        spec={"serviceAccountName": tenant.service_account},
        name="second",
    )
    status = wait_repo_state(admin, tenant, sha2, "Error", name="second")["status"]
    assert names_in_errors(status, SD1060) == {held}
    (error,) = errors_with_code(status, SD1060)
    assert tenant.manager() in error["message"], error
    after = live_cm(admin, ns, held)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["data"] == {"value": "first"}
    assert manager_of(after) == tenant.manager()
    assert manager_of(live_cm(admin, ns, own)) == tenant.manager("second")
    assert inventory_of(admin, tenant, "second") == {cm_entry(ns, own)}
    assert inventory_of(admin, tenant) == {cm_entry(ns, held)}


def test_a_tenant_whose_inventory_still_lists_a_taken_object_does_not_prune_it(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="away")
    ns, shared, mine = tenant.namespace, unique("shared"), unique("mine")
    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit(
        {f"{n}.yaml": to_yaml(configmap(n, ns, "tenant")) for n in (shared, mine)}, "two"
    )
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))
    wait_repo_state(admin, tenant, sha)
    uid = live_cm(admin, ns, shared)["metadata"]["uid"]
    # While no tenant sync runs (its ResourceGroup stays, listing the object), the
    # RootSync takes the object over and the tenant removes it from its repository.
    delete_repo_sync(admin, tenant)
    platform = git_repo_factory(git_http, prefix="platform")
    root_sha = platform.commit({"cm.yaml": to_yaml(configmap(shared, ns, "platform"))}, "p")
    root = create_root_sync(admin, request, repo=git_http.repo_url(platform.name))
    wait_state(admin, root, root_sha, "Synced")
    assert cm_entry(ns, shared) in inventory_of(admin, tenant)
    sha = repo.commit({f"{shared}.yaml": None}, "no longer ours")
    create_repo_sync(admin, tenant, repo=git_http.repo_url(repo.name))

    wait_repo_state(admin, tenant, sha)
    assert inventory_of(admin, tenant) == {cm_entry(ns, mine)}
    after = live_cm(admin, ns, shared)
    assert after["metadata"]["uid"] == uid, "the RootSync's object was not deleted"
    assert after["data"] == {"value": "platform"}
    assert manager_of(after) == manager_value(root)


def test_deleting_a_repo_sync_with_its_objects_deletes_nothing_outside_its_namespace(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
    request: pytest.FixtureRequest,
) -> None:
    tenant = onboard(admin, request, prefix="foreground")
    victim_ns = other_namespace(admin, request, "victim")
    grant(admin, tenant, victim_ns)
    ns, mine = tenant.namespace, [unique("mine"), unique("mine")]
    repo = git_repo_factory(git_http, prefix="tenant")
    sha = repo.commit({f"{n}.yaml": to_yaml(configmap(n, ns, "tenant")) for n in mine}, "two")
    url = git_http.repo_url(repo.name)
    create_repo_sync(admin, tenant, repo=url)
    wait_repo_state(admin, tenant, sha)
    # Its ResourceGroup, edited while no sync runs, lists a look-alike in another
    # namespace; the RepoSync comes back asking for Foreground deletion and reads it.
    delete_repo_sync(admin, tenant)
    victim, uid, entry = plant_victim(admin, tenant, victim_ns)
    add_to_inventory(admin, tenant, entry)
    foreground = {"syncd.dev/deletion-propagation": "Foreground"}
    create_repo_sync(admin, tenant, repo=url, annotations=foreground)
    wait_repo_state(admin, tenant, sha)
    wait_until(
        lambda: syncd_controller.log_records(
            "inventory.outside_scope_ignored", sync=tenant.manager()
        ),
        timeout=TIMEOUT,
        what="the edited ResourceGroup read",
    )
    live = get_object(admin, tenant.repo_sync_path())
    assert live is not None
    assert "syncd.dev/delete-managed-objects" in live["metadata"].get("finalizers", [])

    delete_repo_sync(admin, tenant)
    for name in mine:
        assert get_object(admin, namespaced_path(ns, "configmaps", name)) is None, name
    assert get_object(admin, tenant.resource_group_path()) is None
    assert live_cm(admin, victim_ns, victim)["metadata"]["uid"] == uid
