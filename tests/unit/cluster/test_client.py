"""KubeClient's construction, typing and transport failures (no API server involved)."""

from __future__ import annotations

import pytest

from syncd.cluster.client import KubeClient
from syncd.cluster.config import Connection
from syncd.core.errors import ClusterError
from syncd.core.ports import Cluster
from syncd.core.refs import ObjectRef
from syncd.devenv.proc import free_port

TOKEN = "tok-9c41e07b"


def _client() -> KubeClient:
    # Nothing listens on a just-freed port: every request fails to connect.
    conn = Connection(server=f"https://127.0.0.1:{free_port()}", bearer_token=TOKEN)
    return KubeClient(conn, timeout=2.0, sleep=lambda _: None)


def test_kube_client_satisfies_the_cluster_protocol() -> None:
    cluster: Cluster = _client()  # checked by mypy --strict
    cluster.refresh_discovery()
    assert isinstance(cluster, KubeClient)


def test_connection_failures_name_method_and_path_but_not_the_token() -> None:
    client = _client()
    ref = ObjectRef(group="", kind="ConfigMap", namespace="ns", name="a", version="v1")
    with pytest.raises(ClusterError) as info:
        client.get(ref)
    assert str(info.value).startswith("SD2009: GET /api failed:")
    assert TOKEN not in str(info.value)
    assert client.request_counts == {"discovery": 1}


def test_impersonating_clients_count_their_own_requests() -> None:
    client = _client()
    alice = client.impersonating("alice", ["team-a"])
    ref = ObjectRef(group="", kind="ConfigMap", namespace="ns", name="a", version="v1")
    with pytest.raises(ClusterError):
        alice.get(ref)
    assert alice.request_counts == {}  # discovery runs as the original identity
    assert client.request_counts == {"discovery": 1}
