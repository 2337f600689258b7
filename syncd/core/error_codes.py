"""The error codes and their registry: what each code means and what to do next.

Codes are stable API: `SD` plus four digits, registered here once, never
reused, each documented in docs/errors.md. 1xxx codes are about source content
and validation (the user fixes their repository); 2xxx codes are runtime
failures (the cluster, the network or credentials). `syncd.core.errors`
re-exports everything here beside the typed error hierarchy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

CODE_PATTERN: Final = re.compile(r"^SD[12]\d{3}$")


class ErrorCode(StrEnum):
    """Every error code syncd reports. Values are API: never change or reuse one."""

    PARSE_ERROR = "SD1006"
    UNKNOWN_KIND = "SD1021"
    DUPLICATE_OBJECT = "SD1029"
    INVALID_NAME = "SD1036"
    ILLEGAL_NAMESPACE = "SD1053"
    OUTSIDE_TENANT_SCOPE = "SD1058"
    MANAGED_BY_ANOTHER_SYNC = "SD1060"
    INVALID_SYNC_SPEC = "SD1061"
    RENDER_FAILURE = "SD1068"
    INVALID_DEPENDENCY = "SD1070"
    DEPENDENCY_CYCLE = "SD1071"
    SOURCE_TOO_LARGE = "SD1072"
    INVALID_IGNORE_FIELDS = "SD1073"
    NAMESPACE_SUBDIRECTORY = "SD1100"
    ILLEGAL_SELECTOR_ANNOTATION = "SD1101"
    ILLEGAL_ABSTRACT_OBJECT = "SD1102"
    UNKNOWN_SELECTOR = "SD1103"
    INVALID_SELECTOR = "SD1104"
    DYNAMIC_SELECTOR_UNSUPPORTED = "SD1105"
    MISSING_REPO = "SD1106"
    UNSUPPORTED_REPO_VERSION = "SD1107"
    MULTIPLE_REPOS = "SD1108"
    TOP_LEVEL_NAMESPACE = "SD1109"
    NAMESPACE_NAME_MISMATCH = "SD1110"
    HIERARCHY_KIND_IN_UNSTRUCTURED = "SD1111"
    SELECTOR_IN_NAMESPACE_DIRECTORY = "SD1112"
    WRONG_TOP_LEVEL_DIRECTORY = "SD1113"
    UNSUPPORTED_HIERARCHY_KIND = "SD1114"
    ILLEGAL_HIERARCHY_MODE = "SD1115"
    UNSYNCABLE_ABSTRACT_OBJECT = "SD1116"
    SELECTOR_ANNOTATION_CONFLICT = "SD1117"
    NAMESPACE_DECLARATIONS_DISAGREE = "SD1118"
    LIVE_STATE_UNKNOWN = "SD2002"
    SOURCE_FETCH = "SD2004"
    CONTROLLER_FIGHT = "SD2005"
    PRUNE_REFUSED = "SD2006"
    APPLY_FAILURE = "SD2009"
    NAMESPACE_IN_USE = "SD2010"
    NOT_READY = "SD2011"
    PRUNE_INCOMPLETE = "SD2012"
    FORBIDDEN = "SD2013"


class ErrorClass(StrEnum):
    """Who fixes it: the repository's author (source) or the operator (runtime)."""

    SOURCE = "source"
    RUNTIME = "runtime"


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorSpec:
    """What a code means and what the user should do next."""

    code: ErrorCode
    title: str
    next_step: str

    @property
    def error_class(self) -> ErrorClass:
        """1xxx codes are source errors, 2xxx runtime errors."""
        return ErrorClass.SOURCE if self.code.value[2] == "1" else ErrorClass.RUNTIME


def _spec(code: ErrorCode, title: str, next_step: str) -> tuple[ErrorCode, ErrorSpec]:
    return code, ErrorSpec(code=code, title=title, next_step=next_step)


REGISTRY: Final[Mapping[ErrorCode, ErrorSpec]] = MappingProxyType(
    dict(
        [
            _spec(
                ErrorCode.PARSE_ERROR,
                "a file could not be parsed",
                "Fix the YAML or JSON syntax at the reported path; "
                "`syncd vet DIR` checks a directory locally.",
            ),
            _spec(
                ErrorCode.UNKNOWN_KIND,
                "the cluster does not serve this kind",
                "Check apiVersion and kind, or add the CustomResourceDefinition to the "
                "same commit so it is applied first.",
            ),
            _spec(
                ErrorCode.DUPLICATE_OBJECT,
                "the same object is declared more than once",
                "Keep one declaration per group, kind, namespace and name.",
            ),
            _spec(
                ErrorCode.INVALID_NAME,
                "an object's name is not valid for its kind",
                "Use a lowercase DNS-1123 name (letters, digits, '-' and '.'; at most 253 "
                "characters; 63 and no '.' for Namespaces and Services).",
            ),
            _spec(
                ErrorCode.ILLEGAL_NAMESPACE,
                "a namespace is missing or not allowed",
                "Set metadata.namespace on namespaced objects and remove it from "
                "cluster-scoped ones.",
            ),
            _spec(
                ErrorCode.OUTSIDE_TENANT_SCOPE,
                "the object lies outside this tenant's scope",
                "A RepoSync may manage only namespaced objects in its own namespace; "
                "move the object to a RootSync.",
            ),
            _spec(
                ErrorCode.MANAGED_BY_ANOTHER_SYNC,
                "another sync manages this object",
                "Remove the object from one of the two sources, or release it from the "
                "other sync with the annotation syncd.dev/managed: disabled.",
            ),
            _spec(
                ErrorCode.INVALID_SYNC_SPEC,
                "the sync object's spec is invalid",
                "Correct the RootSync or RepoSync spec; `kubectl explain rootsync.spec` "
                "describes every field.",
            ),
            _spec(
                ErrorCode.RENDER_FAILURE,
                "rendering the package failed",
                "Read the tool's message on status.rendering; `syncd render --sync "
                "root-sync.yaml DIR` runs the same renderer locally with the sync's options. "
                "Nothing of the commit was applied or pruned.",
            ),
            _spec(
                ErrorCode.INVALID_DEPENDENCY,
                "a depends-on annotation is malformed or cannot be satisfied",
                "Write config.kubernetes.io/depends-on as comma-separated "
                "<group>/<kind>/<name> or <group>/namespaces/<namespace>/<kind>/<name> "
                "naming objects declared in the same source.",
            ),
            _spec(
                ErrorCode.DEPENDENCY_CYCLE,
                "depends-on annotations form a cycle",
                "Remove one of the depends-on edges named in the message so that the "
                "objects can be applied in order.",
            ),
            _spec(
                ErrorCode.SOURCE_TOO_LARGE,
                "the source passes a size limit",
                "Split or shrink the file or package named in the message, or raise the "
                "limit (SYNCD_MAX_FILE_BYTES, SYNCD_MAX_PACKAGE_BYTES, SYNCD_MAX_OBJECTS, "
                "SYNCD_MAX_DEPTH) on the controller.",
            ),
            _spec(
                ErrorCode.INVALID_IGNORE_FIELDS,
                "a syncd.dev/ignore-fields annotation is malformed",
                "Write syncd.dev/ignore-fields as comma-separated JSON pointers into the "
                "object, e.g. /spec/replicas; identity fields and syncd's own metadata "
                "cannot be ignored.",
            ),
            _spec(
                ErrorCode.NAMESPACE_SUBDIRECTORY,
                "a namespace directory has subdirectories",
                "A directory under namespaces/ that declares a Namespace is a leaf: move the "
                "subdirectories' files up into an abstract directory or into their own "
                "namespace directory.",
            ),
            _spec(
                ErrorCode.ILLEGAL_SELECTOR_ANNOTATION,
                "an object carries a selector annotation it may not have",
                "Remove the namespace-selector annotation from Namespaces and cluster-scoped "
                "objects, and the cluster-selector annotations from Cluster, ClusterSelector "
                "and NamespaceSelector objects.",
            ),
            _spec(
                ErrorCode.ILLEGAL_ABSTRACT_OBJECT,
                "an abstract namespace directory holds a kind that is not inherited",
                "Move the object into a namespace directory, or set its kind's hierarchyMode "
                "to inherit in the HierarchyConfig.",
            ),
            _spec(
                ErrorCode.UNKNOWN_SELECTOR,
                "a selector annotation names no selector declared where it can be used",
                "Declare the NamespaceSelector or ClusterSelector the annotation names (a "
                "NamespaceSelector in the object's directory or a parent of it), or fix the "
                "annotation's value.",
            ),
            _spec(
                ErrorCode.INVALID_SELECTOR,
                "a NamespaceSelector or ClusterSelector is invalid",
                "Give spec.selector at least one matchLabels entry or matchExpressions "
                "requirement with valid label keys, values and operators "
                "(In, NotIn, Exists, DoesNotExist), and spec.mode static or nothing.",
            ),
            _spec(
                ErrorCode.DYNAMIC_SELECTOR_UNSUPPORTED,
                "dynamic NamespaceSelectors are not supported yet",
                "Use spec.mode: static (the Namespaces declared in the repository), or "
                "declare the Namespaces the selector should match in the repository.",
            ),
            _spec(
                ErrorCode.MISSING_REPO,
                "a hierarchy repository declares no Repo",
                "Add a Repo object (configmanagement.gke.io/v1 or syncd.dev/v1beta1) with "
                "spec.version 1.0.0 to system/.",
            ),
            _spec(
                ErrorCode.UNSUPPORTED_REPO_VERSION,
                "the Repo's spec.version is not supported",
                "Set the Repo's spec.version to 1.0.0.",
            ),
            _spec(
                ErrorCode.MULTIPLE_REPOS,
                "a hierarchy repository declares more than one Repo",
                "Keep exactly one Repo object in system/.",
            ),
            _spec(
                ErrorCode.TOP_LEVEL_NAMESPACE,
                "a Namespace is declared directly in namespaces/",
                "Move the Namespace into its own directory, namespaces/<name>/.",
            ),
            _spec(
                ErrorCode.NAMESPACE_NAME_MISMATCH,
                "a Namespace's name differs from its directory's",
                "Rename the Namespace or its directory so that both are the same.",
            ),
            _spec(
                ErrorCode.HIERARCHY_KIND_IN_UNSTRUCTURED,
                "an unstructured repository declares a Repo or HierarchyConfig",
                "Remove the object, or set the sync's sourceFormat to hierarchy.",
            ),
            _spec(
                ErrorCode.SELECTOR_IN_NAMESPACE_DIRECTORY,
                "a NamespaceSelector is declared in a namespace directory",
                "Move the NamespaceSelector to namespaces/ or to an abstract directory above "
                "the namespaces it selects.",
            ),
            _spec(
                ErrorCode.WRONG_TOP_LEVEL_DIRECTORY,
                "an object is in the wrong top-level directory",
                "Move it: Repo and HierarchyConfig to system/, other cluster-scoped objects to "
                "cluster/, Cluster and ClusterSelector to clusterregistry/, Namespaces, "
                "NamespaceSelectors and namespaced objects to namespaces/.",
            ),
            _spec(
                ErrorCode.UNSUPPORTED_HIERARCHY_KIND,
                "a HierarchyConfig names a kind that cannot be configured",
                "List only namespaced kinds other than Namespace and syncd's or Config Sync's "
                "own kinds, and name at least one kind per entry.",
            ),
            _spec(
                ErrorCode.ILLEGAL_HIERARCHY_MODE,
                "a HierarchyConfig uses an unknown hierarchyMode",
                "Set hierarchyMode to inherit or none, or leave it out (inherit).",
            ),
            _spec(
                ErrorCode.UNSYNCABLE_ABSTRACT_OBJECT,
                "an abstract namespace directory holds objects but no namespace below it",
                "Add a namespace directory (one declaring a Namespace) below the directory, "
                "or move the objects to where a Namespace inherits them.",
            ),
            _spec(
                ErrorCode.SELECTOR_ANNOTATION_CONFLICT,
                "an object carries selector annotations that contradict each other",
                "Keep one of cluster-selector and cluster-name-selector, and give the "
                "Config Sync and syncd.dev spellings of one annotation the same value.",
            ),
            _spec(
                ErrorCode.NAMESPACE_DECLARATIONS_DISAGREE,
                "declarations of one Namespace select different inherited objects",
                "Give every declaration of the Namespace in its directory the labels the "
                "NamespaceSelectors read, or select the inherited object by cluster instead.",
            ),
            _spec(
                ErrorCode.LIVE_STATE_UNKNOWN,
                "the live objects of a kind could not be read",
                "Nothing of this kind was applied or pruned in this run; syncd retries. "
                "Check the API server's health and syncd's permission to list the kind.",
            ),
            _spec(
                ErrorCode.SOURCE_FETCH,
                "the source could not be fetched",
                "Check the URL, revision and credentials Secret; the message says which "
                "step failed.",
            ),
            _spec(
                ErrorCode.CONTROLLER_FIGHT,
                "another controller keeps changing a managed object",
                "Find the other writer named in the Event and stop it from managing the "
                "same fields.",
            ),
            _spec(
                ErrorCode.PRUNE_REFUSED,
                "the prune guard refused to delete objects",
                "If the deletions are intended, raise spec.override.prune.maxDeletes or "
                "maxDeletePercent for one sync, then lower it again.",
            ),
            _spec(
                ErrorCode.APPLY_FAILURE,
                "the API server rejected an object",
                "Read the API server's message in the error; fix the object in the source.",
            ),
            _spec(
                ErrorCode.NAMESPACE_IN_USE,
                "a Namespace left the source but holds objects this sync does not manage",
                "syncd keeps the Namespace and retries every run; move or delete the objects "
                "named in the message, or keep the Namespace declared.",
            ),
            _spec(
                ErrorCode.NOT_READY,
                "a managed object is not ready",
                "Read the object's own status (kubectl describe) for why it is not ready, "
                "or wait until a terminating object is gone; syncd re-checks every poll.",
            ),
            _spec(
                ErrorCode.PRUNE_INCOMPLETE,
                "objects being deleted were not gone within reconcileTimeout",
                "Look for finalizers that nothing removes on the named objects; later "
                "deletions wait until these are gone.",
            ),
            _spec(
                ErrorCode.FORBIDDEN,
                "syncd is not allowed to do this",
                "Grant the sync's identity the verb named in the message with a Role or "
                "ClusterRole binding.",
            ),
        ]
    )
)


def spec_for(code: ErrorCode) -> ErrorSpec:
    """The registered meaning of `code`."""
    return REGISTRY[code]
