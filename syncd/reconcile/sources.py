"""Building a sync's Source from its spec, with credentials read from Secrets.

The Secrets are read from the sync's own namespace, through the cluster the
caller passes: for a RepoSync that is the tenant's impersonated identity, so a
tenant can only name Secrets its service account may read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from pathlib import Path

from syncd.api.models import SyncObject
from syncd.api.spec import GitAuth, SecretReference, SourceType
from syncd.core.errors import SourceFetchError, SyncSpecError
from syncd.core.ports import Cluster, Credentials, Source
from syncd.core.refs import ObjectRef
from syncd.core.render import GitAccess
from syncd.reconcile.parsing import ReadOptions, options_of
from syncd.source.git import GitSource, GitSourceOptions, TlsContexts

SourceFactory = Callable[[Cluster, SyncObject, Path, float], Source]
"""`(cluster, sync, cache_dir, timeout) -> Source`: how a pipeline builds its sync's source."""


def _secret_data(cluster: Cluster, namespace: str, ref: SecretReference) -> dict[str, str]:
    secret_ref = ObjectRef(
        group="", version="v1", kind="Secret", namespace=namespace, name=ref.name
    )
    secret = cluster.get(secret_ref)
    if secret is None:
        raise SourceFetchError(
            f"Secret {namespace}/{ref.name} named by the sync's spec does not exist; create it "
            "with the credentials (keys: username, password or token)"
        )
    decoded = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            decoded[key] = base64.b64decode(value).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise SourceFetchError(
                f"Secret {namespace}/{ref.name} key {key!r} is not valid base64 UTF-8"
            ) from None
    return decoded


def credentials_for(cluster: Cluster, sync: SyncObject) -> Credentials | None:
    """The Git credentials and CA the sync's spec points at, or None."""
    git = sync.spec.git
    if git is None:
        return None
    namespace = sync.metadata.namespace or ""
    username = password = token = ""
    ca = b""
    if git.auth is not GitAuth.NONE and git.secret_ref is not None:
        data = _secret_data(cluster, namespace, git.secret_ref)
        if git.auth is GitAuth.TOKEN:
            token = data.get("token", "")
            username = data.get("username", "")
            if not token:
                raise SourceFetchError(
                    f"Secret {namespace}/{git.secret_ref.name} has no 'token' key (auth: token)"
                )
        elif git.auth is GitAuth.BASIC:
            username, password = data.get("username", ""), data.get("password", "")
            if not username or not password:
                raise SourceFetchError(
                    f"Secret {namespace}/{git.secret_ref.name} needs 'username' and 'password' "
                    "keys (auth: basic)"
                )
        else:
            raise SyncSpecError(f"spec.git.auth: {git.auth.value} is not supported yet")
    if git.ca_cert_secret_ref is not None:
        ca = _secret_data(cluster, namespace, git.ca_cert_secret_ref).get("cert", "").encode()
    if not (username or password or token or ca):
        return None
    return Credentials(username=username, password=password, token=token, ca_cert_pem=ca)


def spec_source(
    cluster: Cluster,
    sync: SyncObject,
    cache_dir: Path,
    timeout: float,
    *,
    tls: TlsContexts | None = None,
) -> Source:
    """The `SourceFactory` that builds the Source the sync's spec describes.

    `tls` is the process's TLS contexts for Git over HTTPS (`spec_sources`); None gives
    the source its own.
    """
    if sync.spec.source_type is not SourceType.GIT or sync.spec.git is None:
        raise SyncSpecError(
            f"spec.sourceType: {sync.spec.source_type.value} is not supported yet; use git"
        )
    git = sync.spec.git
    options = GitSourceOptions(
        repo=git.repo,
        branch=git.branch,
        revision=git.revision or "",
        directory=git.dir,
        credentials=credentials_for(cluster, sync),
        no_ssl_verify=git.no_ssl_verify,
        timeout=timeout,
    )
    return GitSource(options, cache_dir=cache_dir, tls=tls)


def spec_sources(tls: TlsContexts) -> SourceFactory:
    """`spec_source` for every sync of one process, all sharing `tls` (one context per CA)."""

    def build(cluster: Cluster, sync: SyncObject, cache_dir: Path, timeout: float) -> Source:
        return spec_source(cluster, sync, cache_dir, timeout, tls=tls)

    return build


def read_options(cluster: Cluster, sync: SyncObject, *, cluster_name: str = "") -> ReadOptions:
    """How the sync's commits are rendered and placed, with its Git access for remote bases."""
    git = sync.spec.git
    access = None
    if git is not None:
        access = GitAccess(
            url=git.repo,
            credentials=credentials_for(cluster, sync),
            no_ssl_verify=git.no_ssl_verify,
        )
    return options_of(sync, cluster_name=cluster_name, git=access)
