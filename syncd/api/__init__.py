"""The wire schema of syncd's custom resources, their CRDs, and the process settings.

This package is the edge where untyped JSON from the API server (and the
environment) becomes typed values: pydantic models of `RootSync`, `RepoSync`
and `ResourceGroup` (group `syncd.dev`, version `v1beta1`), the generator of
their CustomResourceDefinitions, and `Settings` read from `SYNCD_*`
variables. It imports only `syncd.core`, pydantic and PyYAML.

Modules: `duration` (Go-style duration strings), `wire` (shared model base,
object metadata and error translation to SD1061), `spec` and `status` (the
sync objects' blocks), `models` (the top-level RootSync and RepoSync),
`resourcegroup` (the inventory), `crdgen` and `settings`.
"""
