"""Composition root and subcommands: the only place that names concrete classes."""
