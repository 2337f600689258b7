"""`syncd tenant init NAMESPACE --repo URL`: print or apply what onboarding a tenant takes.

The objects come from `syncd.cli.tenant_objects`. By default they are
printed as multi-document YAML (for `kubectl apply -f -` or a platform
repository); `--apply` applies them with server-side apply as field manager
`syncd-cli`, one line per object, then says what is left to do.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final, TextIO

import yaml

from syncd.cli.connect import add_kubeconfig_option, connect
from syncd.cli.tenant_objects import (
    DEFAULT_SYNC_NAME,
    DEFAULT_SYSTEM_NAMESPACE,
    TENANT_CLUSTER_ROLE,
    TenantAuth,
    TenantPlan,
    TenantPlanError,
    check_plan,
    tenant_objects,
)
from syncd.core.errors import (
    ApiError,
    ClusterError,
    ConflictError,
    ForbiddenError,
    UnknownKindError,
)
from syncd.core.ports import Cluster
from syncd.core.refs import ObjectRef

FIELD_MANAGER: Final = "syncd-cli"
SYSTEM_NAMESPACE_ENV: Final = "SYNCD_NAMESPACE"

HELP = """\
Write what onboarding a tenant namespace takes: the tenant's ServiceAccount
(syncd-NAME), a RoleBinding granting it the aggregated ClusterRole
syncd-tenant in NAMESPACE only, and the RepoSync NAME syncing NAMESPACE from
the tenant's repository while acting as that ServiceAccount. With
--create-namespace, the Namespace too.

By default the objects are printed as YAML; --apply applies them (server-side
apply, field manager syncd-cli). Apply manifests/crds/ and manifests/rbac/
first: they hold the RepoSync CRD and the syncd-tenant role.

A RepoSync may not sync file:// URLs or local paths (SD1061): --repo must be
an https://, http:// or git:// URL, with credentials in a Secret (--auth),
never in the URL. NAMESPACE may not be syncd's own ($SYNCD_NAMESPACE, default
syncd-system), where only RootSyncs live.

exit status: 0 on success, 1 when applying failed, 2 on usage or connection
errors.

examples:
  syncd tenant init team-a --repo https://git.example.com/team-a/config.git
  syncd tenant init team-a --repo https://git.example.com/team-a/config.git | kubectl apply -f -
  syncd tenant init team-a --repo https://git.example.com/team-a/config.git \\
      --auth token --create-namespace --apply
  syncd tenant init team-b --repo https://git.example.com/mono.git --dir tenants/team-b \\
      --name team-b --branch release --period 1m
"""


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the `tenant` subcommand group and its `init` command."""
    tenant = commands.add_parser(
        "tenant",
        help="onboard a tenant namespace: its RepoSync and service account",
        description="Commands for tenant namespaces synced by a RepoSync.",
    )
    tenant.set_defaults(handler=lambda _args: _usage(tenant))
    actions = tenant.add_subparsers(dest="tenant_command", metavar="COMMAND")
    init = actions.add_parser(
        "init",
        help="print or apply the objects onboarding a tenant takes",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument("namespace", metavar="NAMESPACE", help="the tenant's namespace")
    init.add_argument("--repo", required=True, metavar="URL", help="the tenant's Git repository")
    init.add_argument(
        "--name",
        default=DEFAULT_SYNC_NAME,
        help=f"the RepoSync's name (default {DEFAULT_SYNC_NAME})",
    )
    init.add_argument("--branch", default="main", help="branch to follow (default main)")
    init.add_argument("--dir", default=".", help="directory of the package (default the root)")
    init.add_argument("--period", default="15s", help="poll period, a Go duration (default 15s)")
    init.add_argument(
        "--auth",
        type=TenantAuth,
        choices=list(TenantAuth),
        default=TenantAuth.NONE,
        help="Git credentials: none (default), token or basic",
    )
    init.add_argument(
        "--secret-name",
        default="",
        metavar="NAME",
        help="Secret in NAMESPACE holding the credentials (default NAME-git; with --auth only)",
    )
    init.add_argument(
        "--service-account",
        default="",
        metavar="NAME",
        help="service account the RepoSync acts as (default syncd-NAME)",
    )
    init.add_argument("--create-namespace", action="store_true", help="write the Namespace too")
    init.add_argument(
        "--apply", action="store_true", help="apply the objects instead of printing them"
    )
    init.add_argument(
        "--force-conflicts",
        action="store_true",
        help="with --apply: take over fields another field manager set",
    )
    add_kubeconfig_option(init)
    init.set_defaults(handler=run)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def plan_from(args: argparse.Namespace, *, environ: Mapping[str, str]) -> TenantPlan:
    """The plan the command line (and SYNCD_NAMESPACE) asks for, not yet checked."""
    return TenantPlan(
        namespace=args.namespace,
        repo=args.repo,
        name=args.name,
        branch=args.branch,
        dir=args.dir,
        period=args.period,
        auth=args.auth,
        secret_name=args.secret_name,
        service_account=args.service_account,
        create_namespace=args.create_namespace,
        system_namespace=environ.get(SYSTEM_NAMESPACE_ENV) or DEFAULT_SYSTEM_NAMESPACE,
    )


def next_steps(plan: TenantPlan) -> list[str]:
    """What is left to do once the objects exist."""
    ns = plan.namespace
    steps = []
    secret = plan.credentials_secret
    if plan.auth is TenantAuth.TOKEN:
        steps.append(
            f"kubectl -n {ns} create secret generic {secret} --from-literal=token=TOKEN"
            "   # optional: --from-literal=username=NAME"
        )
    elif plan.auth is TenantAuth.BASIC:
        steps.append(
            f"kubectl -n {ns} create secret generic {secret} "
            "--from-literal=username=NAME --from-literal=password=PASSWORD"
        )
    steps.append(f"kubectl get reposync -n {ns}")
    steps.append(f"syncd status -n {ns}")
    return steps


def render_yaml(plan: TenantPlan) -> str:
    """The objects as multi-document YAML, after a comment saying how to use them."""
    header = [
        f"# Onboarding of tenant namespace {plan.namespace} (syncd tenant init).",
        "# Needs manifests/crds/ and manifests/rbac/ applied. Then:",
        *(f"#   {step}" for step in next_steps(plan)),
    ]
    documents = [
        yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
        for obj in tenant_objects(plan)
    ]
    return "\n".join(header) + "\n---\n" + "---\n".join(documents)


def _ref(obj: Mapping[str, Any]) -> ObjectRef:
    group, _, version = str(obj["apiVersion"]).rpartition("/")
    meta = obj["metadata"]
    return ObjectRef(
        group=group,
        version=version,
        kind=str(obj["kind"]),
        namespace=str(meta.get("namespace", "")),
        name=str(meta["name"]),
    )


def _display(ref: ObjectRef) -> str:
    kind = ref.kind.lower()
    return f"{kind}.{ref.group}/{ref.name}" if ref.group else f"{kind}/{ref.name}"


class Outcome(StrEnum):
    """What applying one object did, as printed after its name."""

    CREATED = "created"
    CONFIGURED = "configured"
    UNCHANGED = "unchanged"


def _outcome(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> Outcome:
    if before is None:
        return Outcome.CREATED
    old = (before.get("metadata") or {}).get("resourceVersion")
    new = (after.get("metadata") or {}).get("resourceVersion")
    return Outcome.UNCHANGED if old == new else Outcome.CONFIGURED


def _check_tenant_role(cluster: Cluster, out: TextIO) -> None:
    ref = ObjectRef(
        group="rbac.authorization.k8s.io",
        version="v1",
        kind="ClusterRole",
        name=TENANT_CLUSTER_ROLE,
    )
    try:
        role = cluster.get(ref)
    except ForbiddenError:
        return  # the caller may not read ClusterRoles; nothing to say
    if role is None:
        out.write(
            f"warning: ClusterRole {TENANT_CLUSTER_ROLE} does not exist, so the service account "
            "may do nothing yet: kubectl apply --server-side -f manifests/rbac/\n"
        )
    elif not role.get("rules"):
        out.write(
            f"warning: ClusterRole {TENANT_CLUSTER_ROLE} has no rules yet: they are filled by "
            "kube-controller-manager's clusterrole-aggregation controller\n"
        )


def apply_plan(plan: TenantPlan, *, cluster: Cluster, force: bool, out: TextIO) -> None:
    """Apply the plan's objects in order, writing one line per object.

    Raises ClusterError on the first failure (what was applied before stays).
    """
    objects = tenant_objects(plan)
    refs = [_ref(obj) for obj in objects]
    for ref in refs:  # every kind must be served before anything is written
        try:
            cluster.resource_type(ref.group, ref.kind, version=ref.version)
        except UnknownKindError:
            raise UnknownKindError(
                f"the cluster does not serve {ref.group_kind}: install syncd's CRDs first "
                "(kubectl apply --server-side -f manifests/crds/)"
            ) from None
    for ref, obj in zip(refs, objects, strict=True):
        try:
            before = cluster.get(ref)
        except ForbiddenError:
            before = None
        after = cluster.apply(ref, obj, field_manager=FIELD_MANAGER, force=force)
        out.write(f"{_display(ref)} {_outcome(before, after).value}\n")
    _check_tenant_role(cluster, out)


def _failure_hint(exc: ApiError, plan: TenantPlan) -> str:
    if isinstance(exc, ConflictError):
        return "; another field manager set these fields: rerun with --force-conflicts to take them"
    if isinstance(exc, ForbiddenError):
        return (
            f"; onboarding needs rights to create ServiceAccounts, RoleBindings and RepoSyncs in "
            f"{plan.namespace} and to bind ClusterRole {TENANT_CLUSTER_ROLE} (a cluster admin has "
            "them), or print the objects and hand them to one"
        )
    return ""


def run(args: argparse.Namespace) -> int:
    """Print or apply the tenant's objects."""
    return init(args, out=sys.stdout, err=sys.stderr)


def init(args: argparse.Namespace, *, out: TextIO, err: TextIO) -> int:
    """`syncd tenant init` with its streams; returns the exit status."""
    plan = plan_from(args, environ=os.environ)
    try:
        check_plan(plan)
    except TenantPlanError as exc:
        err.write(f"syncd: {exc}\n")
        return 2
    if not args.apply:
        out.write(render_yaml(plan))
        return 0
    try:
        cluster = connect(args)
    except ClusterError as exc:
        err.write(f"syncd: {exc}\n")
        return 2
    try:
        apply_plan(plan, cluster=cluster, force=args.force_conflicts, out=out)
    except ApiError as exc:
        err.write(f"syncd: applying failed: {exc}{_failure_hint(exc, plan)}\n")
        return 1
    except ClusterError as exc:  # no answer, or a kind the cluster does not serve
        err.write(f"syncd: {exc}\n")
        return 2
    out.write("\nnext steps:\n")
    out.writelines(f"  {step}\n" for step in next_steps(plan))
    return 0
