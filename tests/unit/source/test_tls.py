"""Git over HTTPS shares TLS contexts: one per (verification, CA), never one per connection."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest

from syncd.core.errors import SourceFetchError
from syncd.core.ports import Credentials
from syncd.devenv.pki import write_pki
from syncd.source.git_options import GitSourceOptions, parse_remote
from syncd.source.git_transport import new_client
from syncd.source.tls import TlsContexts


def _pool_context(url: str, tls: TlsContexts, **options: object) -> object:
    opts = GitSourceOptions(repo=url, **options)  # type: ignore[arg-type]
    client = new_client(parse_remote(opts), opts, tls=tls)
    return client.pool_manager.connection_pool_kw.get("ssl_context")  # type: ignore[attr-defined]


def test_every_https_source_gets_the_same_context_for_the_same_trust() -> None:
    tls = TlsContexts()
    first = _pool_context("https://a.invalid/r.git", tls)
    second = _pool_context("https://b.invalid/other.git", tls)
    assert isinstance(first, ssl.SSLContext)
    assert first is second
    assert first.verify_mode is ssl.CERT_REQUIRED
    assert len(tls) == 1


def test_no_verification_and_a_private_ca_are_contexts_of_their_own(tmp_path: Path) -> None:
    pem = write_pki(tmp_path, now=dt.datetime.now(dt.UTC)).ca_cert.read_bytes()
    tls = TlsContexts()
    system = tls.context(verify=True)
    insecure = _pool_context("https://a.invalid/r.git", tls, no_ssl_verify=True)
    private = _pool_context(
        "https://a.invalid/r.git", tls, credentials=Credentials(ca_cert_pem=pem)
    )
    assert isinstance(insecure, ssl.SSLContext)
    assert insecure.verify_mode is ssl.CERT_NONE
    assert not insecure.check_hostname
    assert isinstance(private, ssl.SSLContext)
    assert len({id(system), id(insecure), id(private)}) == 3
    assert private is tls.context(verify=True, ca_pem=pem)
    assert [c["subject"] for c in private.get_ca_certs()] == [
        c["subject"] for c in ssl.create_default_context(cadata=pem.decode()).get_ca_certs()
    ]


def test_plain_http_builds_no_tls_context() -> None:
    tls = TlsContexts()
    assert _pool_context("http://a.invalid/r.git", tls) is None
    assert len(tls) == 0


@pytest.mark.parametrize("pem", [b"not a certificate", "caf\u00e9".encode()])
def test_a_ca_that_is_not_a_pem_certificate_is_a_fetch_error(pem: bytes) -> None:
    with pytest.raises(SourceFetchError, match=r"ls-remote https://a.invalid/r.git failed: .*PEM"):
        _pool_context(
            "https://a.invalid/r.git", TlsContexts(), credentials=Credentials(ca_cert_pem=pem)
        )
