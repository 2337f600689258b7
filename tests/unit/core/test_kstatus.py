"""kstatus: the generic rules, each kind's rule, and aggregation (cli-utils semantics)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from syncd.core.kstatus import KStatus, aggregate, compute

NOW = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
IN_PROGRESS, CURRENT, FAILED = KStatus.IN_PROGRESS, KStatus.CURRENT, KStatus.FAILED


def make(
    api_version: str,
    kind: str,
    *,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "x", "namespace": "ns", **metadata},
    }
    if spec is not None:
        obj["spec"] = spec
    if status is not None or conditions is not None:
        obj["status"] = dict(status or {})
        if conditions is not None:
            obj["status"]["conditions"] = conditions
    return obj


def cond(kind: str, status: str, reason: str = "", message: str = "") -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def status_of(obj: dict[str, Any], now: dt.datetime = NOW) -> KStatus:
    return compute(obj, now=now).status


# --- generic ---------------------------------------------------------------------------------


def test_deletion_timestamp_means_terminating_before_anything_else() -> None:
    obj = make("v1", "ConfigMap", deletionTimestamp="2025-01-01T00:00:00Z")
    assert status_of(obj) is KStatus.TERMINATING


def test_unobserved_generation_is_in_progress() -> None:
    obj = make("x.io/v1", "Widget", generation=2, status={"observedGeneration": 1})
    result = compute(obj, now=NOW)
    assert result.status is IN_PROGRESS
    assert "generation is 2" in result.message


def test_absent_observed_generation_skips_the_check() -> None:
    assert status_of(make("x.io/v1", "Widget", generation=5, status={})) is CURRENT


def test_first_reconciling_or_stalled_condition_wins_in_list_order() -> None:
    reconciling = cond("Reconciling", "True", message="working")
    stalled = cond("Stalled", "True", message="stuck")
    first = compute(make("x.io/v1", "W", conditions=[reconciling, stalled]), now=NOW)
    assert (first.status, first.message) == (IN_PROGRESS, "working")
    assert status_of(make("x.io/v1", "W", conditions=[stalled, reconciling])) is FAILED
    assert status_of(make("x.io/v1", "W", conditions=[cond("Stalled", "False")])) is CURRENT


@pytest.mark.parametrize(
    ("ready", "expected"),
    [("True", CURRENT), ("False", IN_PROGRESS), ("Unknown", IN_PROGRESS)],
)
def test_ready_condition_decides_kinds_without_a_rule(ready: str, expected: KStatus) -> None:
    assert status_of(make("x.io/v1", "Widget", conditions=[cond("Ready", ready)])) is expected


def test_objects_without_status_are_current_immediately() -> None:
    assert status_of(make("x.io/v1", "Widget")) is CURRENT
    assert status_of(make("v1", "Namespace")) is CURRENT


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("batch/v1", "CronJob"),
        ("policy/v1", "PodDisruptionBudget"),
    ],
)
def test_always_current_kinds_ignore_ready(api_version: str, kind: str) -> None:
    obj = make(api_version, kind, conditions=[cond("Ready", "False")])
    assert status_of(obj) is CURRENT


def test_pdb_still_honours_observed_generation() -> None:
    obj = make("policy/v1", "PodDisruptionBudget", generation=2, status={"observedGeneration": 1})
    assert status_of(obj) is IN_PROGRESS


def test_namespace_follows_deletion_timestamp() -> None:
    assert status_of(make("v1", "Namespace", deletionTimestamp="t")) is KStatus.TERMINATING


# --- Deployment ------------------------------------------------------------------------------


def deployment(**status: Any) -> dict[str, Any]:
    good = {
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    conditions = status.pop(
        "conditions",
        [
            cond("Progressing", "True", "NewReplicaSetAvailable"),
            cond("Available", "True"),
        ],
    )
    spec = status.pop("spec", {"replicas": 3, "progressDeadlineSeconds": 600})
    return make(
        "apps/v1", "Deployment", spec=spec, status={**good, **status}, conditions=conditions
    )


def test_rolled_out_deployment_is_current() -> None:
    result = compute(deployment(), now=NOW)
    assert result.status is CURRENT
    assert result.message == "Deployment is available. Replicas: 3"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ({"replicas": 2}, "Replicas: 2/3"),
        ({"updatedReplicas": 2}, "Updated: 2/3"),
        ({"replicas": 4}, "Pending termination: 1"),
        ({"availableReplicas": 2}, "Available: 2/3"),
        ({"readyReplicas": 2}, "Ready: 2/3"),
        ({"conditions": [cond("Available", "True")]}, "ReplicaSet not Available"),
        (
            {"conditions": [cond("Progressing", "True", "NewReplicaSetAvailable")]},
            "Deployment not Available",
        ),
    ],
)
def test_deployment_in_progress_reasons_in_order(status: dict[str, Any], message: str) -> None:
    result = compute(deployment(**status), now=NOW)
    assert (result.status, result.message) == (IN_PROGRESS, message)


def test_deployment_progress_deadline_exceeded_is_failed() -> None:
    obj = deployment(conditions=[cond("Progressing", "False", "ProgressDeadlineExceeded")])
    assert status_of(obj) is FAILED


def test_deployment_without_progress_deadline_does_not_need_progressing() -> None:
    obj = deployment(spec={"replicas": 3}, conditions=[cond("Available", "True")])
    assert status_of(obj) is CURRENT


def test_deployment_replicas_default_to_one() -> None:
    obj = deployment(spec={}, replicas=1, updatedReplicas=1, readyReplicas=1, availableReplicas=1)
    assert status_of(obj) is CURRENT
    assert status_of(deployment(spec={}, replicas=0, updatedReplicas=0)) is IN_PROGRESS


def test_extensions_deployment_uses_the_same_rule() -> None:
    obj = deployment(replicas=1)
    obj["apiVersion"] = "extensions/v1beta1"
    assert status_of(obj) is IN_PROGRESS


# --- StatefulSet -----------------------------------------------------------------------------


def statefulset(spec: dict[str, Any] | None = None, **status: Any) -> dict[str, Any]:
    good = {
        "replicas": 2,
        "readyReplicas": 2,
        "currentReplicas": 2,
        "updatedReplicas": 2,
        "currentRevision": "r1",
        "updateRevision": "r1",
    }
    return make("apps/v1", "StatefulSet", spec=spec or {"replicas": 2}, status={**good, **status})


def test_statefulset_rules() -> None:
    assert status_of(statefulset()) is CURRENT
    assert status_of(statefulset(replicas=1)) is IN_PROGRESS
    assert status_of(statefulset(readyReplicas=1)) is IN_PROGRESS
    assert status_of(statefulset(replicas=3)) is IN_PROGRESS
    assert status_of(statefulset(currentReplicas=1)) is IN_PROGRESS
    result = compute(statefulset(updateRevision="r2"), now=NOW)
    assert result.status is IN_PROGRESS
    assert "r2" in result.message


def test_statefulset_on_delete_is_current_at_once() -> None:
    obj = statefulset({"replicas": 2, "updateStrategy": {"type": "OnDelete"}}, readyReplicas=0)
    assert status_of(obj) is CURRENT


def test_statefulset_partition_needs_only_the_partitioned_updates() -> None:
    spec = {"replicas": 4, "updateStrategy": {"rollingUpdate": {"partition": 2}}}
    base = {"replicas": 4, "readyReplicas": 4, "currentReplicas": 2, "updateRevision": "r2"}
    assert status_of(statefulset(spec, **base, updatedReplicas=1)) is IN_PROGRESS
    assert status_of(statefulset(spec, **base, updatedReplicas=2)) is CURRENT


# --- DaemonSet -------------------------------------------------------------------------------


def daemonset(generation: int | None = 1, **status: Any) -> dict[str, Any]:
    good = {
        "observedGeneration": 1,
        "desiredNumberScheduled": 2,
        "currentNumberScheduled": 2,
        "updatedNumberScheduled": 2,
        "numberAvailable": 2,
        "numberReady": 2,
    }
    extra = {"generation": generation} if generation is not None else {}
    merged = {k: v for k, v in {**good, **status}.items() if v is not None}
    return make("apps/v1", "DaemonSet", status=merged, **extra)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, CURRENT),
        ({"observedGeneration": None}, IN_PROGRESS),
        ({"desiredNumberScheduled": None}, IN_PROGRESS),
        ({"currentNumberScheduled": 1}, IN_PROGRESS),
        ({"updatedNumberScheduled": 1}, IN_PROGRESS),
        ({"numberAvailable": 1}, IN_PROGRESS),
        ({"numberReady": 1}, IN_PROGRESS),
    ],
)
def test_daemonset_rules(changes: dict[str, Any], expected: KStatus) -> None:
    assert status_of(daemonset(**changes)) is expected


def test_daemonset_without_generation_is_in_progress() -> None:
    assert status_of(daemonset(generation=None)) is IN_PROGRESS


# --- ReplicaSet ------------------------------------------------------------------------------


def test_replicaset_rules() -> None:
    good = {"replicas": 2, "fullyLabeledReplicas": 2, "availableReplicas": 2, "readyReplicas": 2}

    def rs(conditions: list[dict[str, Any]] | None = None, **status: Any) -> dict[str, Any]:
        return make(
            "apps/v1",
            "ReplicaSet",
            spec={"replicas": 2},
            status={**good, **status},
            conditions=conditions,
        )

    assert status_of(rs()) is CURRENT
    assert status_of(rs([cond("ReplicaFailure", "True")])) is IN_PROGRESS
    for field in ("fullyLabeledReplicas", "availableReplicas", "readyReplicas"):
        assert status_of(rs(**{field: 1})) is IN_PROGRESS
    assert status_of(rs(replicas=3)) is IN_PROGRESS


# --- Pod -------------------------------------------------------------------------------------


def pod(
    phase: str, *, conditions: list[dict[str, Any]] | None = None, **status: Any
) -> dict[str, Any]:
    return make(
        "v1",
        "Pod",
        status={"phase": phase, **status} if phase else status,
        conditions=conditions,
        creationTimestamp="2025-01-01T12:00:00Z",
    )


@pytest.mark.parametrize(
    ("phase", "expected"), [("Succeeded", CURRENT), ("Failed", CURRENT), ("", IN_PROGRESS)]
)
def test_pod_phase_rules(phase: str, expected: KStatus) -> None:
    assert status_of(pod(phase)) is expected


def test_running_pod_is_current_when_ready_failed_when_crash_looping() -> None:
    assert status_of(pod("Running", conditions=[cond("Ready", "True")])) is CURRENT
    assert status_of(pod("Running")) is IN_PROGRESS
    crashing = pod(
        "Running",
        containerStatuses=[
            {"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
            {"name": "side", "state": {"running": {}}},
        ],
    )
    result = compute(crashing, now=NOW)
    assert (result.status, result.message) == (FAILED, "Containers in CrashLoop state: app")


def test_unschedulable_pod_gets_fifteen_seconds_before_failing() -> None:
    unschedulable = pod("Pending", conditions=[cond("PodScheduled", "False", "Unschedulable")])
    created = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert status_of(unschedulable, created + dt.timedelta(seconds=14)) is IN_PROGRESS
    assert status_of(unschedulable, created + dt.timedelta(seconds=15)) is FAILED
    assert status_of(pod("Pending"), created + dt.timedelta(hours=1)) is IN_PROGRESS


def test_unknown_pod_phase_is_unknown() -> None:
    assert status_of(pod("Weird")) is KStatus.UNKNOWN


# --- Job, PVC, Service, CRD ------------------------------------------------------------------


def test_job_rules() -> None:
    def job(spec: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        return make("batch/v1", "Job", spec=spec or {}, **kwargs)

    assert status_of(job(conditions=[cond("Complete", "True")])) is CURRENT
    assert status_of(job(conditions=[cond("Failed", "True")])) is FAILED
    assert status_of(job({"suspend": True}, conditions=[cond("Suspended", "True")])) is CURRENT
    assert status_of(job(conditions=[cond("Suspended", "True")])) is IN_PROGRESS
    assert status_of(job(status={})) is IN_PROGRESS
    running = compute(job(status={"startTime": "2025-01-01T00:00:00Z", "active": 1}), now=NOW)
    assert running.status is CURRENT
    assert "in progress" in running.message


def test_pvc_is_current_only_when_bound() -> None:
    assert status_of(make("v1", "PersistentVolumeClaim", status={"phase": "Bound"})) is CURRENT
    assert (
        status_of(make("v1", "PersistentVolumeClaim", status={"phase": "Pending"})) is IN_PROGRESS
    )


def test_load_balancer_service_waits_only_for_a_cluster_ip() -> None:
    lb = make("v1", "Service", spec={"type": "LoadBalancer"})
    assert status_of(lb) is IN_PROGRESS
    lb["spec"]["clusterIP"] = "10.0.0.1"
    assert status_of(lb) is CURRENT
    assert status_of(make("v1", "Service", spec={"type": "ClusterIP"})) is CURRENT


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ([cond("Established", "True")], CURRENT),
        ([cond("Established", "False", "Installing")], IN_PROGRESS),
        ([cond("Established", "False", "Other")], FAILED),
        ([cond("NamesAccepted", "False"), cond("Established", "True")], FAILED),
        ([], IN_PROGRESS),
    ],
)
def test_crd_rules(conditions: list[dict[str, Any]], expected: KStatus) -> None:
    obj = make("apiextensions.k8s.io/v1", "CustomResourceDefinition", conditions=conditions)
    assert status_of(obj) is expected


def test_the_api_version_does_not_matter_only_the_group() -> None:
    obj = make("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", conditions=[])
    assert status_of(obj) is IN_PROGRESS
    other_group = make("example.com/v1", "CustomResourceDefinition", conditions=[])
    assert status_of(other_group) is CURRENT


# --- aggregate -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], CURRENT),
        ([CURRENT, CURRENT], CURRENT),
        ([CURRENT, IN_PROGRESS], IN_PROGRESS),
        ([CURRENT, KStatus.UNKNOWN, IN_PROGRESS], KStatus.UNKNOWN),
        ([KStatus.UNKNOWN, FAILED], FAILED),
        ([KStatus.NOT_FOUND, CURRENT], IN_PROGRESS),
    ],
)
def test_aggregate(statuses: list[KStatus], expected: KStatus) -> None:
    assert aggregate(statuses) is expected


def test_aggregate_towards_not_found_for_deletions() -> None:
    assert aggregate([KStatus.NOT_FOUND] * 2, desired=KStatus.NOT_FOUND) is KStatus.NOT_FOUND
    assert aggregate([], desired=KStatus.NOT_FOUND) is KStatus.NOT_FOUND
    assert aggregate([KStatus.NOT_FOUND, CURRENT], desired=KStatus.NOT_FOUND) is IN_PROGRESS
