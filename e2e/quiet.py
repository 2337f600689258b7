"""Counting a private control plane's requests: the API server's own `apiserver_request_total`.

Owns `request_totals` (the counter summed per verb and resource), the write
verbs, the API server's own periodic writes (left out of every count), and
the `quiet_controller` fixture: `syncd run` against `quiet_control_plane`,
which must exit 0 on SIGTERM. Metrics cannot be filtered by user, which is
why tests that count requests use a private plane.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from e2e.syncenv import Controller, start_controller, stop_controller
from syncd.devenv.controlplane import ControlPlane
from syncd.devenv.kubehttp import KubeHttp

WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"})
# The API server renews its own identity lease every ~10s; nothing else of its
# own writes on a plane without controllers.
API_SERVER_OWN_WRITES = frozenset({("coordination.k8s.io", "leases")})
_SAMPLE = re.compile(r"^apiserver_request_total\{(?P<labels>.*)\} (?P<value>\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True, slots=True)
class RequestKey:
    """What apiserver_request_total is summed by here."""

    verb: str
    group: str
    resource: str
    subresource: str


def request_totals(admin: KubeHttp) -> Counter[RequestKey]:
    """`apiserver_request_total` summed over codes, scopes and versions, per resource request."""
    resp = admin.get("/metrics")
    assert resp.status == 200, resp.text[:500]
    totals: Counter[RequestKey] = Counter()
    for line in resp.text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match.group("labels")))
        if not labels.get("resource"):
            continue  # non-resource requests (/metrics, /readyz, discovery)
        key = RequestKey(
            verb=labels["verb"],
            group=labels.get("group", ""),
            resource=labels["resource"],
            subresource=labels.get("subresource", ""),
        )
        totals[key] += int(float(match.group("value")))
    return totals


@pytest.fixture
def quiet_controller(quiet_control_plane: ControlPlane, tmp_path: Path) -> Iterator[Controller]:
    """`syncd run` against the private control plane; must exit 0 on SIGTERM."""
    controller = start_controller(quiet_control_plane, tmp_path / "syncd")
    try:
        yield controller
    finally:
        code = stop_controller(controller)
        assert code == 0, f"syncd run exited {code}:\n{controller.log_text()[-4000:]}"
