"""Sources of manifests: Git, OCI artifacts, Helm charts and local directories.

Each source implements `syncd.core.ports.Source`: `resolve()` names the commit
(or digest) the configured revision points at now, `fetch(commit)` puts that
content on disk and returns a `SourceSnapshot`. `git` is the only importer of
dulwich; `cache` owns the on-disk cache layout and its locks; `redact` keeps
credentials out of every message.
"""
