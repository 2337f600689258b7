"""The render stage: turning a fetched package into the objects to apply."""
