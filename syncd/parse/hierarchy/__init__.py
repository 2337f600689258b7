"""Config Sync's repository formats: the hierarchy and its selectors (pure).

A repository written for Config Sync syncs unchanged. In the hierarchy
format the caller runs `read_hierarchy` (placement by top-level directory,
the namespace tree, inheritance limited by HierarchyConfig and
NamespaceSelectors), then, in both formats, `select_objects`
(ClusterSelectors, cluster-name-selectors, unstructured NamespaceSelectors,
duplicates). Neither raises for bad input: errors come back as values and
the invalid objects are left out. Names of kinds and annotations, under
Config Sync's spelling and syncd's, live in `names`. docs/hierarchy.md
describes the rules.
"""

from syncd.parse.hierarchy.results import HierarchyResult, SelectionResult
from syncd.parse.hierarchy.select import select_objects
from syncd.parse.hierarchy.tree import read_hierarchy

__all__ = ["HierarchyResult", "SelectionResult", "read_hierarchy", "select_objects"]
