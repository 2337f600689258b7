"""Connection settings for the API server, from a kubeconfig or the in-cluster account.

`kubernetes.config` is used only to read kubeconfig files (contexts, exec
plugins, certificate data written to temporary files) and the in-cluster
service account; everything after that is syncd's own `Connection`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from syncd.core.errors import ClusterError

IN_CLUSTER_TOKEN_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
DEFAULT_KUBECONFIG = Path("~/.kube/config")


class ConnectionConfigError(ClusterError):
    """No usable kubeconfig or in-cluster configuration; the message says what was tried."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    """Where the API server is and how to authenticate to it.

    Exactly one of `ca_file` / `ca_data` is normally set (neither means the
    system trust store). `token_file` (in-cluster) is re-read by the client so
    that rotated service-account tokens are picked up. Secrets never appear in
    the repr.
    """

    server: str
    ca_file: Path | None = None
    ca_data: str = field(default="", repr=False)
    bearer_token: str = field(default="", repr=False)
    token_file: Path | None = None
    client_cert_file: Path | None = None
    client_key_file: Path | None = None
    insecure: bool = False
    tls_server_name: str = ""

    def secrets(self) -> tuple[str, ...]:
        """Strings that must never appear in logs or error messages."""
        return tuple(s for s in (self.bearer_token, self.ca_data) if s)


def load_connection(kubeconfig: Path | None, *, context: str | None = None) -> Connection:
    """Read connection settings.

    With `kubeconfig`, that file (and `context`, default its current
    context). Without it: the in-cluster service account when running in a
    pod, else `$KUBECONFIG` or `~/.kube/config`. Raises ConnectionConfigError
    when none of them is usable.
    """
    if kubeconfig is not None:
        return _from_kubeconfig(kubeconfig, context=context)
    if context is None and _in_cluster_available():
        return _from_in_cluster()
    env = os.environ.get("KUBECONFIG", "")
    default = Path(env.split(os.pathsep)[0]) if env else DEFAULT_KUBECONFIG.expanduser()
    if not default.is_file():
        raise ConnectionConfigError(
            "no Kubernetes configuration: not running in a cluster (KUBERNETES_SERVICE_HOST "
            f"unset or no service-account token) and no kubeconfig at {default}; "
            "pass --kubeconfig"
        )
    return _from_kubeconfig(default, context=context)


def _in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and IN_CLUSTER_TOKEN_FILE.is_file()


def _from_kubeconfig(path: Path, *, context: str | None) -> Connection:
    if not path.is_file():
        raise ConnectionConfigError(f"kubeconfig {path} does not exist")
    cfg = k8s_client.Configuration()
    try:
        k8s_config.load_kube_config(
            config_file=str(path), context=context, client_configuration=cfg, persist_config=False
        )
    except (ConfigException, OSError, ValueError, KeyError, TypeError) as exc:
        where = f" (context {context!r})" if context else ""
        raise ConnectionConfigError(
            f"kubeconfig {path}{where} is not usable: {type(exc).__name__}: {exc}"
        ) from None
    return _connection_from(cfg, token_file=None, origin=str(path))


def _from_in_cluster() -> Connection:
    cfg = k8s_client.Configuration()
    try:
        k8s_config.load_incluster_config(client_configuration=cfg)
    except (ConfigException, OSError) as exc:
        raise ConnectionConfigError(f"in-cluster configuration is not usable: {exc}") from None
    return _connection_from(cfg, token_file=IN_CLUSTER_TOKEN_FILE, origin="in-cluster")


def _connection_from(
    cfg: k8s_client.Configuration, *, token_file: Path | None, origin: str
) -> Connection:
    server = str(cfg.host or "").rstrip("/")
    if not server.startswith(("https://", "http://")):
        raise ConnectionConfigError(f"{origin}: server URL {server!r} is not http(s)")
    authorization = str((cfg.api_key or {}).get("authorization") or "")
    scheme, _, credential = authorization.partition(" ")
    if authorization and scheme.lower() != "bearer":
        raise ConnectionConfigError(
            f"{origin}: only bearer tokens and client certificates are supported, "
            f"not {scheme or 'this'} authorization"
        )
    return Connection(
        server=server,
        ca_file=_path_or_none(cfg.ssl_ca_cert),
        bearer_token=credential.strip(),
        token_file=token_file,
        client_cert_file=_path_or_none(cfg.cert_file),
        client_key_file=_path_or_none(cfg.key_file),
        insecure=not bool(cfg.verify_ssl),
        tls_server_name=str(getattr(cfg, "tls_server_name", None) or ""),
    )


def _path_or_none(value: object) -> Path | None:
    return Path(str(value)) if value else None
