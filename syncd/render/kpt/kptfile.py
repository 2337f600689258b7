"""Reading a Kptfile's pipeline into `FunctionSpec` values.

Accepts `apiVersion: kpt.dev/v1`, `kind: Kptfile`, and `pipeline.mutators`
and `pipeline.validators`, each a list of steps with `image` or `exec`,
`name`, `configPath` or `configMap` (one at most), `selectors` and
`exclude`. Anything malformed is a message, returned rather than raised.
"""

from __future__ import annotations

import posixpath
from typing import Any

from syncd.render.kpt.model import FunctionSpec, Pipeline, Selector

_SELECTOR_FIELDS = ("apiVersion", "kind", "name", "namespace")


def read_pipeline(kptfile: dict[str, Any]) -> Pipeline | str:
    """The pipeline a Kptfile declares, or a message saying what is wrong with it."""
    if kptfile.get("apiVersion") != "kpt.dev/v1" or kptfile.get("kind") != "Kptfile":
        return (
            f"the Kptfile must be apiVersion kpt.dev/v1, kind Kptfile "
            f"(found {kptfile.get('apiVersion')!r}, {kptfile.get('kind')!r})"
        )
    pipeline = kptfile.get("pipeline")
    if pipeline is None:
        return Pipeline()
    if not isinstance(pipeline, dict):
        return "pipeline must be a mapping"
    steps: dict[str, tuple[FunctionSpec, ...]] = {}
    for field in ("mutators", "validators"):
        raw = pipeline.get(field)
        if raw is None:
            steps[field] = ()
            continue
        if not isinstance(raw, list):
            return f"pipeline.{field} must be a list"
        specs: list[FunctionSpec] = []
        for number, entry in enumerate(raw):
            spec = _step(entry)
            if isinstance(spec, str):
                return f"pipeline.{field}[{number}]: {spec}"
            specs.append(spec)
        steps[field] = tuple(specs)
    return Pipeline(mutators=steps["mutators"], validators=steps["validators"])


def _step(entry: object) -> FunctionSpec | str:  # noqa: PLR0911 - one return per problem
    if not isinstance(entry, dict):
        return "must be a mapping"
    strings: dict[str, str] = {}
    for key in ("image", "exec", "name", "configPath"):
        value = entry.get(key, "")
        if not isinstance(value, str):
            return f"{key} must be a string"
        strings[key] = value.strip()
    if bool(strings["image"]) == bool(strings["exec"]):
        return "exactly one of image and exec must be given"
    config_map = entry.get("configMap")
    if config_map is not None and strings["configPath"]:
        return "configPath and configMap cannot both be given"
    pairs: tuple[tuple[str, str], ...] = ()
    if config_map is not None:
        if not isinstance(config_map, dict):
            return "configMap must be a mapping of strings"
        pairs = tuple((str(key), _text(value)) for key, value in config_map.items())
    config_path = strings["configPath"]
    if config_path:
        config_path = posixpath.normpath(config_path)
        if posixpath.isabs(config_path) or config_path.split("/")[0] == "..":
            return f"configPath {strings['configPath']!r} must name a file inside the package"
    selectors = _selectors(entry.get("selectors"), "selectors")
    if isinstance(selectors, str):
        return selectors
    exclude = _selectors(entry.get("exclude"), "exclude")
    if isinstance(exclude, str):
        return exclude
    return FunctionSpec(
        image=strings["image"],
        exec_path=strings["exec"],
        name=strings["name"],
        config_path=config_path,
        config_map=pairs,
        selectors=selectors,
        exclude=exclude,
    )


def _selectors(raw: object, field: str) -> tuple[Selector, ...] | str:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        return f"{field} must be a list"
    found: list[Selector] = []
    for number, entry in enumerate(raw):
        if not isinstance(entry, dict):
            return f"{field}[{number}] must be a mapping"
        values: dict[str, str] = {}
        for key in _SELECTOR_FIELDS:
            value = entry.get(key, "")
            if not isinstance(value, str):
                return f"{field}[{number}].{key} must be a string"
            values[key] = value
        maps: dict[str, tuple[tuple[str, str], ...]] = {}
        for key in ("labels", "annotations"):
            value = entry.get(key) or {}
            if not isinstance(value, dict):
                return f"{field}[{number}].{key} must be a mapping"
            maps[key] = tuple(sorted((str(k), _text(v)) for k, v in value.items()))
        found.append(
            Selector(
                api_version=values["apiVersion"],
                kind=values["kind"],
                name=values["name"],
                namespace=values["namespace"],
                labels=maps["labels"],
                annotations=maps["annotations"],
            )
        )
    return tuple(found)


def _text(value: object) -> str:
    """A configMap value as kpt passes it: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)
