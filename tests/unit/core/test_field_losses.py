"""syncd.core.fields: fields lost and to whom, and the edits of the managedFields list."""

from __future__ import annotations

import copy

from syncd.core.fields import (
    Loss,
    losses,
    lost_fields,
    lost_paths,
    managed_fields_patch,
    missing_fields,
    owner_of,
    with_fields,
    without_managers,
)
from tests.unit.core.ssa_samples import (
    CONTAINER,
    DEPLOYMENT,
    DEPLOYMENT_FIELDS,
    HOSTPATH_EDIT_FIELDS,
    SECRET,
    SECRET_FIELDS,
    entry,
    fields_without,
    live_object,
)

POD = ("f:spec", "f:template", "f:spec")
APP = (*POD, "f:containers", CONTAINER)
PREFIX = '.spec.template.spec.containers[name="app"]'


# -- lost and who took it -----------------------------------------------------


def test_a_field_taken_by_a_non_apply_write_is_lost_to_that_manager() -> None:
    after = fields_without(DEPLOYMENT_FIELDS, *APP, "f:image")
    edit = {"f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: {"f:image": {}}}}}}}
    obj = live_object(
        DEPLOYMENT, entry("syncd", after), entry("kubectl-edit", edit, operation="Update")
    )
    assert lost_paths(DEPLOYMENT_FIELDS, after) == (f"{PREFIX}.image",)
    assert losses(DEPLOYMENT_FIELDS, obj) == (Loss(path=f"{PREFIX}.image", owner="kubectl-edit"),)


def test_a_removed_field_is_lost_to_nobody() -> None:
    # Fact 2b: the hostPath now belongs to kubectl-edit; the emptyDir was removed.
    after = fields_without(
        DEPLOYMENT_FIELDS, *POD, "f:volumes", 'k:{"name":"scratch"}', "f:emptyDir"
    )
    obj = live_object(
        DEPLOYMENT,
        entry("syncd", after),
        entry("kubectl-edit", HOSTPATH_EDIT_FIELDS, operation="Update"),
    )
    assert losses(DEPLOYMENT_FIELDS, obj) == (
        Loss(path='.spec.template.spec.volumes[name="scratch"].emptyDir', owner=None),
    )


def test_a_field_only_another_manager_added_is_no_loss() -> None:
    # Fact 2e: an env var added by kubectl-edit leaves syncd's entry unchanged.
    env = {"f:env": {".": {}, 'k:{"name":"X"}': {".": {}, "f:name": {}, "f:value": {}}}}
    edit = {"f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: env}}}}}
    obj = live_object(
        DEPLOYMENT,
        entry("syncd", DEPLOYMENT_FIELDS),
        entry("kubectl-edit", edit, operation="Update"),
    )
    assert losses(DEPLOYMENT_FIELDS, obj) == ()


def test_a_lost_element_is_one_path_and_a_lost_map_counts_leaf_by_leaf() -> None:
    # Fact 2a: the server dropped the emptied securityContext node too.
    no_ape = fields_without(
        DEPLOYMENT_FIELDS, *APP, "f:securityContext", "f:allowPrivilegeEscalation"
    )
    assert lost_paths(DEPLOYMENT_FIELDS, no_ape) == (
        f"{PREFIX}.securityContext.allowPrivilegeEscalation",
    )
    udp = 'k:{"containerPort":53,"protocol":"UDP"}'
    after = fields_without(DEPLOYMENT_FIELDS, *APP, "f:ports", udp)
    assert lost_paths(DEPLOYMENT_FIELDS, after) == (
        f'{PREFIX}.ports[containerPort=53,protocol="UDP"]',
    )
    gone = fields_without(DEPLOYMENT_FIELDS, *APP)
    assert lost_paths(DEPLOYMENT_FIELDS, gone) == (PREFIX,)
    before = {"f:list": {'k:{"name":"a"}': {".": {}, "f:name": {}}}}
    keep_name = {"f:list": {'k:{"name":"a"}': {"f:name": {}}}}
    assert lost_fields(before, keep_name) == (("f:list", 'k:{"name":"a"}'),)
    assert lost_paths(before, before) == ()
    assert lost_paths({"f:a": {"f:b": {}, "f:c": {}}}, {"f:a": {}}) == (".a.b", ".a.c")


def test_the_whole_entry_gone_loses_everything_at_the_top() -> None:
    obj = live_object(SECRET)
    assert losses(SECRET_FIELDS, obj) == (
        Loss(path=".stringData.password", owner=None),
        Loss(path=".type", owner=None),
    )


def test_owner_of_sees_atomic_ancestors_and_prefers_the_newest_entry() -> None:
    obj = live_object(
        DEPLOYMENT,
        entry("syncd", {}),
        entry(
            "old", {"f:spec": {"f:template": {}}}, operation="Update", time="2025-01-01T00:00:00Z"
        ),
        entry(
            "new", {"f:spec": {"f:replicas": {}}}, operation="Update", time="2025-01-02T00:00:00Z"
        ),
        entry("newer", {"f:spec": {"f:replicas": {}}}, time="2025-01-03T00:00:00Z"),
    )
    assert owner_of(obj, ("f:spec", "f:replicas")) == "newer"
    assert owner_of(obj, ("f:spec", "f:template", "f:spec", "f:x")) == "old"
    assert owner_of(obj, ("f:spec",)) == "newer"
    assert owner_of(obj, ("f:metadata", "f:labels")) is None
    assert owner_of(obj, ("f:spec", "f:replicas"), manager="newer") == "new"


def test_missing_fields_are_trie_paths_that_owner_of_can_look_up() -> None:
    # After a restart there is no `before`: what syncd declares but does not
    # own, and who owns it now, still names the manager that took it.
    after = fields_without(DEPLOYMENT_FIELDS, *APP, "f:image")
    edit = {"f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: {"f:image": {}}}}}}}
    obj = live_object(
        DEPLOYMENT, entry("syncd", after), entry("kubectl-edit", edit, operation="Update")
    )
    [path] = missing_fields(DEPLOYMENT, after)
    assert path == (*APP, "f:image")
    assert owner_of(obj, path) == "kubectl-edit"
    body = copy.deepcopy(DEPLOYMENT)
    body["spec"]["template"]["spec"]["containers"].append({"name": "side"})
    assert missing_fields(body, DEPLOYMENT_FIELDS) == ((*POD, "f:containers", 'k:{"name":"side"}'),)


# -- editing the managedFields list ------------------------------------------


def test_without_managers_drops_every_entry_of_the_named_managers() -> None:
    entries = [
        entry("syncd", {"f:a": {}}),
        entry("kubectl-create", {"f:a": {}}, operation="Update"),
        entry("kubectl-client-side-apply", {"f:a": {}}, operation="Update"),
        entry("kubectl", {"f:a": {}}),
        entry("before-first-apply", {"f:a": {}}, operation="Update"),
        entry("hpa-controller", {"f:b": {}}, operation="Update"),
    ]
    kept = without_managers(
        entries,
        ["kubectl-create", "kubectl-client-side-apply", "kubectl", "before-first-apply"],
    )
    assert [e["manager"] for e in kept] == ["syncd", "hpa-controller"]
    assert len(entries) == 6


def test_with_fields_replaces_only_the_apply_trie_and_drops_an_emptied_entry() -> None:
    update = entry("syncd", {"f:u": {}}, operation="Update")
    entries = [entry("syncd", {"f:a": {}, "f:b": {}}), update]
    changed = with_fields(entries, {"f:a": {}})
    assert changed == [{**entries[0], "fieldsV1": {"f:a": {}}}, update]
    assert entries[0]["fieldsV1"] == {"f:a": {}, "f:b": {}}
    assert with_fields(entries, {}) == [update]


def test_managed_fields_patch_is_guarded_by_the_resource_version() -> None:
    obj = {"metadata": {"resourceVersion": "42", "managedFields": []}}
    kept = [entry("syncd", {"f:a": {}})]
    assert managed_fields_patch(obj, kept) == {
        "metadata": {"managedFields": kept, "resourceVersion": "42"}
    }
    assert managed_fields_patch(obj, [])["metadata"]["managedFields"] == [{}]
