"""The `ensure-name-substring` built-in, after the kpt function catalogue's.

Config: a ConfigMap with one of `data.prepend` / `data.append`, or an
`EnsureNameSubstring` (`substring`, `editMode: prepend|append`, default
prepend; `additionalNameFields` is not supported and is an error). Every
object other than a CustomResourceDefinition, Namespace or APIService (and
local-config objects) whose name does not already contain the substring gets
it. References follow: the name segment of `depends-on` annotations naming a
renamed object, and, in pod specs (workloads, CronJobs, Pods), ConfigMap and
Secret volumes, `envFrom`, `env.valueFrom` key refs, `imagePullSecrets` and
`serviceAccountName`, plus RoleBinding/ClusterRoleBinding ServiceAccount
subjects and `roleRef`. (kustomize's full name-reference table is larger.)
"""

from __future__ import annotations

from typing import Any, Final

from syncd.render.kpt.annotations import annotations_of, is_local_config
from syncd.render.kpt.builtins.common import config_data, failure, info, is_typed, nested
from syncd.render.kpt.model import Deadline, FunctionOutcome

_SKIPPED: Final = frozenset({"CustomResourceDefinition", "Namespace", "APIService"})
DEPENDS_ON: Final = "config.kubernetes.io/depends-on"


def ensure_name_substring(
    items: list[dict[str, Any]], config: dict[str, Any] | None, *, deadline: Deadline
) -> FunctionOutcome:
    """Run ensure-name-substring over `items` (changed in place and returned)."""
    del deadline
    settings = _config(config)
    if isinstance(settings, str):
        return failure(settings)
    substring, prepend = settings
    renamed: dict[tuple[str, str], str] = {}
    for item in items:
        metadata = item.get("metadata")
        if is_local_config(item) or item.get("kind") in _SKIPPED or not isinstance(metadata, dict):
            continue
        name = metadata.get("name")
        if not isinstance(name, str) or substring in name:
            continue
        new = substring + name if prepend else name + substring
        metadata["name"] = new
        renamed[(str(item.get("kind")), name)] = new
    for item in items:
        if not is_local_config(item):
            _references(item, renamed)
    return info(items, f"renamed {len(renamed)} object(s)")


def _config(config: dict[str, Any] | None) -> tuple[str, bool] | str:  # noqa: PLR0911
    data = config_data(config)
    if data is not None:
        if len(data) != 1 or next(iter(data)) not in ("prepend", "append"):
            return "the ConfigMap must hold exactly one of `prepend` and `append`"
        key, value = next(iter(data.items()))
        return (value, key == "prepend") if value else "the substring must not be empty"
    if is_typed(config, "EnsureNameSubstring"):
        body = config or {}
        if body.get("additionalNameFields"):
            return "additionalNameFields is not supported by syncd's built-in ensure-name-substring"
        substring, mode = body.get("substring"), body.get("editMode") or "prepend"
        if not isinstance(substring, str) or not substring:
            return "`substring` must not be empty"
        if mode not in ("prepend", "append"):
            return f"editMode must be prepend or append, not {mode!r}"
        return substring, mode == "prepend"
    return "FunctionConfig is missing: expect a ConfigMap or an EnsureNameSubstring"


def _references(item: dict[str, Any], renamed: dict[tuple[str, str], str]) -> None:  # noqa: PLR0912
    def swap(holder: object, key: str, kind: str) -> None:
        if isinstance(holder, dict) and isinstance(holder.get(key), str):
            holder[key] = renamed.get((kind, holder[key]), holder[key])

    found = annotations_of(item)
    depends = found.get(DEPENDS_ON)
    if isinstance(depends, str):
        segments = depends.split("/")
        if len(segments) >= 3 and (segments[-2], segments[-1]) in renamed:
            segments[-1] = renamed[(segments[-2], segments[-1])]
            found[DEPENDS_ON] = "/".join(segments)
    if item.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
        for subject in _maps(item.get("subjects")):
            if subject.get("kind") == "ServiceAccount":
                swap(subject, "name", "ServiceAccount")
        role = nested(item, "roleRef")
        if role is not None:
            swap(role, "name", str(role.get("kind")))
    for spec in _pod_specs(item):
        swap(spec, "serviceAccountName", "ServiceAccount")
        for secret in _maps(spec.get("imagePullSecrets")):
            swap(secret, "name", "Secret")
        for volume in _maps(spec.get("volumes")):
            swap(volume.get("configMap"), "name", "ConfigMap")
            swap(volume.get("secret"), "secretName", "Secret")
        for container in _maps(spec.get("containers")) + _maps(spec.get("initContainers")):
            for source in _maps(container.get("envFrom")):
                swap(source.get("configMapRef"), "name", "ConfigMap")
                swap(source.get("secretRef"), "name", "Secret")
            for variable in _maps(container.get("env")):
                value_from = variable.get("valueFrom")
                if isinstance(value_from, dict):
                    swap(value_from.get("configMapKeyRef"), "name", "ConfigMap")
                    swap(value_from.get("secretKeyRef"), "name", "Secret")


def _pod_specs(item: dict[str, Any]) -> list[dict[str, Any]]:
    candidates = [
        nested(item, "spec") if item.get("kind") == "Pod" else None,
        nested(item, "spec", "template", "spec"),
        nested(item, "spec", "jobTemplate", "spec", "template", "spec"),
    ]
    return [spec for spec in candidates if spec is not None]


def _maps(value: object) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []
