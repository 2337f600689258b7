"""Any repository, however malformed, gets values back from the layout step, never an exception.

Hypothesis builds repositories from the pieces Config Sync repositories are
made of (Namespaces, ConfigMaps, ClusterRoles, selectors, HierarchyConfigs,
Repos, Clusters) at arbitrary paths, with arbitrary selector annotations and
selector specs, good or bad. For both formats the step must return, every
error must carry a code, and every namespaced object it returns must name a
namespace the repository declares or that the object already named.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.core.errors import SyncdError
from syncd.core.manifest import Manifest
from syncd.parse.hierarchy.layout import read_layout
from tests.unit.parse.hierarchy.repo import CM, is_namespaced, obj

NAMES = st.sampled_from(["a", "b", "web", "db", "prod", "x"])
DIRS = st.sampled_from(
    [
        "system",
        "cluster",
        "clusterregistry",
        "namespaces",
        "namespaces/a",
        "namespaces/a/web",
        "namespaces/b",
        "namespaces/a/web/deep",
        "other",
        "",
    ]
)
SELECTOR_SPEC = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {
            "selector": st.fixed_dictionaries(
                {"matchLabels": st.dictionaries(NAMES, NAMES, max_size=2)}
            )
        }
    ),
    st.fixed_dictionaries(
        {
            "selector": st.fixed_dictionaries(
                {
                    "matchExpressions": st.lists(
                        st.fixed_dictionaries(
                            {
                                "key": NAMES,
                                "operator": st.sampled_from(
                                    ["In", "NotIn", "Exists", "DoesNotExist", "Bogus"]
                                ),
                                "values": st.lists(NAMES, max_size=2),
                            }
                        ),
                        max_size=2,
                    )
                }
            ),
            "mode": st.sampled_from(["static", "dynamic", "weird"]),
        }
    ),
    st.just({"selector": "not a mapping"}),
)
ANNOTATIONS = st.dictionaries(
    st.sampled_from(
        [
            "configmanagement.gke.io/namespace-selector",
            "configmanagement.gke.io/cluster-selector",
            "configsync.gke.io/cluster-name-selector",
            "syncd.dev/namespace-selector",
        ]
    ),
    st.one_of(NAMES, st.just(""), st.just("a,b")),
    max_size=2,
)


@st.composite
def manifest(draw: st.DrawFn) -> Manifest:
    kind = draw(
        st.sampled_from(
            [
                "Namespace",
                "ConfigMap",
                "ClusterRole",
                "NamespaceSelector",
                "ClusterSelector",
                "HierarchyConfig",
                "Repo",
                "Cluster",
            ]
        )
    )
    name, directory = draw(NAMES), draw(DIRS)
    path = f"{directory}/{draw(NAMES)}.yaml" if directory else f"{draw(NAMES)}.yaml"
    api = {
        "ClusterRole": "rbac.authorization.k8s.io/v1",
        "Cluster": "clusterregistry.k8s.io/v1alpha1",
    }.get(
        kind,
        CM if kind in {"NamespaceSelector", "ClusterSelector", "HierarchyConfig", "Repo"} else "v1",
    )
    fields: dict[str, Any] = {}
    if kind in {"NamespaceSelector", "ClusterSelector"}:
        fields["spec"] = draw(SELECTOR_SPEC)
    if kind == "HierarchyConfig":
        fields["spec"] = {
            "resources": [
                {
                    "group": "",
                    "kinds": [draw(st.sampled_from(["ConfigMap", "Namespace"]))],
                    "hierarchyMode": draw(st.sampled_from(["inherit", "none", "copy"])),
                }
            ]
        }
    if kind == "Repo":
        fields["spec"] = {"version": draw(st.sampled_from(["1.0.0", "0.1.0", "x"]))}
    return obj(
        kind,
        name,
        path,
        api_version=api,
        namespace=draw(st.sampled_from(["", "", "a", "other"])) if kind == "ConfigMap" else "",
        labels=draw(st.dictionaries(NAMES, NAMES, max_size=2)),
        annotations=draw(ANNOTATIONS),
        **fields,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(manifest(), max_size=12), st.booleans(), st.sampled_from(["", "a", "prod"]))
def test_the_layout_step_returns_values_for_any_repository(
    manifests: list[Manifest], hierarchy: bool, cluster_name: str
) -> None:
    layout = read_layout(
        manifests, hierarchy=hierarchy, cluster_name=cluster_name, is_namespaced=is_namespaced
    )
    assert all(isinstance(error, SyncdError) and error.code for error in layout.errors)
    declared = {m.ref.name for m in manifests if m.ref.kind == "Namespace"}
    named = {m.ref.namespace for m in manifests}
    for placed in layout.manifests:
        if placed.ref.namespace:
            assert placed.ref.namespace in declared | named, placed
            assert placed.metadata.get("namespace") == placed.ref.namespace
