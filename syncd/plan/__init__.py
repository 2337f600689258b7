"""Plan stage (pure): compare declared objects with live ones and the inventory.

`hashing` fingerprints declared bodies, `diff` finds drifted fields, `plan`
decorates bodies with syncd's metadata and decides each object's action.
"""
