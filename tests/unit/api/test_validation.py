"""Invalid sync objects raise SD1061 naming every bad field path (schema and semantic rules)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from syncd.api.models import parse_repo_sync, parse_root_sync
from syncd.core.errors import ErrorCode, SyncSpecError
from syncd.core.refs import ObjectRef
from tests.unit.api.samples import (
    CANONICAL_REPO_SYNCS,
    root_sync,
)

# -- SD1061 messages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"git": {}}, "spec.git.repo: field required"),
        ({"git": {"repo": "x", "brnach": "dev"}}, "spec.git.brnach: unknown field"),
        (
            {"sourceType": "svn", "git": {"repo": "x"}},
            "spec.sourceType: input should be 'git', 'oci', 'helm' or 'local'",
        ),
        (
            {"git": {"repo": "x", "period": "15 seconds"}},
            (
                "spec.git.period: invalid duration '15 seconds': expected numbers with units "
                "ns, us, ms, s, m or h, such as 15s, 1m30s or 500ms"
            ),
        ),
        (
            {"git": {"repo": "x", "period": "0s"}},
            "spec.git.period: duration '0s' must be greater than zero",
        ),
        (
            {"git": {"repo": "x", "dir": "../other"}},
            "spec.git.dir: '../other' must be a relative path that stays inside the source",
        ),
        (
            {"git": {"repo": "x", "dir": "/etc"}},
            "spec.git.dir: '/etc' must be a relative path that stays inside the source",
        ),
        (
            {"git": {"repo": "x"}, "override": {"prune": {"maxDeletePercent": 101}}},
            "spec.override.prune.maxDeletePercent: input should be less than or equal to 100",
        ),
        (
            {"git": {"repo": "x"}, "override": {"prune": {"maxDeletes": -1}}},
            "spec.override.prune.maxDeletes: input should be greater than or equal to 0",
        ),
        (
            {"git": {"repo": "x"}, "override": {"roleRefs": [{"kind": "Group", "name": "g"}]}},
            "spec.override.roleRefs[0].kind: input should be 'Role' or 'ClusterRole'",
        ),
        (
            {"sourceType": "helm", "helm": {"repo": "ftp://x", "chart": "c"}},
            "spec.helm.repo: string should match pattern '^(https?|oci)://.+'",
        ),
    ],
)
def test_invalid_specs_raise_sd1061_naming_the_field_path(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(SyncSpecError) as caught:
        parse_root_sync(root_sync(spec))
    error = caught.value
    assert error.code is ErrorCode.INVALID_SYNC_SPEC
    assert error.message == message
    assert str(error) == f"SD1061: {message}"
    assert [r.ref for r in error.resources] == [
        ObjectRef(group="syncd.dev", kind="RootSync", namespace="syncd-system", name="root")
    ]


def test_every_problem_is_reported_at_once() -> None:
    obj = root_sync({"sourceType": "svn", "git": {"period": "x"}})
    with pytest.raises(SyncSpecError) as caught:
        parse_root_sync(obj)
    assert caught.value.message.split("; ") == [
        "spec.sourceType: input should be 'git', 'oci', 'helm' or 'local'",
        "spec.git.repo: field required",
        (
            "spec.git.period: invalid duration 'x': expected numbers with units ns, us, ms, s, m "
            "or h, such as 15s, 1m30s or 500ms"
        ),
    ]


def test_wrong_kind_or_api_version_and_missing_spec_are_named() -> None:
    obj = {"apiVersion": "syncd.dev/v1", "kind": "RepoSync", "metadata": {"name": "r"}}
    with pytest.raises(SyncSpecError) as caught:
        parse_root_sync(obj)
    assert caught.value.message == (
        "apiVersion: input should be 'syncd.dev/v1beta1'; kind: input should be 'RootSync'; "
        "spec: field required"
    )


def test_an_object_without_a_name_is_refused_without_resources() -> None:
    with pytest.raises(SyncSpecError) as caught:
        parse_root_sync({"kind": "RootSync", "metadata": {}, "spec": {"git": {"repo": "x"}}})
    assert caught.value.message == "metadata.name: field required"
    assert caught.value.resources == ()


def test_status_errors_are_checked_too() -> None:
    obj = root_sync(
        {"git": {"repo": "x"}},
        status={"sync": {"errors": [{"code": "KNV1061", "message": "m"}], "lastUpdate": "today"}},
    )
    with pytest.raises(SyncSpecError) as caught:
        parse_root_sync(obj)
    assert caught.value.message.split("; ") == [
        (
            "status.sync.lastUpdate: invalid RFC 3339 timestamp 'today', expected e.g. "
            "2024-05-01T12:00:00Z"
        ),
        "status.sync.errors[0].code: string should match pattern '^SD[12][0-9]{3}$'",
    ]


@pytest.mark.parametrize(
    "stamp", ["2024-05-01T12:00:00Z", "2024-05-01t12:00:00.123456789z", "2024-05-01T12:00:00-07:00"]
)
def test_rfc3339_timestamps_are_accepted(stamp: str) -> None:
    obj = root_sync({"git": {"repo": "x"}}, status={"source": {"lastUpdate": stamp}})
    assert parse_root_sync(obj).to_object()["status"]["source"]["lastUpdate"] == stamp


@pytest.mark.parametrize(
    "stamp", ["2024-05-01", "2024-05-01T12:00:00", "2024-13-01T12:00:00Z", "20240501T120000Z"]
)
def test_timestamps_without_offset_or_out_of_range_are_refused(stamp: str) -> None:
    obj = root_sync({"git": {"repo": "x"}}, status={"source": {"lastUpdate": stamp}})
    with pytest.raises(
        SyncSpecError, match=re.escape("status.source.lastUpdate: invalid RFC 3339")
    ):
        parse_root_sync(obj)


# -- semantic validation --------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "problems"),
    [
        ({"sourceType": "oci"}, ["spec.oci: required when sourceType is oci"]),
        ({}, ["spec.git: required when sourceType is git"]),
        (
            {"sourceType": "local", "local": {"path": "/src"}, "git": {"repo": "x"}},
            ["spec.git: must not be set when sourceType is local"],
        ),
        (
            {"git": {"repo": "x", "auth": "ssh"}},
            ["spec.git.secretRef: required when git.auth is ssh"],
        ),
        (
            {
                "git": {
                    "repo": "x",
                    "noSSLVerify": True,
                    "caCertSecretRef": {"name": "ca"},
                }
            },
            ["spec.git.noSSLVerify: must not be true when caCertSecretRef is set"],
        ),
        (
            {"sourceType": "oci", "oci": {"image": "r/i:1", "auth": "token"}},
            ["spec.oci.secretRef: required when oci.auth is token"],
        ),
        (
            {
                "sourceType": "helm",
                "helm": {"repo": "https://charts", "chart": "c", "auth": "basic"},
            },
            ["spec.helm.secretRef: required when helm.auth is basic"],
        ),
        (
            {
                "git": {"repo": "x"},
                "override": {
                    "roleRefs": [
                        {"kind": "ClusterRole", "name": "a"},
                        {"kind": "Role", "name": "b"},
                    ]
                },
            },
            ["spec.override.roleRefs[1].namespace: required when kind is Role"],
        ),
        (
            {"sourceType": "helm", "oci": {"image": "i"}, "git": {"repo": "x"}},
            [
                "spec.git: must not be set when sourceType is helm",
                "spec.oci: must not be set when sourceType is helm",
                "spec.helm: required when sourceType is helm",
            ],
        ),
    ],
)
def test_semantic_rules_raise_sd1061_naming_each_field(
    spec: dict[str, Any], problems: list[str]
) -> None:
    with pytest.raises(SyncSpecError) as caught:
        parse_root_sync(root_sync(spec))
    assert caught.value.message.split("; ") == problems


def test_repo_sync_refuses_root_sync_only_fields() -> None:
    obj = copy.deepcopy(CANONICAL_REPO_SYNCS[0])
    obj["spec"]["override"]["roleRefs"] = []
    with pytest.raises(SyncSpecError) as caught:
        parse_repo_sync(obj)
    assert caught.value.message == "spec.override.roleRefs: unknown field"


def test_repo_sync_refuses_the_hierarchy_format_with_sd1061() -> None:
    obj = copy.deepcopy(CANONICAL_REPO_SYNCS[0])
    obj["spec"]["sourceFormat"] = "hierarchy"
    with pytest.raises(SyncSpecError) as caught:
        parse_repo_sync(obj)
    assert caught.value.code == "SD1061"
    assert caught.value.message == "spec.sourceFormat: hierarchy is allowed for a RootSync only"


def _git_repo_sync(repo: str) -> dict[str, Any]:
    return {
        "apiVersion": "syncd.dev/v1beta1",
        "kind": "RepoSync",
        "metadata": {"name": "tenant", "namespace": "team-a"},
        "spec": {"git": {"repo": repo}},
    }


@pytest.mark.parametrize(
    "repo",
    [
        "file:///srv/git/team-b.git",
        "FILE:///srv/git/team-b.git",
        "/srv/git/team-b.git",
        "./team-b",
        "../team-b.git",
        "~/repos/x",
        "team-b",
        "ext::sh -c touch% /tmp/pwned",
    ],
)
def test_repo_sync_refuses_repositories_on_this_machine(repo: str) -> None:
    with pytest.raises(SyncSpecError) as caught:
        parse_repo_sync(_git_repo_sync(repo))
    assert caught.value.code == "SD1061"
    assert caught.value.message.startswith("spec.git.repo: must be a remote repository URL")


@pytest.mark.parametrize(
    "repo",
    [
        "https://git.example/team-a.git",
        "http://127.0.0.1:8080/team-a.git",
        "ssh://git@git.example/team-a.git",
        "git://git.example/team-a.git",
        "git@github.com:team/a.git",
    ],
)
def test_repo_sync_accepts_remote_repositories(repo: str) -> None:
    assert parse_repo_sync(_git_repo_sync(repo)).spec.git is not None


def test_a_root_sync_may_still_use_a_file_url() -> None:
    obj = _git_repo_sync("file:///srv/git/platform.git")
    obj.update(kind="RootSync", metadata={"name": "root", "namespace": "syncd-system"})
    assert parse_root_sync(obj).spec.git is not None


def test_repo_sync_refuses_the_local_source() -> None:
    obj = _git_repo_sync("https://x")
    obj["spec"] = {"sourceType": "local", "local": {"path": "/etc"}}
    with pytest.raises(SyncSpecError) as caught:
        parse_repo_sync(obj)
    assert "spec.local: the local source is allowed for a RootSync only" in caught.value.message


def test_source_block_is_the_one_source_type_selects() -> None:
    sync = parse_repo_sync(CANONICAL_REPO_SYNCS[0])
    assert sync.spec.source_block is sync.spec.oci
