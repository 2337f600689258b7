"""The `spec.render` block: how a package is rendered (kustomize, Helm, kpt or plain).

Detection is the default: each directory's marker file picks its renderer
(see `syncd.render.detect`). `renderer` pins one renderer for the whole
package instead. `kustomize.loadRestrictor` and `helm` tune the two tools.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from syncd.api.wire import WireModel, empty_list
from syncd.core.render import HelmOptions, LoadRestrictor, RendererKind, RenderOptions

NonEmpty = Annotated[str, Field(min_length=1)]


class RendererChoice(StrEnum):
    """Which renderer reads the package: detected per directory, or pinned."""

    AUTO = "auto"
    PLAIN = "plain"
    KUSTOMIZE = "kustomize"
    HELM = "helm"
    KPT = "kpt"


class KustomizeRender(WireModel):
    """Options of `kustomize build`."""

    load_restrictor: LoadRestrictor = LoadRestrictor.ROOT_ONLY
    """rootOnly: a kustomization reads files only under its own directory; none lifts that
    (RootSync only)."""


class HelmRender(WireModel):
    """Options of `helm template` for a chart kept in the repository."""

    release_name: str | None = None
    """Release name; default the chart directory's name."""
    namespace: str | None = None
    """Release namespace; default the sync's default namespace."""
    values_files: list[NonEmpty] = empty_list()
    """Values files inside the repository, relative to the chart directory, merged in order."""
    values: dict[str, Any] | None = None
    """Inline values, merged after the values files."""
    include_crds: bool = True
    """Render the chart's crds/ directory too."""


class RenderSpec(WireModel):
    """How the package is rendered."""

    renderer: RendererChoice = RendererChoice.AUTO
    """auto detects per directory (kustomization.yaml, Chart.yaml, Kptfile); any other value
    renders the whole package with that renderer."""
    kustomize: KustomizeRender = Field(
        default_factory=KustomizeRender, json_schema_extra={"default": {}}
    )
    """kustomize options."""
    helm: HelmRender = Field(default_factory=HelmRender, json_schema_extra={"default": {}})
    """Helm options."""

    def options(self) -> RenderOptions:
        """The render stage's options."""
        pinned = None if self.renderer is RendererChoice.AUTO else RendererKind(self.renderer.value)
        return RenderOptions(
            renderer=pinned,
            load_restrictor=self.kustomize.load_restrictor,
            helm=HelmOptions(
                release_name=self.helm.release_name or "",
                namespace=self.helm.namespace or "",
                values_files=tuple(self.helm.values_files),
                values=dict(self.helm.values or {}),
                include_crds=self.helm.include_crds,
            ),
        )
