"""Sources of manifests: Git, OCI artifacts, Helm charts and local directories.

Each source implements `syncd.core.ports.Source`: `resolve()` names the commit
(or digest) the configured revision points at now, `fetch(commit)` puts that
content on disk and returns a `SourceSnapshot` that keeps it there until it
is released. `git` is the only importer of dulwich; `cache` owns the on-disk
cache layout, its locks and worktree eviction; `lease` the reader leases that
keep eviction away from trees being read; `redact` keeps credentials out of
every message.
"""
