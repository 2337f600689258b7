"""Smoke tests of the real OCI registry: oras-py push/pull and raw HTTP checks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from e2e.servers import OciRegistryAuth
from syncd.devenv.registry import ArtifactError, OciRegistry, pull_artifact, push_artifact

pytestmark = pytest.mark.e2e

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def raw_get(
    url: str, *, accept: str | None = None, auth: tuple[str, str] | None = None
) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url)
    if accept:
        request.add_header("Accept", accept)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_push_pull_round_trip(oci_registry: OciRegistry, tmp_path: Path) -> None:
    files = {"app.yaml": b"kind: ConfigMap\n", "blob.bin": os.urandom(4096)}

    digest = push_artifact(oci_registry.host, "team/app", "v1", files)

    status, headers, body = raw_get(
        f"{oci_registry.url}/v2/team/app/manifests/v1", accept=OCI_MANIFEST
    )
    assert status == 200
    assert headers["Content-Type"] == OCI_MANIFEST
    assert digest == "sha256:" + hashlib.sha256(body).hexdigest()
    assert headers["Docker-Content-Digest"] == digest
    manifest = json.loads(body)
    layers = {
        layer["annotations"]["org.opencontainers.image.title"]: layer["digest"]
        for layer in manifest["layers"]
    }
    assert set(layers) == set(files)
    for name, layer_digest in layers.items():
        status, _, blob = raw_get(f"{oci_registry.url}/v2/team/app/blobs/{layer_digest}")
        assert status == 200
        assert blob == files[name]

    written = pull_artifact(oci_registry.host, "team/app", "v1", dest=tmp_path / "out")

    assert sorted(p.name for p in written) == sorted(files)
    for path in written:
        assert path.read_bytes() == files[path.name]


def test_push_from_directory(oci_registry: OciRegistry, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "one.yaml").write_bytes(b"one\n")
    (src / "two.yaml").write_bytes(b"two\n")

    first = push_artifact(oci_registry.host, "dir/app", "latest", src)
    again = push_artifact(oci_registry.host, "dir/app", "latest", src)

    written = pull_artifact(oci_registry.host, "dir/app", "latest", dest=tmp_path / "out")
    assert {p.name: p.read_bytes() for p in written} == {"one.yaml": b"one\n", "two.yaml": b"two\n"}
    assert first == again  # same content, same manifest


def test_auth_registry_challenges_anonymous_requests(
    oci_registry_auth: OciRegistryAuth,
) -> None:
    creds = oci_registry_auth

    status, headers, _ = raw_get(f"{creds.registry.url}/v2/")
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Basic ")
    assert 'realm="syncd-test"' in headers["WWW-Authenticate"]

    status, _, _ = raw_get(f"{creds.registry.url}/v2/", auth=(creds.username, "wrong"))
    assert status == 401
    status, _, _ = raw_get(f"{creds.registry.url}/v2/", auth=(creds.username, creds.password))
    assert status == 200


def test_auth_registry_push_pull_with_credentials(
    oci_registry_auth: OciRegistryAuth, tmp_path: Path
) -> None:
    creds = oci_registry_auth
    host = creds.registry.host
    files = {"config.json": b'{"replicas": 3}\n'}

    digest = push_artifact(
        host, "private/app", "1.0.0", files, username=creds.username, password=creds.password
    )

    url = f"{creds.registry.url}/v2/private/app/manifests/1.0.0"
    assert raw_get(url, accept=OCI_MANIFEST)[0] == 401
    status, _, body = raw_get(url, accept=OCI_MANIFEST, auth=(creds.username, creds.password))
    assert status == 200
    assert digest == "sha256:" + hashlib.sha256(body).hexdigest()
    written = pull_artifact(
        host,
        "private/app",
        "1.0.0",
        dest=tmp_path / "out",
        username=creds.username,
        password=creds.password,
    )
    assert [(p.name, p.read_bytes()) for p in written] == list(files.items())


def test_auth_registry_rejects_wrong_password(oci_registry_auth: OciRegistryAuth) -> None:
    creds = oci_registry_auth
    wrong = "not-" + creds.password

    with pytest.raises(ArtifactError) as failure:
        push_artifact(
            creds.registry.host,
            "private/denied",
            "v1",
            {"a.txt": b"a\n"},
            username=creds.username,
            password=wrong,
        )

    assert wrong not in str(failure.value)
    status, _, _ = raw_get(
        f"{creds.registry.url}/v2/private/denied/manifests/v1",
        accept=OCI_MANIFEST,
        auth=(creds.username, creds.password),
    )
    assert status == 404
