"""kpt function pipelines, rendered in process: built-in functions and sandboxed WASM modules.

`render_kpt(root)` does what `kpt fn render` does for one package tree
without a container runtime: see `syncd.render.kpt.pipeline` for the order,
`syncd.render.kpt.dispatch` for which steps run and how, and docs/kpt.md.
"""

from syncd.render.kpt.model import KptLimits, KptOutput, RenderedObject
from syncd.render.kpt.pipeline import render_kpt

__all__ = ["KptLimits", "KptOutput", "RenderedObject", "render_kpt"]
