"""Discovery documents become a REST mapping; misses reload once, rate-limited."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from syncd.cluster.discovery import (
    AGGREGATED_ACCEPT,
    Discovery,
    DiscoveryIndex,
    parse_aggregated,
    parse_group_list,
    parse_resource_list,
)
from syncd.core.errors import ApiError, ErrorCode, UnknownKindError
from syncd.core.ports import JsonObject, ResourceType


def _resource(resource: str, kind: str, scope: str = "Namespaced", **extra: Any) -> JsonObject:
    return {
        "resource": resource,
        "responseKind": {"group": "", "version": "", "kind": kind},
        "scope": scope,
        "singularResource": resource.rstrip("s"),
        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        **extra,
    }


CORE_AGGREGATED: JsonObject = {
    "kind": "APIGroupDiscoveryList",
    "apiVersion": "apidiscovery.k8s.io/v2",
    "metadata": {},
    "items": [
        {
            "metadata": {},
            "versions": [
                {
                    "version": "v1",
                    "resources": [
                        _resource("configmaps", "ConfigMap"),
                        _resource("namespaces", "Namespace", "Cluster"),
                        _resource(
                            "pods",
                            "Pod",
                            subresources=[
                                {
                                    "subresource": "binding",
                                    "responseKind": {"kind": "Binding"},
                                    "verbs": ["create"],
                                }
                            ],
                        ),
                    ],
                    "freshness": "Current",
                }
            ],
        }
    ],
}

GROUPS_AGGREGATED: JsonObject = {
    "kind": "APIGroupDiscoveryList",
    "apiVersion": "apidiscovery.k8s.io/v2",
    "metadata": {},
    "items": [
        {
            "metadata": {"name": "apps"},
            "versions": [{"version": "v1", "resources": [_resource("deployments", "Deployment")]}],
        },
        {
            "metadata": {"name": "ex.com"},
            "versions": [
                {"version": "v2", "resources": [_resource("widgets", "Widget")]},
                {
                    "version": "v1",
                    "resources": [
                        _resource("widgets", "Widget"),
                        _resource("gadgets", "Gadget", "Cluster"),
                    ],
                },
            ],
        },
    ],
}


def test_aggregated_documents_map_every_kind_and_skip_subresources() -> None:
    types = parse_aggregated(CORE_AGGREGATED) + parse_aggregated(GROUPS_AGGREGATED)
    assert (
        ResourceType(
            group="", version="v1", kind="ConfigMap", resource="configmaps", namespaced=True
        )
        in types
    )
    assert (
        ResourceType(
            group="", version="v1", kind="Namespace", resource="namespaces", namespaced=False
        )
        in types
    )
    assert all(t.kind != "Binding" for t in types)
    index = DiscoveryIndex.from_types(types)
    assert index.lookup("apps", "Deployment") == ResourceType(
        group="apps", version="v1", kind="Deployment", resource="deployments", namespaced=True
    )


def test_the_first_listed_version_serving_a_kind_is_preferred() -> None:
    index = DiscoveryIndex.from_types(parse_aggregated(GROUPS_AGGREGATED))
    widget = index.lookup("ex.com", "Widget")
    assert widget is not None
    assert widget.version == "v2"
    gadget = index.lookup("ex.com", "Gadget")  # only in v1, though v2 is the group's preference
    assert gadget is not None
    assert (gadget.version, gadget.namespaced) == ("v1", False)
    assert index.served_versions("ex.com", "Widget") == ("v2", "v1")
    v1 = index.lookup("ex.com", "Widget", "v1")
    assert v1 is not None
    assert v1.version == "v1"
    assert index.lookup("ex.com", "Widget", "v3") is None


def test_group_lists_put_the_preferred_version_first() -> None:
    doc = {
        "kind": "APIGroupList",
        "groups": [
            {
                "name": "ex.com",
                "versions": [
                    {"groupVersion": "ex.com/v1", "version": "v1"},
                    {"groupVersion": "ex.com/v2", "version": "v2"},
                ],
                "preferredVersion": {"groupVersion": "ex.com/v2", "version": "v2"},
            }
        ],
    }
    assert parse_group_list(doc) == [("ex.com", ["v2", "v1"])]


def test_resource_lists_skip_subresources() -> None:
    doc = {
        "kind": "APIResourceList",
        "groupVersion": "apps/v1",
        "resources": [
            {"name": "deployments", "namespaced": True, "kind": "Deployment"},
            {"name": "deployments/status", "namespaced": True, "kind": "Deployment"},
            {"name": "deployments/scale", "namespaced": True, "kind": "Scale"},
        ],
    }
    assert parse_resource_list(doc, group="apps", version="v1") == [
        ResourceType(
            group="apps", version="v1", kind="Deployment", resource="deployments", namespaced=True
        )
    ]


class Server:
    """Discovery documents by path, answering like `get_json` (no HTTP involved)."""

    def __init__(self, docs: dict[str, JsonObject]) -> None:
        self.docs = docs
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, path: str, accept: str) -> JsonObject:
        with self.lock:
            self.calls.append((path, accept))
        if path not in self.docs:
            raise ApiError(f"GET {path}: HTTP 503", status=503)
        return self.docs[path]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_aggregated_discovery_costs_two_requests_for_everything() -> None:
    server = Server({"/api": CORE_AGGREGATED, "/apis": GROUPS_AGGREGATED})
    discovery = Discovery(server)
    assert discovery.resource_type("", "ConfigMap").resource == "configmaps"
    assert discovery.resource_type("apps", "Deployment").resource == "deployments"
    assert discovery.resource_type("ex.com", "Gadget").namespaced is False
    assert server.calls == [("/api", AGGREGATED_ACCEPT), ("/apis", AGGREGATED_ACCEPT)]


def test_servers_without_aggregated_discovery_are_read_per_group_version() -> None:
    server = Server(
        {
            "/api": {"kind": "APIVersions", "versions": ["v1"]},
            "/apis": {
                "kind": "APIGroupList",
                "groups": [
                    {
                        "name": "apps",
                        "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                        "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
                    },
                    {
                        "name": "metrics.example.com",
                        "versions": [{"version": "v1beta1"}],
                        "preferredVersion": {"version": "v1beta1"},
                    },
                ],
            },
            "/api/v1": {"resources": [{"name": "secrets", "namespaced": True, "kind": "Secret"}]},
            "/apis/apps/v1": {
                "resources": [{"name": "deployments", "namespaced": True, "kind": "Deployment"}]
            },
            # /apis/metrics.example.com/v1beta1 answers 503: its kinds are skipped.
        }
    )
    discovery = Discovery(server)
    assert discovery.resource_type("", "Secret").resource == "secrets"
    assert discovery.resource_type("apps", "Deployment").version == "v1"
    paths = [path for path, _ in server.calls]
    assert paths == [
        "/api",
        "/apis",
        "/api/v1",
        "/apis/apps/v1",
        "/apis/metrics.example.com/v1beta1",
    ]


def test_a_miss_reloads_once_then_raises_unknown_kind_naming_kind_and_group() -> None:
    server = Server({"/api": CORE_AGGREGATED, "/apis": GROUPS_AGGREGATED})
    clock = Clock()
    discovery = Discovery(server, clock=clock)
    discovery.resource_type("", "ConfigMap")
    clock.now += 5
    with pytest.raises(UnknownKindError) as info:
        discovery.resource_type("ex.com", "Sprocket")
    assert info.value.code is ErrorCode.UNKNOWN_KIND
    assert str(info.value) == "SD1021: the cluster serves no kind Sprocket.ex.com"
    assert len(server.calls) == 4  # initial load + one reload


def test_misses_reload_at_most_once_per_second() -> None:
    server = Server({"/api": CORE_AGGREGATED, "/apis": GROUPS_AGGREGATED})
    clock = Clock()
    discovery = Discovery(server, clock=clock)
    discovery.resource_type("", "ConfigMap")
    for _ in range(5):
        with pytest.raises(UnknownKindError):
            discovery.resource_type("ex.com", "Sprocket")
    assert len(server.calls) == 2
    clock.now += 1.0
    with pytest.raises(UnknownKindError):
        discovery.resource_type("ex.com", "Sprocket")
    assert len(server.calls) == 4


def test_a_kind_that_appears_later_is_found_by_the_reload_on_miss() -> None:
    groups: JsonObject = {"kind": "APIGroupDiscoveryList", "items": []}
    server = Server({"/api": CORE_AGGREGATED, "/apis": groups})
    clock = Clock()
    discovery = Discovery(server, clock=clock)
    with pytest.raises(UnknownKindError):
        discovery.resource_type("ex.com", "Widget")
    server.docs["/apis"] = GROUPS_AGGREGATED
    with pytest.raises(UnknownKindError):  # cached, and the last load is too recent
        discovery.resource_type("ex.com", "Widget")
    clock.now += 2
    assert discovery.resource_type("ex.com", "Widget").version == "v2"


def test_invalidate_forces_the_next_lookup_to_reload() -> None:
    server = Server({"/api": CORE_AGGREGATED, "/apis": {"kind": "APIGroupDiscoveryList"}})
    discovery = Discovery(server, clock=Clock())
    with pytest.raises(UnknownKindError):
        discovery.resource_type("apps", "Deployment")
    server.docs["/apis"] = GROUPS_AGGREGATED
    discovery.invalidate()
    assert discovery.resource_type("apps", "Deployment").resource == "deployments"


def test_an_unserved_version_of_a_known_kind_names_the_served_ones() -> None:
    discovery = Discovery(Server({"/api": CORE_AGGREGATED, "/apis": GROUPS_AGGREGATED}))
    assert discovery.resource_type("ex.com", "Widget", version="v1").version == "v1"
    with pytest.raises(UnknownKindError, match=r"version v9 of Widget\.ex\.com \(served: v2, v1\)"):
        discovery.resource_type("ex.com", "Widget", version="v9")


def test_concurrent_first_lookups_load_discovery_once() -> None:
    server = Server({"/api": CORE_AGGREGATED, "/apis": GROUPS_AGGREGATED})
    discovery = Discovery(server)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def look() -> None:
        barrier.wait()
        try:
            discovery.resource_type("apps", "Deployment")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=look) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(server.calls) == 2
