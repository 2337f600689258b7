"""Pure values and rules shared by every stage (standard library only).

Object identity, the error-code registry and, as they arrive, manifests,
plans, apply ordering, inventory set algebra and conditions. Nothing here
performs I/O; sibling stages hand values to each other through this package.
"""
