"""Labels and annotations syncd writes on managed objects, and those it honours.

These keys are API: users select on them and tools read them.
"""

from __future__ import annotations

from typing import Final

FIELD_MANAGER: Final = "syncd"

# Written by syncd on every managed object.
MANAGED_BY_LABEL: Final = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE: Final = "syncd"
MANAGER_ANNOTATION: Final = "syncd.dev/manager"  # <kind>/<namespace>/<name> of the owning sync
SOURCE_PATH_ANNOTATION: Final = "syncd.dev/source-path"
COMMIT_ANNOTATION: Final = "syncd.dev/commit"  # the commit that last changed the object
HASH_ANNOTATION: Final = "syncd.dev/declared-hash"  # hash of the declared content

# ApplySet (KEP-3659; the names kubectl ships, not the KEP prose).
APPLYSET_PART_OF_LABEL: Final = "applyset.kubernetes.io/part-of"
APPLYSET_ID_LABEL: Final = "applyset.kubernetes.io/id"
APPLYSET_TOOLING_ANNOTATION: Final = "applyset.kubernetes.io/tooling"
APPLYSET_GROUP_KINDS_ANNOTATION: Final = "applyset.kubernetes.io/contains-group-kinds"
APPLYSET_NAMESPACES_ANNOTATION: Final = "applyset.kubernetes.io/additional-namespaces"
APPLYSET_PARENT_TYPE_LABEL: Final = "applyset.kubernetes.io/is-parent-type"

# Written by users; syncd honours them.
DEPENDS_ON_ANNOTATION: Final = "config.kubernetes.io/depends-on"
LOCAL_CONFIG_ANNOTATION: Final = "config.kubernetes.io/local-config"
DELETION_ANNOTATION: Final = "client.lifecycle.config.k8s.io/deletion"
DELETION_DETACH: Final = "detach"
MUTATION_ANNOTATION: Final = "client.lifecycle.config.k8s.io/mutation"
MUTATION_IGNORE: Final = "ignore"
IGNORE_FIELDS_ANNOTATION: Final = "syncd.dev/ignore-fields"  # JSON pointers syncd sets once
MANAGED_ANNOTATION: Final = "syncd.dev/managed"
MANAGED_DISABLED: Final = "disabled"
DELETION_PROPAGATION_ANNOTATION: Final = "syncd.dev/deletion-propagation"
DELETION_FOREGROUND: Final = "Foreground"
# On a sync object whose deletion must first delete what it manages.
SYNC_FINALIZER: Final = "syncd.dev/delete-managed-objects"

# Every key syncd adds, removed when it lets go of an object.
SYNCD_LABELS: Final = (MANAGED_BY_LABEL, APPLYSET_PART_OF_LABEL)
SYNCD_ANNOTATIONS: Final = (
    MANAGER_ANNOTATION,
    SOURCE_PATH_ANNOTATION,
    COMMIT_ANNOTATION,
    HASH_ANNOTATION,
)
