"""Periodic triggers: the only importer of apscheduler (3.x)."""
