"""Acting on the cluster: read live state, apply in staged parallel waves, wait, prune."""
