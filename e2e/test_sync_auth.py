"""Git credentials from Secrets: token and basic auth work, wrong ones fail loudly, never leak.

Every test runs against the real Basic-auth Git server (`git_http_auth`) and
the session's `syncd run`; the sync reads its credentials from a Secret in
`syncd-system` named by `spec.git.secretRef`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from e2e.kube import unique
from e2e.servers import GitHttpAuth, GitRepoFactory
from e2e.syncenv import (
    ROOT_SYNCS,
    SYSTEM_NS,
    Controller,
    get_root_sync,
    root_sync_body,
    wait_synced,
)
from e2e.syncsteps import SECRETS, create_secret, encode_secret_data
from syncd.devenv.gitrepo import GitRepo
from syncd.devenv.kubehttp import KubeHttp
from syncd.devenv.proc import wait_until

pytestmark = pytest.mark.e2e

SOURCE_FETCH = "SD2004"


def _replace_secret_data(admin: KubeHttp, name: str, data: dict[str, str]) -> None:
    resp = admin.request(
        "PATCH",
        f"{SECRETS}/{name}",
        body={"data": encode_secret_data(data)},
        content_type="application/merge-patch+json",
    )
    assert resp.status == 200, resp.text


def _one_configmap_repo(factory: GitRepoFactory, auth: GitHttpAuth) -> tuple[GitRepo, str, str]:
    """A repo with a namespace and one ConfigMap; returns (repo, namespace, commit)."""
    ns = unique("auth")
    repo = factory(auth, prefix="auth")
    sha = repo.commit(
        {
            "ns.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n",
            "cm.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\n"
                f"  namespace: {ns}\ndata:\n  via: auth\n"
            ),
        },
        "add",
    )
    return repo, ns, sha


def _create_root_sync(admin: KubeHttp, body: dict[str, Any]) -> None:
    resp = admin.post(ROOT_SYNCS, body)
    assert resp.status == 201, resp.text


def _source_errors(obj: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = ((obj.get("status") or {}).get("source") or {}).get(
        "errors"
    ) or []
    return errors


def _wait_source_error(admin: KubeHttp, name: str, *, timeout: float = 60.0) -> dict[str, Any]:
    """Poll until the RootSync reports a source error; return the object."""

    def probe() -> dict[str, Any] | None:
        obj = get_root_sync(admin, name)
        return obj if _source_errors(obj) else None

    return wait_until(probe, timeout=timeout, what=f"RootSync {name} source error", interval=0.2)


def _event_messages(admin: KubeHttp, name: str) -> list[str]:
    """Messages of every Event in syncd-system whose involved object is RootSync `name`."""
    resp = admin.get(
        f"/api/v1/namespaces/{SYSTEM_NS}/events"
        f"?fieldSelector=involvedObject.kind%3DRootSync,involvedObject.name%3D{name}"
    )
    assert resp.status == 200, resp.text
    return [str(item.get("message", "")) for item in resp.json().get("items", [])]


def _wait_source_error_event(admin: KubeHttp, name: str, *, timeout: float = 30.0) -> list[str]:
    def probe() -> list[str] | None:
        messages = _event_messages(admin, name)
        return messages if any("401" in m for m in messages) else None

    return wait_until(probe, timeout=timeout, what=f"SourceError Event on {name}", interval=0.2)


def _assert_synced_configmap(admin: KubeHttp, ns: str) -> None:
    resp = admin.get(f"/api/v1/namespaces/{ns}/configmaps/fetched")
    assert resp.status == 200, resp.text
    assert resp.json()["data"] == {"via": "auth"}


def test_token_from_secret_authenticates_the_git_fetch(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
) -> None:
    repo, ns, sha = _one_configmap_repo(git_repo_factory, git_http_auth)
    secret, name = unique("git-token"), unique("root-token")
    create_secret(admin, secret, {"token": git_http_auth.token})
    body = root_sync_body(
        name,
        repo=git_http_auth.server.repo_url(repo.name),
        auth="token",
        secretRef={"name": secret},
    )
    _create_root_sync(admin, body)

    obj = wait_synced(admin, name, sha)

    assert obj["status"]["summary"]["state"] == "Synced", obj["status"]
    assert _source_errors(obj) == []
    _assert_synced_configmap(admin, ns)
    users = {r.user for r in git_http_auth.server.requests if r.path.startswith(f"/{repo.name}")}
    assert users == {"git"}, "token auth sends the token as the password of user 'git'"


def test_username_and_password_from_secret_authenticate_the_git_fetch(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
) -> None:
    repo, ns, sha = _one_configmap_repo(git_repo_factory, git_http_auth)
    secret, name = unique("git-basic"), unique("root-basic")
    create_secret(
        admin, secret, {"username": git_http_auth.username, "password": git_http_auth.password}
    )
    body = root_sync_body(
        name,
        repo=git_http_auth.server.repo_url(repo.name),
        auth="basic",
        secretRef={"name": secret},
    )
    _create_root_sync(admin, body)

    obj = wait_synced(admin, name, sha)

    assert obj["status"]["summary"]["state"] == "Synced", obj["status"]
    _assert_synced_configmap(admin, ns)
    users = {r.user for r in git_http_auth.server.requests if r.path.startswith(f"/{repo.name}")}
    assert users == {git_http_auth.username}


@pytest.mark.parametrize("auth", ["basic", "token"])
def test_wrong_credentials_report_sd2004_recover_once_fixed_and_never_leak(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
    auth: str,
) -> None:
    repo, ns, sha = _one_configmap_repo(git_repo_factory, git_http_auth)
    wrong = f"wrong-{git_http_auth.password[::-1]}-{auth}"
    if auth == "basic":
        wrong_data = {"username": git_http_auth.username, "password": wrong}
        right_data = {"username": git_http_auth.username, "password": git_http_auth.password}
    else:
        wrong_data, right_data = {"token": wrong}, {"token": git_http_auth.token}
    secret, name = unique(f"git-wrong-{auth}"), unique(f"root-wrong-{auth}")
    create_secret(admin, secret, wrong_data)
    body = root_sync_body(
        name,
        repo=git_http_auth.server.repo_url(repo.name),
        auth=auth,
        secretRef={"name": secret},
    )
    _create_root_sync(admin, body)

    failed = _wait_source_error(admin, name)
    errors = _source_errors(failed)
    assert [e["code"] for e in errors] == [SOURCE_FETCH], errors
    assert "401" in errors[0]["message"]
    assert "spec.git.secretRef" in errors[0]["message"]
    assert failed["status"]["summary"]["state"] in ("Stalled", "Error"), failed["status"]
    assert admin.get(f"/api/v1/namespaces/{ns}/configmaps/fetched").status == 404
    _wait_source_error_event(admin, name)

    # Fixing the Secret (same spec, no restart) lets the sync recover with the right one.
    _replace_secret_data(admin, secret, right_data)
    synced = wait_synced(admin, name, sha, timeout=90)
    assert synced["status"]["summary"]["state"] == "Synced", synced["status"]
    assert _source_errors(synced) == []
    _assert_synced_configmap(admin, ns)

    # Neither the wrong credential nor the right ones appear in status, Events or logs.
    status_text = json.dumps(failed.get("status")) + json.dumps(synced.get("status"))
    event_text = "\n".join(_event_messages(admin, name))
    log_text = syncd_controller.log_text()
    assert event_text, "the failure and the recovery should have been announced as Events"
    basic_headers = [
        base64.b64encode(pair.encode()).decode()
        for pair in (
            f"{git_http_auth.username}:{git_http_auth.password}",
            f"git:{git_http_auth.token}",
            f"{git_http_auth.username}:{wrong}",
            f"git:{wrong}",
        )
    ]
    for secret_value in (wrong, git_http_auth.password, git_http_auth.token, *basic_headers):
        assert secret_value not in status_text
        assert secret_value not in event_text
        assert secret_value not in log_text


def test_missing_secret_reports_sd2004_naming_the_secret(
    admin: KubeHttp,
    syncd_controller: Controller,
    git_http_auth: GitHttpAuth,
    git_repo_factory: GitRepoFactory,
) -> None:
    repo, ns, _ = _one_configmap_repo(git_repo_factory, git_http_auth)
    secret, name = unique("git-absent"), unique("root-absent")
    body = root_sync_body(
        name,
        repo=git_http_auth.server.repo_url(repo.name),
        auth="token",
        secretRef={"name": secret},
    )
    _create_root_sync(admin, body)

    failed = _wait_source_error(admin, name)

    errors = _source_errors(failed)
    assert [e["code"] for e in errors] == [SOURCE_FETCH], errors
    message = errors[0]["message"]
    assert f"Secret {SYSTEM_NS}/{secret}" in message, message
    assert "does not exist" in message, message
    assert failed["status"]["summary"]["state"] in ("Stalled", "Error"), failed["status"]
    assert admin.get(f"/api/v1/namespaces/{ns}/configmaps/fetched").status == 404
    assert not [r for r in git_http_auth.server.requests if r.path.startswith(f"/{repo.name}")]
