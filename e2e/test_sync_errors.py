"""One bad object never blocks the rest, and a bad or emptied commit never prunes.

Each test commits something broken next to valid objects and checks, on the
API server, that the valid objects were applied, that the RootSync's status
names the error by code and file, and that nothing was deleted that should
not have been.
"""

from __future__ import annotations

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    cm_path,
    configmap,
    create_root_sync,
    errors_with_code,
    first_run_at,
    get_object,
    manager_of,
    manager_value,
    namespace,
    ns_path,
    source_paths,
    to_yaml,
    wait_more_runs,
    wait_state,
)
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp

pytestmark = pytest.mark.e2e

BROKEN_YAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\n  data: [unclosed\n"


def _value(admin: KubeHttp, ns: str, name: str) -> str | None:
    obj = get_object(admin, cm_path(ns, name))
    return None if obj is None else obj["data"]["value"]


def test_a_file_that_does_not_parse_is_reported_the_rest_applies_and_nothing_is_pruned(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("badyaml")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "x.yaml": to_yaml(configmap("x", ns, "1")),
            "y.yaml": to_yaml(configmap("y", ns, "1")),
            "sub/z.yaml": to_yaml(configmap("z", ns, "1")),
        },
        "good",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")

    # Change x, remove y and break the file that declares z, in one commit.
    sha2 = repo.commit(
        {"x.yaml": to_yaml(configmap("x", ns, "2")), "y.yaml": None, "sub/z.yaml": BROKEN_YAML},
        "change x, remove y, break z",
    )
    status = wait_state(admin, name, sha2, "Error")["status"]

    parse_errors = errors_with_code(status, "SD1006")
    assert parse_errors, status
    assert any(
        "sub/z.yaml" in err["message"] or "sub/z.yaml" in source_paths(err) for err in parse_errors
    ), parse_errors
    assert status["sync"]["pruned"] == 0, status["sync"]
    assert _value(admin, ns, "x") == "2"
    wait_more_runs(syncd_controller, name, 2)
    for kept in ("y", "z"):
        obj = get_object(admin, cm_path(ns, kept))
        assert obj is not None, f"{kept} was pruned from a commit that did not parse"
        assert manager_of(obj) == manager_value(name)

    # Once every file parses again, the removal of y goes through.
    sha3 = repo.commit({"sub/z.yaml": to_yaml(configmap("z", ns, "1"))}, "fix z")
    wait_state(admin, name, sha3, "Synced")
    assert first_run_at(syncd_controller, name, sha3)["pruned"] == 1
    assert get_object(admin, cm_path(ns, "y")) is None
    assert _value(admin, ns, "z") == "1"


def test_an_unknown_kind_is_reported_as_sd1021_and_the_other_objects_apply(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("unknown")
    repo = git_repo_factory(git_http)
    phantom = {
        "apiVersion": "nowhere.e2e.syncd.dev/v1",
        "kind": "Phantom",
        "metadata": {"name": "ghost", "namespace": ns},
        "spec": {"boo": True},
    }
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "a.yaml": to_yaml(configmap("a", ns, "1")),
            "phantom.yaml": to_yaml(phantom),
            "z.yaml": to_yaml(configmap("z", ns, "1")),
        },
        "an unknown kind among valid objects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )

    status = wait_state(admin, name, sha, "Error")["status"]

    unknown = errors_with_code(status, "SD1021")
    assert len(unknown) == 1, status
    assert [(r["kind"], r["name"]) for r in unknown[0]["resources"]] == [("Phantom", "ghost")]
    assert source_paths(unknown[0]) == {"phantom.yaml"}
    assert status["summary"]["errorCount"] >= 1
    assert _value(admin, ns, "a") == "1"
    assert _value(admin, ns, "z") == "1"


def test_an_object_declared_in_two_files_is_reported_as_sd1029_and_the_others_apply(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("dup")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "one.yaml": to_yaml(configmap("twice", ns, "one")),
            "two.yaml": to_yaml(configmap("twice", ns, "two")),
            "other.yaml": to_yaml(configmap("other", ns, "1")),
        },
        "a duplicate",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )

    status = wait_state(admin, name, sha, "Error")["status"]

    duplicates = errors_with_code(status, "SD1029")
    assert len(duplicates) == 1, status
    assert source_paths(duplicates[0]) == {"one.yaml", "two.yaml"}
    assert _value(admin, ns, "other") == "1"
    assert get_object(admin, cm_path(ns, "twice")) is None, "an ambiguous object was applied"


def test_a_commit_that_removes_every_object_is_refused_with_sd2006_and_deletes_nothing(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("empty")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "cms.yaml": to_yaml(configmap("a", ns, "1"), configmap("b", ns, "1")),
        },
        "objects",
    )
    name = create_root_sync(
        admin, request, repo=git_http.repo_url(repo.name), cleanup=[ns_path(ns)]
    )
    wait_state(admin, name, sha, "Synced")

    sha2 = repo.commit({"ns.yaml": None, "cms.yaml": None}, "remove everything")
    status = wait_state(admin, name, sha2, "Error")["status"]

    refused = errors_with_code(status, "SD2006")
    assert len(refused) == 1, status
    assert status["sync"]["pruned"] == 0, status["sync"]
    wait_more_runs(syncd_controller, name, 2)
    assert get_object(admin, ns_path(ns)) is not None
    for cm in ("a", "b"):
        obj = get_object(admin, cm_path(ns, cm))
        assert obj is not None, f"{cm} was deleted by a refused prune"
        assert manager_of(obj) == manager_value(name)


def test_a_commit_deleting_more_than_max_deletes_is_refused_with_sd2006_but_still_applies(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    ns = unique("guard")
    repo = git_repo_factory(git_http)
    sha = repo.commit(
        {
            "ns.yaml": to_yaml(namespace(ns)),
            "a.yaml": to_yaml(configmap("a", ns, "1")),
            "b.yaml": to_yaml(configmap("b", ns, "1")),
            "c.yaml": to_yaml(configmap("c", ns, "1")),
        },
        "objects",
    )
    name = create_root_sync(
        admin,
        request,
        repo=git_http.repo_url(repo.name),
        cleanup=[ns_path(ns)],
        spec={"override": {"prune": {"maxDeletes": 1}}},
    )
    wait_state(admin, name, sha, "Synced")

    sha2 = repo.commit(
        {"a.yaml": None, "b.yaml": None, "c.yaml": to_yaml(configmap("c", ns, "2"))},
        "delete two objects, change one",
    )
    status = wait_state(admin, name, sha2, "Error")["status"]

    refused = errors_with_code(status, "SD2006")
    assert len(refused) == 1, status
    assert {r["name"] for r in refused[0]["resources"]} == {"a", "b"}
    assert _value(admin, ns, "c") == "2"
    wait_more_runs(syncd_controller, name, 2)
    assert _value(admin, ns, "a") == "1"
    assert _value(admin, ns, "b") == "1"
