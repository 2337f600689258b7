"""spec.render and spec.defaultNamespace: defaults, the stage's options, and what is refused."""

from __future__ import annotations

import pytest

from syncd.api.models import parse_repo_sync, parse_root_sync
from syncd.core.errors import SyncSpecError
from syncd.core.render import LoadRestrictor, RendererKind
from tests.unit.api.samples import root_sync

GIT = {"git": {"repo": "https://git.example/r.git"}}


def _repo_sync(spec: dict[str, object]) -> dict[str, object]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": "team", "namespace": "team-a"},
        "spec": spec,
    }


def test_detection_and_the_default_namespace_are_the_defaults() -> None:
    sync = parse_root_sync(root_sync(GIT))
    options = sync.spec.render.options()
    assert options.renderer is None
    assert options.load_restrictor is LoadRestrictor.ROOT_ONLY
    assert options.helm.include_crds is True
    assert sync.default_namespace == "default"


def test_a_pinned_renderer_and_helm_options_reach_the_stage() -> None:
    render = {
        "renderer": "helm",
        "helm": {"releaseName": "web", "valuesFiles": ["prod.yaml"], "values": {"a": 1}},
    }
    sync = parse_root_sync(root_sync({**GIT, "render": render, "defaultNamespace": "apps"}))
    options = sync.spec.render.options()
    assert options.renderer is RendererKind.HELM
    assert (options.helm.release_name, options.helm.values_files) == ("web", ("prod.yaml",))
    assert options.helm.values == {"a": 1}
    assert sync.default_namespace == "apps"


def test_a_repo_sync_puts_objects_in_its_own_namespace() -> None:
    assert parse_repo_sync(_repo_sync(GIT)).default_namespace == "team-a"


def test_only_a_root_sync_may_lift_the_load_restrictor() -> None:
    lifted = {**GIT, "render": {"kustomize": {"loadRestrictor": "none"}}}
    assert parse_root_sync(root_sync(lifted)).spec.render.kustomize.load_restrictor.value == "none"
    with pytest.raises(SyncSpecError, match=r"render\.kustomize\.loadRestrictor"):
        parse_repo_sync(_repo_sync(lifted))


@pytest.mark.parametrize("bad", ["Apps", "a_b", "-x", "x" * 64])
def test_a_default_namespace_must_be_a_namespace_name(bad: str) -> None:
    with pytest.raises(SyncSpecError, match=r"spec\.defaultNamespace"):
        parse_root_sync(root_sync({**GIT, "defaultNamespace": bad}))
