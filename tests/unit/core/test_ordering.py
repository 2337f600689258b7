"""Apply waves (stages + depends-on), their errors, and prune order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.core.errors import ErrorCode
from syncd.core.manifest import Manifest
from syncd.core.ordering import (
    InvalidDependsOnError,
    Stage,
    apply_waves,
    format_depends_on,
    parse_depends_on,
    stage_of,
)
from syncd.core.refs import ObjectRef

DEPENDS_ON = "config.kubernetes.io/depends-on"


def obj(
    kind: str,
    name: str,
    namespace: str = "",
    *,
    api_version: str = "v1",
    depends_on: str | None = None,
) -> Manifest:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if depends_on is not None:
        metadata["annotations"] = {DEPENDS_ON: depends_on}
    body = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    return Manifest(ref=ObjectRef.from_object(body), body=body, source_path=f"{name}.yaml")


def crd(name: str = "widgets.x.io") -> Manifest:
    return obj("CustomResourceDefinition", name, api_version="apiextensions.k8s.io/v1")


def cm(name: str, namespace: str = "ns", depends_on: str | None = None) -> Manifest:
    return obj("ConfigMap", name, namespace, depends_on=depends_on)


def wave_names(result: Any) -> list[list[str]]:
    return [[m.ref.name for m in wave] for wave in result.waves]


def test_stages_order_crds_namespaces_cluster_scoped_then_namespaced() -> None:
    given_objs = [
        cm("cm"),
        obj("ClusterRole", "role", api_version="rbac.authorization.k8s.io/v1"),
        obj("Namespace", "ns"),
        crd(),
        obj("Widget", "w", "ns", api_version="x.io/v1"),
    ]
    result = apply_waves(given_objs)
    assert result.errors == ()
    assert wave_names(result) == [["widgets.x.io"], ["ns"], ["role"], ["cm", "w"]]


def test_stage_of_each_kind() -> None:
    assert stage_of(crd().ref) is Stage.CRDS
    assert stage_of(obj("Namespace", "n").ref) is Stage.NAMESPACES
    assert stage_of(obj("Node", "n").ref) is Stage.CLUSTER_SCOPED
    assert stage_of(cm("c").ref) is Stage.NAMESPACED
    # a CRD-like kind in another group is not a CRD
    fake = obj("CustomResourceDefinition", "x", api_version="example.com/v1")
    assert stage_of(fake.ref) is Stage.CLUSTER_SCOPED


def test_empty_input_gives_no_waves() -> None:
    result = apply_waves([])
    assert result.waves == ()
    assert result.wait_after == ()


def test_crds_are_waited_for_before_the_next_wave() -> None:
    result = apply_waves([crd(), cm("a")])
    assert result.wait_for == (frozenset({crd().ref}), frozenset())
    assert result.wait_after == (True, False)


def test_dependents_come_strictly_after_their_dependencies_in_the_same_stage() -> None:
    result = apply_waves(
        [
            cm("app", depends_on="/namespaces/ns/ConfigMap/db"),
            cm("db"),
            cm("free"),
        ]
    )
    assert result.errors == ()
    assert wave_names(result) == [["db", "free"], ["app"]]
    assert result.wait_for[0] == frozenset({cm("db").ref})
    assert result.wait_after == (True, False)


def test_dependency_on_an_earlier_stage_needs_no_extra_wave() -> None:
    ns = obj("Namespace", "ns")
    result = apply_waves([ns, cm("a", depends_on="/Namespace/ns")])
    assert wave_names(result) == [["ns"], ["a"]]
    assert result.wait_for[0] == frozenset({ns.ref})


def test_waves_are_minimal_for_a_chain_and_a_diamond() -> None:
    result = apply_waves(
        [
            cm("d", depends_on="/namespaces/ns/ConfigMap/b, /namespaces/ns/ConfigMap/c"),
            cm("b", depends_on="/namespaces/ns/ConfigMap/a"),
            cm("c", depends_on="/namespaces/ns/ConfigMap/a"),
            cm("a"),
            cm("x"),
        ]
    )
    assert wave_names(result) == [["a", "x"], ["b", "c"], ["d"]]


def test_undeclared_dependency_excludes_the_dependent_and_its_dependents() -> None:
    result = apply_waves(
        [
            cm("a", depends_on="/namespaces/ns/ConfigMap/missing"),
            cm("b", depends_on="/namespaces/ns/ConfigMap/a"),
            cm("c"),
        ]
    )
    assert wave_names(result) == [["c"]]
    assert result.excluded == {cm("a").ref, cm("b").ref}
    assert [e.code for e in result.errors] == [ErrorCode.INVALID_DEPENDENCY] * 2
    assert "not declared" in result.errors[0].message
    assert result.errors[0].resources[0].source_path == "a.yaml"
    assert "cannot be applied" in result.errors[1].message


def test_dependency_on_an_external_object_is_allowed() -> None:
    external = ObjectRef(group="", kind="Secret", namespace="ns", name="creds")
    result = apply_waves([cm("a", depends_on="/namespaces/ns/Secret/creds")], external={external})
    assert result.errors == ()
    assert wave_names(result) == [["a"]]


def test_invalid_syntax_is_reported_and_excluded() -> None:
    result = apply_waves([cm("a", depends_on="ConfigMap/b"), cm("b")])
    assert wave_names(result) == [["b"]]
    [error] = result.errors
    assert error.code is ErrorCode.INVALID_DEPENDENCY
    assert "'ConfigMap/b'" in error.message


def test_dependency_against_stage_order_is_an_error() -> None:
    result = apply_waves([obj("Namespace", "n", depends_on="/namespaces/ns/ConfigMap/a"), cm("a")])
    assert wave_names(result) == [["a"]]
    assert "later stage" in result.errors[0].message


def test_cycles_are_reported_with_their_path_and_excluded() -> None:
    result = apply_waves(
        [
            cm("a", depends_on="/namespaces/ns/ConfigMap/b"),
            cm("b", depends_on="/namespaces/ns/ConfigMap/c"),
            cm("c", depends_on="/namespaces/ns/ConfigMap/a"),
            cm("d", depends_on="/namespaces/ns/ConfigMap/c"),
            cm("e"),
        ]
    )
    assert wave_names(result) == [["e"]]
    cycle = [e for e in result.errors if e.code is ErrorCode.DEPENDENCY_CYCLE]
    assert len(cycle) == 1
    assert cycle[0].message == (
        "depends-on cycle: ConfigMap ns/a -> ConfigMap ns/b -> ConfigMap ns/c -> ConfigMap ns/a"
    )
    assert {r.ref.name for r in cycle[0].resources} == {"a", "b", "c"}
    assert result.excluded == {cm(n).ref for n in "abcd"}


def test_self_dependency_is_a_cycle() -> None:
    result = apply_waves([cm("a", depends_on="/namespaces/ns/ConfigMap/a")])
    assert result.waves == ()
    assert result.errors[0].message == "depends-on cycle: ConfigMap ns/a -> ConfigMap ns/a"


def test_long_dependency_chains_do_not_hit_the_recursion_limit() -> None:
    chain = [cm("n0")] + [
        cm(f"n{i}", depends_on=f"/namespaces/ns/ConfigMap/n{i - 1}") for i in range(1, 3000)
    ]
    result = apply_waves(reversed(chain))
    assert len(result.waves) == 3000
    cyclic = [*chain[1:], cm("n0", depends_on="/namespaces/ns/ConfigMap/n2999")]
    assert apply_waves(cyclic).waves == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "/namespaces/ns/ConfigMap/a",
            [ObjectRef(group="", kind="ConfigMap", namespace="ns", name="a")],
        ),
        (
            "apps/namespaces/ns/Deployment/d",
            [ObjectRef(group="apps", kind="Deployment", namespace="ns", name="d")],
        ),
        ("/Namespace/ns", [ObjectRef(group="", kind="Namespace", name="ns")]),
        (
            " rbac.authorization.k8s.io/ClusterRole/r , /Namespace/n ",
            [
                ObjectRef(group="rbac.authorization.k8s.io", kind="ClusterRole", name="r"),
                ObjectRef(group="", kind="Namespace", name="n"),
            ],
        ),
        ("", []),
    ],
)
def test_parse_depends_on(value: str, expected: list[ObjectRef]) -> None:
    assert list(parse_depends_on(value)) == expected


@pytest.mark.parametrize(
    "value",
    [
        "a",
        "a/b",
        "/ConfigMap/",
        "g/namespace/ns/Kind/n",
        "g/namespaces//Kind/n",
        "/a/b/c/d/e/f",
        "/N/n,",
    ],
)
def test_parse_depends_on_rejects_malformed_values(value: str) -> None:
    with pytest.raises(InvalidDependsOnError):
        parse_depends_on(value)


KINDS = [
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", ""),
    ("v1", "Namespace", ""),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", ""),
    ("v1", "ConfigMap", "ns"),
    ("apps/v1", "Deployment", "ns"),
]


@st.composite
def dags(draw: st.DrawFn) -> list[Manifest]:
    count = draw(st.integers(min_value=0, max_value=25))
    kinds = [draw(st.sampled_from(KINDS)) for _ in range(count)]
    refs = [
        ObjectRef(group=av.rpartition("/")[0], kind=kind, namespace=ns, name=f"o{i}")
        for i, (av, kind, ns) in enumerate(kinds)
    ]
    manifests = []
    for i, (api_version, kind, ns) in enumerate(kinds):
        # only edges to earlier indices (a DAG) that do not go against stage order
        candidates = [j for j in range(i) if stage_of(refs[j]) <= stage_of(refs[i])]
        deps = (
            draw(st.lists(st.sampled_from(candidates), unique=True, max_size=3))
            if candidates
            else []
        )
        annotation = ",".join(format_depends_on(refs[j]) for j in deps) or None
        manifests.append(obj(kind, f"o{i}", ns, api_version=api_version, depends_on=annotation))
    return draw(st.permutations(manifests))


@settings(max_examples=100, deadline=None)
@given(dags())
def test_waves_respect_stage_order_and_every_dependency_edge(manifests: list[Manifest]) -> None:
    result = apply_waves(manifests)
    assert result.errors == ()
    wave_of = {m.ref: i for i, wave in enumerate(result.waves) for m in wave}
    assert set(wave_of) == {m.ref for m in manifests}
    assert all(result.waves)
    for i, wave in enumerate(result.waves):
        assert len({stage_of(m.ref) for m in wave}) == 1
        if i:
            assert stage_of(result.waves[i - 1][0].ref) <= stage_of(wave[0].ref)
    for manifest in manifests:
        for dep in parse_depends_on(manifest.annotation(DEPENDS_ON) or ""):
            assert wave_of[dep] < wave_of[manifest.ref]
            assert dep in result.wait_for[wave_of[dep]]
    # minimal: first wave of its stage, or right after its latest same-stage dependency
    for manifest in manifests:
        index = wave_of[manifest.ref]
        first_of_stage = min(i for r, i in wave_of.items() if stage_of(r) is stage_of(manifest.ref))
        same_stage_deps = [
            wave_of[d]
            for d in parse_depends_on(manifest.annotation(DEPENDS_ON) or "")
            if stage_of(d) is stage_of(manifest.ref)
        ]
        assert index == max([first_of_stage, *(w + 1 for w in same_stage_deps)])
