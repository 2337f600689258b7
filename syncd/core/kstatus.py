"""kstatus: whether a live object has reached its desired state (pure).

A port of sigs.k8s.io/cli-utils/pkg/kstatus `status.Compute` and the
aggregator, following the rules in shared/notes/kubernetes-facts.md §2:

1. `metadata.deletionTimestamp` set -> Terminating;
2. `status.observedGeneration` present and different from
   `metadata.generation` -> InProgress;
3. the first `Reconciling=True` condition -> InProgress, the first
   `Stalled=True` -> Failed (scanned in list order);
4. the kind's own rule (keyed by `group/Kind`, core `Kind`; the version does
   not matter), see `_RULES`;
5. otherwise a `Ready` condition: True -> Current, False/Unknown -> InProgress;
6. otherwise Current.

`NotFound` and `Unknown` are never computed from an object: the caller
reports them when a GET returns 404 or fails. `compute` returns Unknown for a
Pod with an unrecognised phase, where cli-utils returns an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

UNSCHEDULABLE_GRACE: Final = dt.timedelta(seconds=15)
_NO_DEADLINE: Final = 2**31 - 1  # progressDeadlineSeconds the controller treats as "never"


class KStatus(StrEnum):
    """kstatus values, as cli-utils spells them."""

    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    CURRENT = "Current"
    TERMINATING = "Terminating"
    NOT_FOUND = "NotFound"
    UNKNOWN = "Unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusResult:
    """A computed status and the human message explaining it."""

    status: KStatus
    message: str


def _in_progress(message: str) -> StatusResult:
    return StatusResult(status=KStatus.IN_PROGRESS, message=message)


def _current(message: str) -> StatusResult:
    return StatusResult(status=KStatus.CURRENT, message=message)


def _failed(message: str) -> StatusResult:
    return StatusResult(status=KStatus.FAILED, message=message)


def compute(obj: Mapping[str, Any], *, now: dt.datetime) -> StatusResult:
    """The kstatus of one live object; `now` (timezone-aware) serves the Pod scheduling grace."""
    generic = _generic(obj)
    if generic is not None:
        return generic
    rule = _RULES.get(_group_kind(obj))
    if rule is not None:
        return rule(obj, now)
    ready = _condition(obj, "Ready")
    if ready is None:
        return _current("Resource is current")
    if ready.get("status") == "True":
        return _current(_text(ready.get("message")) or "Resource is Ready")
    return _in_progress(_text(ready.get("message")) or "Resource is not Ready")


def _generic(obj: Mapping[str, Any]) -> StatusResult | None:
    """Steps 1-3: deletion, observed generation, Reconciling/Stalled conditions."""
    metadata = _mapping(obj.get("metadata"))
    status = _mapping(obj.get("status"))
    if metadata.get("deletionTimestamp"):
        return StatusResult(status=KStatus.TERMINATING, message="Resource scheduled for deletion")
    if "observedGeneration" in status:
        observed, generation = status.get("observedGeneration"), metadata.get("generation", 0)
        if observed != generation:
            return _in_progress(
                f"{_kind(obj)} generation is {generation}, but latest observed "
                f"generation is {observed}"
            )
    for condition in _conditions(obj):
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Reconciling":
            return _in_progress(_text(condition.get("message")) or "Resource is reconciling")
        if condition.get("type") == "Stalled":
            return _failed(_text(condition.get("message")) or "Resource is stalled")
    return None


def aggregate(statuses: Iterable[KStatus], *, desired: KStatus = KStatus.CURRENT) -> KStatus:
    """One status for many (cli-utils aggregator).

    Any Failed gives Failed, else any Unknown gives Unknown; when every
    status (or none at all) equals `desired` the result is `desired`;
    otherwise InProgress.
    """
    seen = set(statuses)
    if KStatus.FAILED in seen:
        return KStatus.FAILED
    if KStatus.UNKNOWN in seen:
        return KStatus.UNKNOWN
    if seen <= {desired}:
        return desired
    return KStatus.IN_PROGRESS


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _kind(obj: Mapping[str, Any]) -> str:
    return _text(obj.get("kind"))


def _group_kind(obj: Mapping[str, Any]) -> str:
    group = _text(obj.get("apiVersion")).rpartition("/")[0]
    return f"{group}/{_kind(obj)}" if group else _kind(obj)


def _conditions(obj: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    conditions = _mapping(obj.get("status")).get("conditions")
    if not isinstance(conditions, list):
        return ()
    return [c for c in conditions if isinstance(c, Mapping)]


def _condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    return next((c for c in _conditions(obj) if c.get("type") == kind), None)


def _int(obj: Mapping[str, Any], path: str, default: int) -> int:
    value: object = obj
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str(obj: Mapping[str, Any], path: str) -> str:
    value: object = obj
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return ""
        value = value.get(key)
    return _text(value)


def _first(checks: Iterable[tuple[bool, str]]) -> str | None:
    """The message of the first check that holds, or None."""
    return next((message for holds, message in checks if holds), None)


# --- per-kind rules (cli-utils status/core.go) ----------------------------------------------


def _always_current(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    return _current("Resource is always ready")


def _deployment(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    deadline = _int(obj, "spec.progressDeadlineSeconds", -1)
    progressing = deadline in {-1, _NO_DEADLINE}
    available = False
    for condition in _conditions(obj):
        is_true = condition.get("status") == "True"
        if condition.get("type") == "Progressing":
            if condition.get("reason") == "ProgressDeadlineExceeded":
                return _failed("Progress deadline exceeded")
            progressing |= is_true and condition.get("reason") == "NewReplicaSetAvailable"
        elif condition.get("type") == "Available":
            available |= is_true
    spec = _int(obj, "spec.replicas", 1)
    replicas = _int(obj, "status.replicas", 0)
    updated = _int(obj, "status.updatedReplicas", 0)
    ready = _int(obj, "status.readyReplicas", 0)
    available_replicas = _int(obj, "status.availableReplicas", 0)
    message = _first(
        [
            (spec > replicas, f"Replicas: {replicas}/{spec}"),
            (spec > updated, f"Updated: {updated}/{spec}"),
            (replicas > spec, f"Pending termination: {replicas - spec}"),
            (updated > available_replicas, f"Available: {available_replicas}/{updated}"),
            (spec > ready, f"Ready: {ready}/{spec}"),
            (not progressing, "ReplicaSet not Available"),
            (not available, "Deployment not Available"),
        ]
    )
    if message is not None:
        return _in_progress(message)
    return _current(f"Deployment is available. Replicas: {replicas}")


def _statefulset(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    if _str(obj, "spec.updateStrategy.type") == "OnDelete":
        return _current("StatefulSet is using the ondelete update strategy")
    spec = _int(obj, "spec.replicas", 1)
    replicas = _int(obj, "status.replicas", 0)
    ready = _int(obj, "status.readyReplicas", 0)
    current = _int(obj, "status.currentReplicas", 0)
    updated = _int(obj, "status.updatedReplicas", 0)
    partition = _int(obj, "spec.updateStrategy.rollingUpdate.partition", -1)
    message = _first(
        [
            (spec > replicas, f"Replicas: {replicas}/{spec}"),
            (spec > ready, f"Ready: {ready}/{spec}"),
            (replicas > spec, f"Pending termination: {replicas - spec}"),
        ]
    )
    if message is not None:
        return _in_progress(message)
    if partition != -1:
        if updated < spec - partition:
            return _in_progress(f"updated: {updated}/{spec - partition}")
        return _current(f"Partition rollout complete. updated: {updated}")
    current_revision = _str(obj, "status.currentRevision")
    update_revision = _str(obj, "status.updateRevision")
    message = _first(
        [
            (spec > current, f"current: {current}/{spec}"),
            (
                current_revision != update_revision,
                (
                    f"Waiting for updated revision {update_revision} "
                    f"to match current {current_revision}"
                ),
            ),
        ]
    )
    if message is not None:
        return _in_progress(message)
    return _current(f"All replicas scheduled as expected. Replicas: {replicas}")


_DAEMONSET_COUNTS: Final = (
    ("currentNumberScheduled", "Current"),
    ("updatedNumberScheduled", "Updated"),
    ("numberAvailable", "Available"),
    ("numberReady", "Ready"),
)


def _daemonset(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    observed = _int(obj, "status.observedGeneration", -1)
    generation = _int(obj, "metadata.generation", -1)
    desired = _int(obj, "status.desiredNumberScheduled", -1)
    message = _first(
        [
            (observed == -1, "Missing .status.observedGeneration"),
            (generation == -1, "Missing .metadata.generation"),
            (observed != generation, "Latest generation not observed"),
            (desired == -1, "Missing .status.desiredNumberScheduled"),
        ]
    )
    for field, label in _DAEMONSET_COUNTS:
        count = _int(obj, f"status.{field}", 0)
        if message is None and desired > count:
            message = f"{label}: {count}/{desired}"
    if message is not None:
        return _in_progress(message)
    return _current(f"All replicas scheduled as expected. Replicas: {desired}")


def _replicaset(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    failure = _condition(obj, "ReplicaFailure")
    if failure is not None and failure.get("status") == "True":
        return _in_progress("Replica Failure condition. Check Pods")
    spec = _int(obj, "spec.replicas", 1)
    replicas = _int(obj, "status.replicas", 0)
    labelled = _int(obj, "status.fullyLabeledReplicas", 0)
    available = _int(obj, "status.availableReplicas", 0)
    ready = _int(obj, "status.readyReplicas", 0)
    message = _first(
        [
            (spec > labelled, f"Labelled: {labelled}/{spec}"),
            (spec > available, f"Available: {available}/{spec}"),
            (spec > ready, f"Ready: {ready}/{spec}"),
            (replicas > spec, f"Pending termination: {replicas - spec}"),
        ]
    )
    if message is not None:
        return _in_progress(message)
    return _current(f"ReplicaSet is available. Replicas: {replicas}")


def _pod(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    phase = _str(obj, "status.phase")
    if phase == "Succeeded":
        return _current("Pod has completed successfully")
    if phase == "Failed":
        return _current("Pod has completed, but not successfully")
    if phase == "Running":
        return _pod_running(obj)
    if phase == "Pending":
        return _pod_pending(obj, now)
    if not phase:
        return _in_progress("Pod phase not available")
    return StatusResult(status=KStatus.UNKNOWN, message=f"unknown phase {phase}")


def _pod_running(obj: Mapping[str, Any]) -> StatusResult:
    ready = _condition(obj, "Ready")
    if ready is not None and ready.get("status") == "True":
        return _current("Pod is Ready")
    crashing = _crash_looping(obj)
    if crashing:
        return _failed(f"Containers in CrashLoop state: {','.join(crashing)}")
    return _in_progress("Pod is running but is not Ready")


def _pod_pending(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    """Unschedulable Pods get UNSCHEDULABLE_GRACE after creation before they count as Failed."""
    scheduled = _condition(obj, "PodScheduled")
    if (
        scheduled is None
        or scheduled.get("status") != "False"
        or scheduled.get("reason") != "Unschedulable"
    ):
        return _in_progress("Pod is in the Pending phase")
    created = _timestamp(_str(obj, "metadata.creationTimestamp"))
    if created is not None and now - UNSCHEDULABLE_GRACE < created:
        return _in_progress("Pod has not been scheduled")
    return _failed("Pod could not be scheduled")


def _crash_looping(obj: Mapping[str, Any]) -> list[str]:
    statuses = _mapping(obj.get("status")).get("containerStatuses")
    if not isinstance(statuses, list):
        return []
    return [
        _text(s.get("name"))
        for s in statuses
        if isinstance(s, Mapping) and _str(s, "state.waiting.reason") == "CrashLoopBackOff"
    ]


def _timestamp(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _job(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    parallelism = _int(obj, "spec.parallelism", 1)
    completions = _int(obj, "spec.completions", parallelism)
    succeeded = _int(obj, "status.succeeded", 0)
    failed = _int(obj, "status.failed", 0)
    active = _int(obj, "status.active", 0)
    suspend = _mapping(obj.get("spec")).get("suspend") is True
    for condition in _conditions(obj):
        if condition.get("status") != "True":
            continue
        kind = condition.get("type")
        if kind == "Complete":
            return _current(f"Job Completed. succeeded: {succeeded}/{completions}")
        if kind == "Failed":
            return _failed(f"Job Failed. failed: {failed}/{completions}")
        if kind == "Suspended" and suspend:
            return _current("Job is suspended")
    if not _str(obj, "status.startTime"):
        return _in_progress("Job not started")
    return _current(f"Job in progress. success:{succeeded}, active: {active}, failed: {failed}")


def _pvc(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    phase = _str(obj, "status.phase")
    if phase == "Bound":
        return _current("PVC is Bound")
    return _in_progress(f"PVC is not Bound. phase: {phase}")


def _service(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    if _str(obj, "spec.type") == "LoadBalancer" and not _str(obj, "spec.clusterIP"):
        return _in_progress("ClusterIP not set. Service type: LoadBalancer")
    return _current("Service is ready")


def _crd(obj: Mapping[str, Any], now: dt.datetime) -> StatusResult:
    for condition in _conditions(obj):
        kind, status = condition.get("type"), condition.get("status")
        if kind == "NamesAccepted" and status == "False":
            return _failed(_text(condition.get("message")) or "Names not accepted")
        if kind == "Established":
            if status == "False" and condition.get("reason") != "Installing":
                return _failed(_text(condition.get("message")) or "CRD not established")
            if status == "True":
                return _current("CRD is established")
    return _in_progress("Install in progress")


_Rule = Callable[[Mapping[str, Any], dt.datetime], StatusResult]

_RULES: Final[Mapping[str, _Rule]] = MappingProxyType(
    {
        "apps/Deployment": _deployment,
        "extensions/Deployment": _deployment,
        "apps/StatefulSet": _statefulset,
        "apps/DaemonSet": _daemonset,
        "extensions/DaemonSet": _daemonset,
        "apps/ReplicaSet": _replicaset,
        "extensions/ReplicaSet": _replicaset,
        "Pod": _pod,
        "batch/Job": _job,
        "PersistentVolumeClaim": _pvc,
        "Service": _service,
        "apiextensions.k8s.io/CustomResourceDefinition": _crd,
        "policy/PodDisruptionBudget": _always_current,
        "Secret": _always_current,
        "ConfigMap": _always_current,
        "batch/CronJob": _always_current,
    }
)
