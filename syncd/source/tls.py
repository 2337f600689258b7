"""TLS contexts for Git over HTTPS: one per (verification, CA) for every source that shares them.

Given no context, urllib3 builds a new `SSLContext` for every connection it
opens and loads the system's CA store into it: about 0.9 MiB resident per
context with the usual ~140 CAs, kept alive by the keep-alive connection that
uses it. With one connection pool per sync, HTTPS Git cost close to a
megabyte per sync whatever the sync held (measured: 100 idle pools with a
live connection, 92 MiB; with one shared context, 9 MiB).

`TlsContexts` builds each distinct context once: verifying with the system
store, verifying with a private CA (the PEM from the sync's
`caCertSecretRef`; only that CA is trusted, as before), or not verifying
(`noSSLVerify`). The composition root makes one for the process and hands it
to every Git source; a source built without one makes its own, which still
holds one context per source instead of one per connection. Contexts are not
changed after they are built (urllib3 sets `verify_mode` to the value they
already have), so threads may share them.
"""

from __future__ import annotations

import ssl
import threading

from urllib3.util.ssl_ import create_urllib3_context

from syncd.core.errors import SourceFetchError


class TlsContexts:
    """The TLS contexts Git sources use, built once per (verify, CA)."""

    def __init__(self) -> None:
        """No context is built until one is asked for."""
        self._lock = threading.Lock()
        self._contexts: dict[tuple[bool, bytes], ssl.SSLContext] = {}

    def __len__(self) -> int:
        """How many distinct contexts exist."""
        with self._lock:
            return len(self._contexts)

    def context(self, *, verify: bool, ca_pem: bytes = b"") -> ssl.SSLContext:
        """The context that verifies against `ca_pem` (else the system store), or not at all.

        Raises SourceFetchError when `ca_pem` holds no valid certificate.
        """
        key = (verify, ca_pem if verify else b"")
        with self._lock:
            found = self._contexts.get(key)
            if found is None:
                found = _build(verify=verify, ca_pem=key[1])
                self._contexts[key] = found
            return found


def _build(*, verify: bool, ca_pem: bytes) -> ssl.SSLContext:
    if not verify:
        return create_urllib3_context(cert_reqs=ssl.CERT_NONE)
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    if not ca_pem:
        context.load_default_certs()
        return context
    try:
        context.load_verify_locations(cadata=ca_pem.decode("ascii"))
    except (UnicodeDecodeError, ssl.SSLError, ValueError):
        raise SourceFetchError(
            "the CA certificate in the Secret named by spec.git.caCertSecretRef is not PEM text "
            "holding a certificate"
        ) from None
    return context
