"""RootSync and RepoSync models: wire round trips and defaults."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from syncd.api.models import RootSync, parse_repo_sync, parse_root_sync
from syncd.api.resourcegroup import (
    parse_resource_group,
)
from syncd.api.spec import GitAuth, GitSource, RootSyncSpec, SourceType
from syncd.api.wire import ObjectMeta
from syncd.core.refs import ObjectRef
from tests.unit.api.samples import (
    CANONICAL_OVERRIDE,
    CANONICAL_RENDER,
    CANONICAL_REPO_SYNCS,
    CANONICAL_RESOURCE_GROUP,
    CANONICAL_ROOT_SYNC,
    root_sync,
)

# -- round trips ---------------------------------------------------------------


def test_root_sync_round_trips_its_wire_form_exactly() -> None:
    original = copy.deepcopy(CANONICAL_ROOT_SYNC)
    assert parse_root_sync(original).to_object() == CANONICAL_ROOT_SYNC
    assert original == CANONICAL_ROOT_SYNC  # the input is not mutated


@pytest.mark.parametrize("obj", CANONICAL_REPO_SYNCS, ids=["oci", "helm"])
def test_repo_sync_round_trips_its_wire_form_exactly(obj: dict[str, Any]) -> None:
    assert parse_repo_sync(obj).to_object() == obj


def test_resource_group_round_trips_its_wire_form_exactly() -> None:
    assert parse_resource_group(CANONICAL_RESOURCE_GROUP).to_object() == CANONICAL_RESOURCE_GROUP


def test_helm_values_keep_nulls_and_arbitrary_shapes() -> None:
    values = parse_repo_sync(CANONICAL_REPO_SYNCS[1]).spec.helm
    assert values is not None
    assert values.values == {"replicas": 3, "image": {"tag": None}, "list": [1, "two"]}


def test_python_names_are_snake_case_and_wire_names_camel_case() -> None:
    sync = parse_root_sync(CANONICAL_ROOT_SYNC)
    git = sync.spec.git
    assert git is not None
    assert git.ca_cert_secret_ref is not None
    assert git.ca_cert_secret_ref.name == "git-ca"
    assert git.no_ssl_verify is False
    assert sync.metadata.resource_version == "4711"
    built = GitSource(repo="https://x", no_ssl_verify=True).model_dump(by_alias=True)
    assert built["noSSLVerify"] is True


def test_models_are_frozen() -> None:
    sync = parse_root_sync(CANONICAL_ROOT_SYNC)
    with pytest.raises(ValueError, match="frozen"):
        sync.spec.suspend = True


# -- defaults ------------------------------------------------------------------


def test_minimal_root_sync_gets_every_default() -> None:
    sync = parse_root_sync(root_sync({"git": {"repo": "https://git.example/r.git"}}))
    assert sync.spec.source_type is SourceType.GIT
    git = sync.spec.git
    assert git is not None
    assert (git.branch, git.revision, git.dir, git.period, git.auth) == (
        "main",
        None,
        ".",
        "15s",
        GitAuth.NONE,
    )
    assert sync.spec.override.reconcile_timeout == "5m"
    assert sync.spec.override.api_server_timeout == "15s"
    assert sync.spec.override.prune is None
    assert sync.status is None
    assert sync.to_object()["spec"] == {
        "sourceType": "git",
        "git": {
            "repo": "https://git.example/r.git",
            "branch": "main",
            "dir": ".",
            "period": "15s",
            "auth": "none",
            "noSSLVerify": False,
        },
        "suspend": False,
        "render": CANONICAL_RENDER,
        "sourceFormat": "unstructured",
        "override": CANONICAL_OVERRIDE,
    }


def test_models_built_in_python_fill_apiversion_and_kind() -> None:
    sync = RootSync(metadata=ObjectMeta(name="r"), spec=RootSyncSpec(git=GitSource(repo="x")))
    obj = sync.to_object()
    assert (obj["apiVersion"], obj["kind"]) == ("syncd.dev/v1beta1", "RootSync")
    assert "status" not in obj
    assert "namespace" not in obj["metadata"]


def test_repo_sync_service_account_defaults_to_syncd_dash_name() -> None:
    obj = copy.deepcopy(CANONICAL_REPO_SYNCS[1])
    assert parse_repo_sync(obj).service_account_name == "syncd-tenant"
    obj["spec"]["serviceAccountName"] = "deployer"
    assert parse_repo_sync(obj).service_account_name == "deployer"


def test_ref_names_the_object_with_group_version_and_namespace() -> None:
    ref = parse_root_sync(CANONICAL_ROOT_SYNC).ref
    assert ref == ObjectRef(
        group="syncd.dev", kind="RootSync", namespace="syncd-system", name="root"
    )
    assert ref.api_version == "syncd.dev/v1beta1"
