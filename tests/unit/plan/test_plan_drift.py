"""The planner's drift decisions: what syncd's managedFields entry says, ignore-fields, takeover."""

from __future__ import annotations

import copy

from syncd.core.errors import ErrorCode
from syncd.core.ownership import baseline_of
from syncd.core.plan import Action
from tests.unit.plan.builders import actions, applied, manifest, plan, take


def test_a_field_another_manager_took_is_drift_without_a_baseline() -> None:
    m = manifest("a")
    live = applied(m)
    live["data"]["k"] = "edited"
    take(live, "data", "k", by="kubectl-edit")
    p = plan([m], live={m.ref: live}, inventory=[m.ref])
    [obj] = p.to_apply
    assert (obj.reason, obj.drift) == ("drifted: .data.k", True)


def test_a_removed_field_is_drift_without_a_baseline() -> None:
    m = manifest("a")
    live = applied(m)
    del live["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    take(live, "metadata", "labels", "app.kubernetes.io/managed-by", by=None)
    p = plan([m], live={m.ref: live}, inventory=[m.ref])
    assert p.to_apply[0].reason == 'drifted: .metadata.labels["app.kubernetes.io/managed-by"]'


def test_values_the_server_rewrote_are_not_drift_when_syncd_still_owns_them() -> None:
    m = manifest("a", k="1024Mi")
    live = applied(m)
    live["data"]["k"] = "1Gi"  # canonicalised by the server, still owned by syncd
    p = plan([m], live={m.ref: live}, inventory=[m.ref])
    assert actions(p) == {"a": Action.UNCHANGED}


def test_with_a_baseline_a_lost_field_names_who_took_it() -> None:
    m = manifest("a")
    before = applied(m)
    baseline = baseline_of(before)
    assert baseline is not None
    live = copy.deepcopy(before)
    take(live, "data", "k", by="kubectl-edit")
    p = plan([m], live={m.ref: live}, inventory=[m.ref], baselines={m.ref: baseline})
    [obj] = p.to_apply
    assert obj.reason == "drifted: .data.k (taken by kubectl-edit)"
    assert obj.drift


def test_with_a_baseline_an_unchanged_entry_is_settled_even_if_a_value_walk_disagrees() -> None:
    m = manifest("a", k="v")
    live = applied(m)
    del live["data"]  # e.g. stringData: declared, owned, never stored as declared
    baseline = baseline_of(live)
    assert baseline is not None
    p = plan([m], live={m.ref: live}, inventory=[m.ref], baselines={m.ref: baseline})
    assert actions(p) == {"a": Action.UNCHANGED}


def test_with_a_baseline_a_new_uid_is_a_recreation() -> None:
    m = manifest("a")
    live = applied(m)
    baseline = baseline_of(live)
    assert baseline is not None
    live["metadata"]["uid"] = "new"
    p = plan([m], live={m.ref: live}, inventory=[m.ref], baselines={m.ref: baseline})
    [obj] = p.to_apply
    assert (obj.reason, obj.drift) == ("re-created outside syncd", True)


def test_fields_only_other_managers_own_are_not_drift() -> None:
    m = manifest("a")
    live = applied(m)
    live["data"]["added-by-kubectl"] = "x"
    live["metadata"]["managedFields"].append(
        {
            "manager": "kubectl-edit",
            "operation": "Update",
            "apiVersion": "v1",
            "fieldsV1": {"f:data": {"f:added-by-kubectl": {}}},
        }
    )
    baseline = baseline_of(applied(m))
    assert baseline is not None
    for known in ({}, {m.ref: baseline}):
        p = plan([m], live={m.ref: live}, inventory=[m.ref], baselines=known)
        assert actions(p) == {"a": Action.UNCHANGED}


def test_legacy_managers_are_taken_over_by_an_apply() -> None:
    m = manifest("a")
    live = applied(m)
    live["metadata"]["managedFields"].append(
        {
            "manager": "kubectl-create",
            "operation": "Update",
            "apiVersion": "v1",
            "fieldsV1": {"f:data": {"f:k": {}}},
        }
    )
    p = plan([m], live={m.ref: live}, inventory=[m.ref])
    [obj] = p.to_apply
    assert obj.reason == "taking over fields from kubectl-create"
    assert obj.release is not None
    assert obj.release.managers == ("kubectl-create",)
    assert not obj.drift


IGNORE = {"syncd.dev/ignore-fields": "/data/replicas"}


def test_ignored_fields_are_sent_on_create_and_released_after_it() -> None:
    m = manifest("a", annotations=IGNORE, replicas="3", k="v")
    [obj] = plan([m]).to_apply
    assert obj.manifest is not None
    assert obj.manifest.body["data"] == {"replicas": "3", "k": "v"}
    assert obj.release is not None
    assert [str(p) for p in obj.release.pointers] == ["/data/replicas"]
    assert not obj.release.before


def test_ignored_fields_are_left_out_of_later_applies_and_released_first_if_owned() -> None:
    m = manifest("a", annotations=IGNORE, replicas="3", k="v")
    live = applied(m)  # syncd still owns /data/replicas (e.g. the annotation is new)
    changed = manifest("a", annotations=IGNORE, replicas="3", k="changed")
    [obj] = plan([changed], live={m.ref: live}, inventory=[m.ref]).to_apply
    assert obj.manifest is not None
    assert obj.manifest.body["data"] == {"k": "changed"}
    assert obj.release is not None
    assert obj.release.before


def test_an_ignored_field_syncd_no_longer_owns_is_never_drift() -> None:
    m = manifest("a", annotations=IGNORE, replicas="3", k="v")
    live = applied(m)
    live["data"]["replicas"] = "7"
    take(live, "data", "replicas", by="hpa-controller")
    p = plan([m], live={m.ref: live}, inventory=[m.ref])
    assert actions(p) == {"a": Action.UNCHANGED}


def test_a_malformed_ignore_fields_annotation_is_sd1073_and_held() -> None:
    m = manifest("a", annotations={"syncd.dev/ignore-fields": "spec/replicas"})
    p = plan([m], live={m.ref: applied(m)}, inventory=[m.ref])
    assert actions(p) == {"a": Action.HOLD}
    [error] = p.errors
    assert error.code is ErrorCode.INVALID_IGNORE_FIELDS
    assert p.kept == {m.ref}
