"""Connection settings come from a kubeconfig (or the in-cluster account), never leaking secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from syncd.cluster.config import Connection, ConnectionConfigError, load_connection


def _kubeconfig(tmp_path: Path, *, user: dict[str, Any], name: str = "config") -> Path:
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c1",
                "cluster": {"server": "https://127.0.0.1:6443", "certificate-authority": str(ca)},
            },
            {
                "name": "c2",
                "cluster": {"server": "https://10.0.0.2:443", "insecure-skip-tls-verify": True},
            },
        ],
        "users": [{"name": "u1", "user": user}, {"name": "u2", "user": {"token": "other-token"}}],
        "contexts": [
            {"name": "one", "context": {"cluster": "c1", "user": "u1"}},
            {"name": "two", "context": {"cluster": "c2", "user": "u2"}},
        ],
        "current-context": "one",
    }
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


def test_a_token_kubeconfig_gives_server_ca_and_bearer_token(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, user={"token": "s3cret-token"})
    conn = load_connection(path)
    assert conn.server == "https://127.0.0.1:6443"
    assert conn.ca_file == tmp_path / "ca.crt"
    assert conn.bearer_token == "s3cret-token"
    assert conn.insecure is False
    assert conn.token_file is None


def test_the_context_argument_selects_another_cluster_and_user(tmp_path: Path) -> None:
    conn = load_connection(_kubeconfig(tmp_path, user={"token": "t"}), context="two")
    assert conn.server == "https://10.0.0.2:443"
    assert conn.bearer_token == "other-token"
    assert conn.insecure is True


def test_client_certificates_are_passed_as_files(tmp_path: Path) -> None:
    cert, key = tmp_path / "client.crt", tmp_path / "client.key"
    cert.write_text("cert")
    key.write_text("key")
    conn = load_connection(
        _kubeconfig(tmp_path, user={"client-certificate": str(cert), "client-key": str(key)})
    )
    assert (conn.client_cert_file, conn.client_key_file) == (cert, key)
    assert conn.bearer_token == ""


def test_secrets_never_appear_in_the_repr() -> None:
    conn = Connection(server="https://x", bearer_token="s3cret-token", ca_data="PEMDATA")
    assert "s3cret-token" not in repr(conn)
    assert "PEMDATA" not in repr(conn)
    assert conn.secrets() == ("s3cret-token", "PEMDATA")


def test_basic_auth_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = _kubeconfig(tmp_path, user={"username": "admin", "password": "pw-123"})
    with pytest.raises(ConnectionConfigError, match="only bearer tokens") as info:
        load_connection(path)
    assert "pw-123" not in str(info.value)


def test_a_missing_kubeconfig_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConnectionConfigError, match="does not exist"):
        load_connection(tmp_path / "nope")


def test_an_unknown_context_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConnectionConfigError, match="context 'three'"):
        load_connection(_kubeconfig(tmp_path, user={"token": "t"}), context="three")


def test_without_kubeconfig_the_kubeconfig_env_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _kubeconfig(tmp_path, user={"token": "env-token"}, name="from-env")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(path))
    assert load_connection(None).bearer_token == "env-token"


def test_without_any_configuration_the_error_says_what_was_tried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ConnectionConfigError, match="not running in a cluster") as info:
        load_connection(None)
    assert str(tmp_path / ".kube" / "config") in str(info.value)
