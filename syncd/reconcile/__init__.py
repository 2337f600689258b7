"""The reconcile loop: pipeline, per-sync worker and queue, and the manager."""
