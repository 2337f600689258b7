"""Reporting: the sync object's status subresource, Kubernetes Events."""
