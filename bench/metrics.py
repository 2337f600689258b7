"""Request counts from the API server's own `apiserver_request_total` counter.

The harness reads `/metrics` right before and right after each contender's
phase and reports the difference. Only resource requests count: samples
with an empty `resource` label (discovery, /openapi, /metrics itself) are
skipped, so the harness's own snapshots never show up. The apiserver reports
a server-side apply PATCH under the verb APPLY, other patches as PATCH.

The counter has no user label, so the API server's own periodic writes (its
identity lease in kube-system, renewed every 10 s) land in whichever phase is
running. `lease_versions` reads those leases' resourceVersions just outside
the snapshots, and `Delta.background` names the `PUT leases` requests that a
moved resourceVersion proves were the API server's.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from syncd.devenv.kubehttp import KubeHttp

VERBS: Final[tuple[str, ...]] = (
    "GET",
    "LIST",
    "PATCH",
    "APPLY",
    "DELETE",
    "POST",
    "PUT",
    "WATCH",
)
WRITE_VERBS: Final = frozenset({"PATCH", "APPLY", "DELETE", "POST", "PUT", "DELETECOLLECTION"})
SYSTEM_LEASES_PATH: Final = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"
LEASE_RENEWAL: Final = "PUT leases 200"

_SAMPLE = re.compile(r"^apiserver_request_total\{(?P<labels>.*)\} (?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class _Key:
    verb: str
    resource: str
    code: str


@dataclass(slots=True)
class Snapshot:
    """Cumulative resource-request counts at one moment, by (verb, resource, code)."""

    counts: Counter[_Key] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True, kw_only=True)
class Delta:
    """Requests made between two snapshots."""

    by_verb: dict[str, int]
    by_resource: dict[str, int]
    errors: int
    detail: dict[str, int]

    @property
    def total(self) -> int:
        """All resource requests."""
        return sum(self.by_verb.values())

    @property
    def writes(self) -> int:
        """Requests that can change stored state."""
        return sum(n for verb, n in self.by_verb.items() if verb in WRITE_VERBS)

    def error_detail(self) -> dict[str, int]:
        """Non-2xx answers as "VERB resource code" -> count."""
        return {k: n for k, n in self.detail.items() if not k.rsplit(" ", 1)[1].startswith("2")}

    def write_detail(self) -> dict[str, int]:
        """Writes as "VERB resource code" -> count."""
        return {k: n for k, n in self.detail.items() if k.split(" ", 1)[0] in WRITE_VERBS}

    def lists_by_resource(self) -> dict[str, int]:
        """LIST requests (any answer) per resource."""
        lists: Counter[str] = Counter()
        for key, n in self.detail.items():
            verb, resource, _code = key.split(" ")
            if verb == "LIST":
                lists[resource] += n
        return dict(sorted(lists.items()))

    def background(self, renewed_leases: int) -> dict[str, int]:
        """The writes the API server itself made: as many lease renewals as leases moved."""
        renewals = min(renewed_leases, self.detail.get(LEASE_RENEWAL, 0))
        return {LEASE_RENEWAL: renewals} if renewals else {}

    def other_verbs(self) -> int:
        """Requests whose verb is not one of VERBS."""
        return sum(n for verb, n in self.by_verb.items() if verb not in VERBS)


def parse(text: str) -> Snapshot:
    """Collect the `apiserver_request_total` samples that name a resource."""
    snapshot = Snapshot()
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        resource = labels.get("resource", "")
        if not resource:
            continue
        if labels.get("subresource"):
            resource = f"{resource}/{labels['subresource']}"
        key = _Key(verb=labels.get("verb", "?"), resource=resource, code=labels.get("code", ""))
        snapshot.counts[key] += round(float(match["value"]))
    return snapshot


def snapshot(admin: KubeHttp) -> Snapshot:
    """GET /metrics as the admin and parse it."""
    resp = admin.get("/metrics")
    if resp.status != 200:
        raise RuntimeError(f"GET /metrics failed: {resp.status} {resp.text[:200]}")
    return parse(resp.text)


def lease_versions(admin: KubeHttp) -> dict[str, str]:
    """Lease name -> resourceVersion in kube-system (read outside the measured window)."""
    resp = admin.get(SYSTEM_LEASES_PATH)
    if resp.status != 200:
        raise RuntimeError(f"LIST kube-system leases failed: {resp.status} {resp.text[:200]}")
    items = resp.json().get("items") or []
    return {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in items}


def renewed(before: dict[str, str], after: dict[str, str]) -> int:
    """How many leases were written between the two reads."""
    return sum(1 for name, version in after.items() if before.get(name) != version)


def delta(before: Snapshot, after: Snapshot) -> Delta:
    """What happened between `before` and `after`."""
    by_verb: Counter[str] = Counter()
    by_resource: Counter[str] = Counter()
    detail: Counter[str] = Counter()
    errors = 0
    for key, value in after.counts.items():
        n = value - before.counts.get(key, 0)
        if n <= 0:
            continue
        by_verb[key.verb] += n
        by_resource[key.resource] += n
        detail[f"{key.verb} {key.resource} {key.code or '?'}"] += n
        if not key.code.startswith("2"):
            errors += n
    return Delta(
        by_verb={verb: by_verb.get(verb, 0) for verb in VERBS} | dict(by_verb),
        by_resource=dict(sorted(by_resource.items())),
        errors=errors,
        detail=dict(sorted(detail.items())),
    )
