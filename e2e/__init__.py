"""End-to-end tests: real control plane, real Git server, real OCI registry."""
