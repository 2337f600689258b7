"""What onboarding one tenant takes, as plain objects: the values behind `syncd tenant init`.

`TenantPlan` holds the command's options; `check_plan` refuses what a
RepoSync could never use (names that are not DNS-1123 labels, syncd's own
namespace, `file://` and local repositories, ssh, credentials inside the
URL) with a message saying
what to do instead; `tenant_objects` builds, in apply order, the optional
Namespace, the tenant's ServiceAccount, the RoleBinding granting it the
aggregated `syncd-tenant` ClusterRole (manifests/rbac/) in its namespace
only, and the RepoSync, validated by the same model the controller reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urlsplit

from syncd.api.models import default_service_account, parse_repo_sync
from syncd.api.spec import GitAuth
from syncd.api.wire import GROUP, VERSION
from syncd.core.errors import SyncSpecError
from syncd.core.redact import redact_url
from syncd.parse.validate import DNS1123_LABEL, DNS1123_SUBDOMAIN, LABEL_MAX, SUBDOMAIN_MAX

TENANT_CLUSTER_ROLE: Final = "syncd-tenant"
"""The aggregated ClusterRole of manifests/rbac/tenant-clusterrole.yaml."""
DEFAULT_SYNC_NAME: Final = "repo-sync"
DEFAULT_SYSTEM_NAMESPACE: Final = "syncd-system"
"""syncd's own namespace (SYNCD_NAMESPACE of the controller): RootSyncs only."""
_RBAC_GROUP: Final = "rbac.authorization.k8s.io"
_SCP_LIKE: Final = re.compile(r"^[^/:]+@[^/:]+:|^[A-Za-z0-9.-]+:(?!//)")
_REMOTE_SCHEMES: Final = frozenset({"https", "http", "git"})


class TenantAuth(StrEnum):
    """The Git credential types `syncd tenant init` offers (ssh is not supported yet)."""

    NONE = GitAuth.NONE.value
    TOKEN = GitAuth.TOKEN.value
    BASIC = GitAuth.BASIC.value


class TenantPlanError(ValueError):
    """An option `syncd tenant init` cannot turn into a usable RepoSync; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantPlan:
    """Everything `syncd tenant init` writes for one tenant namespace."""

    namespace: str
    repo: str
    name: str = DEFAULT_SYNC_NAME
    branch: str = "main"
    dir: str = "."
    period: str = "15s"
    auth: TenantAuth = TenantAuth.NONE
    secret_name: str = ""
    """The credentials Secret; empty means `<name>-git` (used only when auth is not none)."""
    service_account: str = ""
    """Overrides the default `syncd-<name>`; only then is spec.serviceAccountName written."""
    create_namespace: bool = False
    system_namespace: str = DEFAULT_SYSTEM_NAMESPACE
    """syncd's own namespace, where a RepoSync is refused (SD1061)."""

    @property
    def service_account_name(self) -> str:
        """The service account the RepoSync acts as."""
        return self.service_account or default_service_account(self.name)

    @property
    def binding_name(self) -> str:
        """The RoleBinding's name (`syncd-<name>`, whatever the service account is called)."""
        return f"syncd-{self.name}"

    @property
    def credentials_secret(self) -> str:
        """The Secret the RepoSync reads its Git credentials from, or "" when auth is none."""
        if self.auth is TenantAuth.NONE:
            return ""
        return self.secret_name or f"{self.name}-git"


def _check_label(what: str, value: str) -> None:
    if len(value) > LABEL_MAX or not DNS1123_LABEL.fullmatch(value):
        raise TenantPlanError(
            f"{what} {value!r} is not a DNS-1123 label: at most {LABEL_MAX} lowercase letters, "
            "digits and '-', starting and ending with a letter or digit"
        )


def _check_subdomain(what: str, value: str) -> None:
    if len(value) > SUBDOMAIN_MAX or not DNS1123_SUBDOMAIN.fullmatch(value):
        raise TenantPlanError(
            f"{what} {value!r} is not a valid name: lowercase letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )


def check_repo(repo: str, *, auth: TenantAuth) -> None:
    """Refuse a repository a RepoSync may not or cannot use; the message says what to pass."""
    shown = redact_url(repo)
    if "://" not in repo:
        if _SCP_LIKE.match(repo):
            raise TenantPlanError(
                f"--repo {shown!r}: ssh repositories are not supported yet; "
                "use the https:// URL with --auth token or basic"
            )
        raise TenantPlanError(
            f"--repo {shown!r} is not a URL: a RepoSync may not sync a local path (SD1061); "
            "pass the repository's https:// URL"
        )
    try:
        parts = urlsplit(repo)
        host = parts.hostname
    except ValueError:
        raise TenantPlanError(f"--repo {shown!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        raise TenantPlanError(
            f"--repo {shown!r}: a RepoSync may not sync a file:// repository (SD1061): it would "
            "read the controller's own disk; pass the repository's https:// URL"
        )
    if scheme not in _REMOTE_SCHEMES:
        raise TenantPlanError(
            f"--repo {shown!r}: scheme {scheme!r} is not supported; use https://, http:// or git://"
        )
    if not host:
        raise TenantPlanError(f"--repo {shown!r} names no host")
    if parts.username or parts.password:
        raise TenantPlanError(
            f"--repo {shown!r} carries credentials in the URL, where every reader of the "
            "RepoSync sees them; pass --auth token (or basic) and put them in the Secret"
        )
    if scheme == "git" and auth is not TenantAuth.NONE:
        raise TenantPlanError(
            f"--repo {shown!r}: git:// sends no credentials; use the https:// URL with --auth "
            f"{auth.value}"
        )


def check_plan(plan: TenantPlan) -> None:
    """Raise TenantPlanError for the first option that cannot work."""
    _check_label("namespace", plan.namespace)
    if plan.namespace == plan.system_namespace:
        raise TenantPlanError(
            f"namespace {plan.namespace!r} is syncd's own namespace, where RootSyncs live and a "
            "RepoSync is refused (SD1061); onboard the tenant into its own namespace"
        )
    _check_label("--name", plan.name)
    if plan.service_account:
        _check_subdomain("--service-account", plan.service_account)
    if plan.secret_name:
        _check_subdomain("--secret-name", plan.secret_name)
    check_repo(plan.repo, auth=plan.auth)
    try:
        parse_repo_sync(repo_sync(plan))
    except SyncSpecError as exc:
        raise TenantPlanError(f"the RepoSync would be invalid: {exc}") from None


def _meta(name: str, namespace: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return meta


def repo_sync(plan: TenantPlan) -> dict[str, Any]:
    """The RepoSync `plan.name` in `plan.namespace`."""
    git: dict[str, Any] = {
        "repo": plan.repo,
        "branch": plan.branch,
        "dir": plan.dir,
        "period": plan.period,
        "auth": plan.auth.value,
    }
    if plan.credentials_secret:
        git["secretRef"] = {"name": plan.credentials_secret}
    spec: dict[str, Any] = {"sourceType": "git", "git": git}
    if plan.service_account:
        spec["serviceAccountName"] = plan.service_account
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "RepoSync",
        "metadata": _meta(plan.name, plan.namespace),
        "spec": spec,
    }


def tenant_objects(plan: TenantPlan) -> list[dict[str, Any]]:
    """The objects onboarding takes, in the order they must be applied."""
    objects: list[dict[str, Any]] = []
    if plan.create_namespace:
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(plan.namespace)})
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(plan.service_account_name, plan.namespace),
        }
    )
    objects.append(
        {
            "apiVersion": f"{_RBAC_GROUP}/v1",
            "kind": "RoleBinding",
            "metadata": _meta(plan.binding_name, plan.namespace),
            "roleRef": {
                "apiGroup": _RBAC_GROUP,
                "kind": "ClusterRole",
                "name": TENANT_CLUSTER_ROLE,
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": plan.service_account_name,
                    "namespace": plan.namespace,
                }
            ],
        }
    )
    objects.append(repo_sync(plan))
    return objects
