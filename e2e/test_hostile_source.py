"""One hostile commit costs one RootSync an error, never the controller or the other syncs.

A commit pushed through the real Git server holds what used to segfault,
hang or exhaust `syncd run` (30,000 levels of flow nesting, a billion-laughs
document, doubling merge keys, a file past the 8 MiB limit, JSON nested 400
deep, a file name that would forge output, a depends-on given as a list),
and drops an object the previous commit declared. The session's one
controller must stay alive, report every problem by code on that RootSync's
status, prune nothing from the broken commit, and keep syncing a second
RootSync whose repository gets a new commit after the hostile one landed.
"""

from __future__ import annotations

import pytest

from e2e.kube import unique
from e2e.servers import GitRepoFactory
from e2e.syncenv import Controller
from e2e.syncsteps import (
    DEPENDS_ON,
    cm_path,
    configmap,
    create_root_sync,
    errors_with_code,
    get_object,
    manager_of,
    manager_value,
    namespace,
    ns_path,
    to_yaml,
    wait_more_runs,
    wait_state,
)
from syncd.devenv.gitserver import GitHttpServer
from syncd.devenv.kubehttp import KubeHttp

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024


def _hostile_files(ns: str) -> dict[str, str | None]:
    head = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{name}}\n  namespace: {ns}\n"
    laughs = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    laughs += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    merges = ["m0: &m0 {a: 1, b: 2}"]
    merges += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}" for i in range(1, 60)]
    depends = configmap("listed-deps", ns, "1")
    depends["metadata"]["annotations"] = {DEPENDS_ON: [f"/namespaces/{ns}/ConfigMap/kept"]}
    return {
        "deep.yaml": head.format(name="deep") + "x: " + "[" * 30_000 + "]" * 30_000 + "\n",
        "laughs.yaml": head.format(name="laughs") + "\n".join(laughs) + "\n",
        "merges.yaml": head.format(name="merges") + "\n".join(merges) + "\n",
        "huge.yaml": head.format(name="huge") + "data:\n" + "  k: v\n" * (9 * MIB // 7),
        "deep.json": (
            '{"apiVersion": "v1", "kind": "ConfigMap", '
            f'"metadata": {{"name": "deepjson", "namespace": "{ns}"}}, '
            '"data": ' + "[" * 400 + "]" * 400 + "}"
        ),
        "forged\n---\nname.yaml": to_yaml(configmap("forged", ns, "1")),
        "deps.yaml": to_yaml(depends),
        "gone.yaml": None,
        "kept.yaml": to_yaml(configmap("kept", ns, "2")),
    }


def test_a_hostile_commit_is_reported_prunes_nothing_and_leaves_other_syncs_syncing(
    admin: KubeHttp,
    request: pytest.FixtureRequest,
    syncd_controller: Controller,
    git_http: GitHttpServer,
    git_repo_factory: GitRepoFactory,
) -> None:
    hostile_ns, clean_ns = unique("hostile"), unique("clean")
    hostile_repo, clean_repo = git_repo_factory(git_http), git_repo_factory(git_http)
    first = hostile_repo.commit(
        {
            "ns.yaml": to_yaml(namespace(hostile_ns)),
            "kept.yaml": to_yaml(configmap("kept", hostile_ns, "1")),
            "gone.yaml": to_yaml(configmap("gone", hostile_ns, "1")),
        },
        "a good start",
    )
    hostile = create_root_sync(
        admin, request, repo=git_http.repo_url(hostile_repo.name), cleanup=[ns_path(hostile_ns)]
    )
    clean_first = clean_repo.commit(
        {"ns.yaml": to_yaml(namespace(clean_ns)), "a.yaml": to_yaml(configmap("a", clean_ns, "1"))},
        "clean",
    )
    clean = create_root_sync(
        admin, request, repo=git_http.repo_url(clean_repo.name), cleanup=[ns_path(clean_ns)]
    )
    wait_state(admin, hostile, first, "Synced")
    wait_state(admin, clean, clean_first, "Synced")

    bad = hostile_repo.commit(_hostile_files(hostile_ns), "everything that used to break syncd")
    status = wait_state(admin, hostile, bad, "Error")["status"]

    too_large = " ".join(err["message"] for err in errors_with_code(status, "SD1072"))
    for path in ("deep.yaml", "laughs.yaml", "merges.yaml", "huge.yaml", "deep.json"):
        assert path in too_large, (path, status)
    parse = " ".join(err["message"] for err in errors_with_code(status, "SD1006"))
    assert '"forged\\n---\\nname.yaml"' in parse, status
    assert errors_with_code(status, "SD1070"), status
    assert status["sync"]["pruned"] == 0, status["sync"]
    assert get_object(admin, cm_path(hostile_ns, "kept"))["data"]["value"] == "2"  # type: ignore[index]

    # The controller survived and still syncs another RootSync after the hostile commit.
    clean_next = clean_repo.commit({"a.yaml": to_yaml(configmap("a", clean_ns, "2"))}, "next")
    wait_state(admin, clean, clean_next, "Synced")
    assert get_object(admin, cm_path(clean_ns, "a"))["data"]["value"] == "2"  # type: ignore[index]
    assert syncd_controller.proc.poll() is None, syncd_controller.log_text()[-4000:]

    # Nothing of the hostile sync was pruned, however often it retries.
    wait_more_runs(syncd_controller, hostile, 2)
    gone = get_object(admin, cm_path(hostile_ns, "gone"))
    assert gone is not None, "an object was pruned from a commit that did not decode"
    assert manager_of(gone) == manager_value(hostile)
    for never in ("deep", "laughs", "merges", "huge", "deepjson", "forged", "listed-deps"):
        assert get_object(admin, cm_path(hostile_ns, never)) is None, never
    assert syncd_controller.proc.poll() is None, syncd_controller.log_text()[-4000:]
