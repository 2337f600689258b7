"""What a sync may touch (pure rules); see `policy`."""
