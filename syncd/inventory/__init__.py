"""Inventory persistence: the ResourceGroup listing a sync's objects (its ApplySet parent)."""
