"""The values of a kpt render: its limits, what it returns, and one pipeline step.

`KptLimits`, `RenderedObject` and `KptOutput` are the public results of
`render_kpt`; `FunctionSpec` is one item of a Kptfile's pipeline,
`FunctionOutcome` what a function returned, `Deadline` when the pipeline
must stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from syncd.core.errors import RenderError

DEFAULT_WASM_FUEL: Final = 4_000_000_000
"""Fuel per WASM call: about 4e9 wasm instructions, a few seconds of CPU here.

A Go (wasip1) function that decodes and re-encodes a ResourceList of a few
hundred objects uses well under a tenth of it; a loop that never ends is
stopped after a few seconds, before the pipeline's wall limit.
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class KptLimits:
    """What one render may cost.

    - `timeout_seconds`: wall time for the whole pipeline (Starlark and WASM);
    - `max_output_bytes`: the rendered objects, serialized as JSON (also the
      bound on one WASM function's stdout);
    - `wasm_fuel`: wasmtime fuel per WASM function call (about one unit per
      wasm instruction);
    - `wasm_memory_bytes`: linear memory of one WASM instance.
    """

    timeout_seconds: float = 60.0
    max_output_bytes: int = 64 * 1024**2
    wasm_fuel: int = DEFAULT_WASM_FUEL
    wasm_memory_bytes: int = 256 * 1024**2

    def __post_init__(self) -> None:
        """Every limit must be positive."""
        for name in self.__slots__:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedObject:
    """One object to apply: the file that declared it (POSIX, relative to the root) and its body."""

    source_path: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class KptOutput:
    """The objects to apply, the errors (SD1068) and how many functions ran.

    When `errors` is not empty the render failed and `objects` is empty:
    a partial render must never be applied (nor pruned against).
    """

    objects: tuple[RenderedObject, ...]
    errors: tuple[RenderError, ...]
    functions_run: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Selector:
    """One entry of a step's `selectors` or `exclude`: every field given must match."""

    api_version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionSpec:
    """One step of a Kptfile pipeline, as declared."""

    image: str = ""
    exec_path: str = ""
    name: str = ""
    config_path: str = ""
    config_map: tuple[tuple[str, str], ...] = ()
    selectors: tuple[Selector, ...] = ()
    exclude: tuple[Selector, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the function: its image (tag kept), else its exec, else its name."""
        return self.image or self.exec_path or self.name or "<unnamed function>"

    @property
    def short_name(self) -> str:
        """The function's name for objects it creates without a path: `name`, else the image's."""
        if self.name:
            return self.name
        reference = (self.image or self.exec_path).split("@", 1)[0].rsplit("/", 1)[-1]
        return reference.split(":", 1)[0] or "function"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pipeline:
    """A package's mutators and validators, in the Kptfile's order."""

    mutators: tuple[FunctionSpec, ...] = ()
    validators: tuple[FunctionSpec, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """One entry of a function's `results`."""

    severity: str
    message: str

    @property
    def is_error(self) -> bool:
        """Whether the result fails the render."""
        return self.severity == "error"

    @classmethod
    def list_of(cls, raw: object) -> tuple[Result, ...]:
        """The results a ResourceList's `results` holds; non-mappings skipped, default info."""
        return tuple(
            cls(
                severity=str(entry.get("severity") or "info"),
                message=str(entry.get("message") or ""),
            )
            for entry in (raw if isinstance(raw, list) else [])
            if isinstance(entry, dict)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionOutcome:
    """What one function returned: the items (None when it refused) and its results."""

    items: list[dict[str, Any]] | None
    results: tuple[Result, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    """When the pipeline must stop, on `time.monotonic`'s clock."""

    at: float

    def remaining(self, now: float) -> float:
        """Seconds left at `now` (negative once passed)."""
        return self.at - now
