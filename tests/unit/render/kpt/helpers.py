"""Building kpt packages on disk for the render tests."""

from __future__ import annotations

from pathlib import Path

from syncd.render.kpt import KptLimits, KptOutput, render_kpt


def kptfile(name: str, pipeline: str = "") -> str:
    text = f"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n"
    return text + (f"pipeline:\n{pipeline}" if pipeline else "")


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def render(root: Path, files: dict[str, str], *, limits: KptLimits | None = None) -> KptOutput:
    return render_kpt(write(root, files), limits=limits or KptLimits())


def by_name(output: KptOutput) -> dict[str, dict]:
    return {obj.body["metadata"]["name"]: obj.body for obj in output.objects}
