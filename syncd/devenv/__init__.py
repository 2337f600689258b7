"""Local development environment: real servers on 127.0.0.1.

Owns the launchers that `make demo`, `make cluster` and the e2e tests share: a
Kubernetes control plane built from the published Go modules, a Git server
(`git http-backend` and `git daemon`) and an OCI registry. Nothing here is a
mock; every server is the real program bound to loopback on free ports.
This package is a leaf: product packages never import it, only `cli` does.
"""
