"""The spec of RootSync and RepoSync: where the package comes from and how to sync it.

Owns the source blocks (`git`, `oci`, `helm`, `local`), the `override`
block, their enums and defaults, and the semantic rules a JSON schema cannot
express (the block named by `sourceType` is present and no other is,
credentials have a Secret, a Role reference has a namespace). Defaults here
are also the CRD's defaults, so an object read back from the API server is
already in the form `to_object` writes.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from syncd.api.duration import parse_duration
from syncd.api.render_spec import RenderSpec
from syncd.api.wire import Duration, RelativeDir, WireModel, empty_list, spec_problems_error
from syncd.core.render import LoadRestrictor

NonEmpty = Annotated[str, Field(min_length=1)]


class SourceType(StrEnum):
    """Where the package comes from."""

    GIT = "git"
    OCI = "oci"
    HELM = "helm"
    LOCAL = "local"


class SourceFormat(StrEnum):
    """How a RootSync's repository is laid out."""

    UNSTRUCTURED = "unstructured"
    HIERARCHY = "hierarchy"


class GitAuth(StrEnum):
    """How syncd authenticates to a Git server."""

    NONE = "none"
    TOKEN = "token"  # noqa: S105 - the name of a credential type, not a secret
    BASIC = "basic"
    SSH = "ssh"


class RegistryAuth(StrEnum):
    """How syncd authenticates to an OCI registry or Helm repository."""

    NONE = "none"
    TOKEN = "token"  # noqa: S105 - the name of a credential type, not a secret
    BASIC = "basic"


class StatusMode(StrEnum):
    """Whether per-object status is collected into the ResourceGroup."""

    ENABLED = "enabled"
    DISABLED = "disabled"


class RoleKind(StrEnum):
    """The kind of role a RootSync's identity is bound to."""

    ROLE = "Role"
    CLUSTER_ROLE = "ClusterRole"


class SecretReference(WireModel):
    """A Secret in the sync object's namespace."""

    name: NonEmpty
    """Name of the Secret."""


class GitSource(WireModel):
    """A Git repository to sync from."""

    repo: NonEmpty
    """URL of the repository (https://, ssh:// or git@host:path)."""
    branch: NonEmpty = "main"
    """Branch to follow when no revision is given."""
    revision: str | None = None
    """Branch, tag or commit to sync; default the head of the branch."""
    dir: RelativeDir = "."
    """Directory inside the repository holding the package."""
    period: Duration = "15s"
    """How often to poll for new commits (Go duration, e.g. 15s, 1m)."""
    auth: GitAuth = GitAuth.NONE
    """Credential type; anything but none needs secretRef."""
    secret_ref: SecretReference | None = None
    """Secret with the credentials (keys token, username/password, or ssh)."""
    ca_cert_secret_ref: SecretReference | None = None
    """Secret whose cert key holds a CA bundle for the Git server."""
    no_ssl_verify: bool = False
    """Skip TLS certificate verification (never in production)."""


class OciVerify(WireModel):
    """Signature verification of an OCI artifact."""

    secret_ref: SecretReference
    """Secret holding the cosign public key."""


class OciSource(WireModel):
    """An OCI artifact holding the package."""

    image: NonEmpty
    """Image reference, by tag or by @sha256: digest."""
    dir: RelativeDir = "."
    """Directory inside the artifact holding the package."""
    period: Duration = "15s"
    """How often to poll the registry (Go duration)."""
    auth: RegistryAuth = RegistryAuth.NONE
    """Credential type; anything but none needs secretRef."""
    secret_ref: SecretReference | None = None
    """Secret with the registry credentials."""
    verify: OciVerify | None = None
    """Verify the artifact's signature before using it."""


class ValuesFileRef(WireModel):
    """A ConfigMap key holding a Helm values file."""

    name: NonEmpty
    """Name of the ConfigMap in the sync object's namespace."""
    key: NonEmpty = "values.yaml"
    """Key of the values file in the ConfigMap."""


class HelmSource(WireModel):
    """A Helm chart to render."""

    repo: Annotated[str, Field(pattern=r"^(https?|oci)://.+")]
    """Chart repository URL (https:// or oci://)."""
    chart: NonEmpty
    """Name of the chart."""
    version: str | None = None
    """Exact version or semver range; default the latest."""
    release_name: str | None = None
    """Release name used while rendering; default the chart name."""
    namespace: str | None = None
    """Namespace for the chart's namespaced objects."""
    values: dict[str, Any] | None = None
    """Inline values, merged after valuesFileRefs."""
    values_file_refs: list[ValuesFileRef] = empty_list()
    """Values files from ConfigMaps, merged in order."""
    include_crds: bool = False
    """Render the chart's CRDs too."""
    period: Duration = "15s"
    """How often to check for a new chart version (Go duration)."""
    auth: RegistryAuth = RegistryAuth.NONE
    """Credential type; anything but none needs secretRef."""
    secret_ref: SecretReference | None = None
    """Secret with the repository credentials."""


class LocalSource(WireModel):
    """A local directory (development mode, watched for changes)."""

    path: NonEmpty
    """Directory on the controller's filesystem."""


class PruneGuard(WireModel):
    """Limits on deletions per commit; a commit over a limit is refused (SD2006)."""

    max_deletes: Annotated[int, Field(ge=0)] | None = None
    """Most objects one commit may delete; unset means no count limit."""
    max_delete_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    """Most objects one commit may delete, as a percentage of the inventory."""


class RoleRef(WireModel):
    """A role a RootSync's identity is bound to."""

    kind: RoleKind
    """Role or ClusterRole."""
    name: NonEmpty
    """Name of the role."""
    namespace: str | None = None
    """Namespace of the binding; required for a Role, cluster-wide binding if unset."""


class Override(WireModel):
    """Tuning shared by RootSync and RepoSync."""

    reconcile_timeout: Duration = "5m"
    """How long to wait for applied objects to become ready."""
    api_server_timeout: Duration = "15s"
    """Timeout of each request to the API server."""
    status_mode: StatusMode = StatusMode.ENABLED
    """Collect per-object status into the ResourceGroup."""
    prune: PruneGuard | None = None
    """Guards on deletions."""

    @property
    def reconcile_timeout_seconds(self) -> float:
        """`reconcileTimeout` in seconds."""
        return parse_duration(self.reconcile_timeout).total_seconds()


class RootSyncOverride(Override):
    """Tuning of a RootSync."""

    role_refs: list[RoleRef] = empty_list()
    """Roles to bind the RootSync's identity to instead of cluster-admin."""


_BLOCKS = tuple(SourceType)


def _credential_problems(
    block: str, auth: GitAuth | RegistryAuth, secret: SecretReference | None
) -> list[tuple[str, str]]:
    if auth.value != "none" and secret is None:
        return [(f"{block}.secretRef", f"required when {block}.auth is {auth.value}")]
    return []


class SyncSpec(WireModel):
    """What RootSync and RepoSync specs share."""

    source_type: SourceType = SourceType.GIT
    """Which source block is used."""
    git: GitSource | None = None
    """The Git source (sourceType git)."""
    oci: OciSource | None = None
    """The OCI source (sourceType oci)."""
    helm: HelmSource | None = None
    """The Helm source (sourceType helm)."""
    local: LocalSource | None = None
    """The local directory source (sourceType local)."""
    suspend: bool = False
    """Stop applying and pruning; keep fetching and reporting."""
    render: RenderSpec = Field(default_factory=RenderSpec, json_schema_extra={"default": {}})
    """How the package is rendered (kustomize, Helm, kpt or plain; detected by default)."""

    def problems(self) -> list[tuple[str, str]]:
        """Semantic problems as (field path relative to spec, message) pairs."""
        found: list[tuple[str, str]] = []
        chosen = self.source_type.value
        for block in _BLOCKS:
            present = getattr(self, block.value) is not None
            if block is self.source_type and not present:
                found.append((block.value, f"required when sourceType is {chosen}"))
            elif block is not self.source_type and present:
                found.append((block.value, f"must not be set when sourceType is {chosen}"))
        if self.git is not None:
            found += _credential_problems("git", self.git.auth, self.git.secret_ref)
            if self.git.no_ssl_verify and self.git.ca_cert_secret_ref is not None:
                found.append(("git.noSSLVerify", "must not be true when caCertSecretRef is set"))
        if self.oci is not None:
            found += _credential_problems("oci", self.oci.auth, self.oci.secret_ref)
        if self.helm is not None:
            found += _credential_problems("helm", self.helm.auth, self.helm.secret_ref)
        return found

    @model_validator(mode="after")
    def _semantics(self) -> Self:
        problems = self.problems()
        if problems:
            raise spec_problems_error(problems)
        return self

    @property
    def source_block(self) -> GitSource | OciSource | HelmSource | LocalSource:
        """The block `sourceType` selects (present once validation passed)."""
        block: GitSource | OciSource | HelmSource | LocalSource | None = getattr(
            self, self.source_type.value
        )
        if block is None:  # unreachable after validation
            raise ValueError(f"spec.{self.source_type.value} is not set")
        return block


class RootSyncSpec(SyncSpec):
    """The desired state of a RootSync."""

    source_format: SourceFormat = SourceFormat.UNSTRUCTURED
    """Repository layout: unstructured, or hierarchy (cluster/, namespaces/)."""
    default_namespace: (
        Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")] | None
    ) = None
    """Namespace for namespaced objects that name none; default `default`."""
    override: RootSyncOverride = Field(
        default_factory=RootSyncOverride, json_schema_extra={"default": {}}
    )
    """Tuning; every field has a default."""

    def problems(self) -> list[tuple[str, str]]:
        """Shared problems plus a Role reference without a namespace."""
        found = super().problems()
        for index, role in enumerate(self.override.role_refs):
            if role.kind is RoleKind.ROLE and not role.namespace:
                found.append(
                    (f"override.roleRefs[{index}].namespace", "required when kind is Role")
                )
        return found


_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]")
_REMOTE_SCHEMES = ("https://", "http://", "ssh://", "git://")


def local_repo_problem(repo: str) -> str:
    """Why `repo` names this machine's files rather than a remote ('' when it is remote)."""
    if repo.lower().startswith(_REMOTE_SCHEMES) or _SCP_LIKE.match(repo):
        return ""
    return (
        "must be a remote repository URL (https://, http://, ssh://, git:// or user@host:path); "
        "file:// URLs and local paths are allowed for a RootSync only"
    )


class RepoSyncSpec(SyncSpec):
    """The desired state of a RepoSync."""

    source_format: SourceFormat = SourceFormat.UNSTRUCTURED
    """Repository layout; only unstructured: the hierarchy format is for RootSync."""
    service_account_name: (
        Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")] | None
    ) = None
    """Service account the RepoSync acts as; default syncd-<name>."""
    override: Override = Field(default_factory=Override, json_schema_extra={"default": {}})
    """Tuning; every field has a default."""

    def problems(self) -> list[tuple[str, str]]:
        """Shared problems plus what only a RootSync may do.

        That is a lifted kustomize load restrictor, the hierarchy format, the
        local source and Git repositories on this machine (file://, paths).
        """
        found = super().problems()
        if self.render.kustomize.load_restrictor is LoadRestrictor.NONE:
            found.append(("render.kustomize.loadRestrictor", "none is allowed for a RootSync only"))
        if self.source_format is SourceFormat.HIERARCHY:
            found.append(("sourceFormat", "hierarchy is allowed for a RootSync only"))
        if self.source_type is SourceType.LOCAL or self.local is not None:
            found.append(("local", "the local source is allowed for a RootSync only"))
        if self.git is not None and (problem := local_repo_problem(self.git.repo)):
            found.append(("git.repo", problem))
        return found
