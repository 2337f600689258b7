"""The render stage with stand-in tools: units, plain files, origins, hooks and failures."""

from __future__ import annotations

from pathlib import Path

from syncd.core.errors import ErrorCode
from syncd.core.limits import DecodeLimits
from syncd.core.render import HelmOptions, RendererKind, RenderOptions
from syncd.render.stage import PackageRenderer, RenderRequest
from syncd.render.tools import Tools
from tests.unit.render.tools_fixture import script

KUSTOMIZE = r"""
if [ "$1" = version ]; then echo v5.0.0-fake; exit 0; fi
# build
cat <<'OUT'
apiVersion: v1
kind: ConfigMap
metadata:
  name: from-base
  namespace: prod
  annotations:
    config.kubernetes.io/origin: |
      path: ../base/cm.yaml
    team: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: generated
  annotations:
    config.kubernetes.io/origin: |
      configuredIn: kustomization.yaml
      configuredBy: {kind: ConfigMapGenerator}
OUT
"""
HELM = r"""
if [ "$1" = version ]; then echo v3.0.0-fake+g123; exit 0; fi
cat <<'OUT'
---
# Source: web/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
---
# Source: web/templates/test.yaml
apiVersion: v1
kind: Pod
metadata:
  name: web-test
  annotations: {helm.sh/hook: test}
OUT
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _renderer(tmp_path: Path, *, kustomize: str = KUSTOMIZE, helm: str = HELM) -> PackageRenderer:
    bin_dir = tmp_path / "bin"
    return PackageRenderer(
        tools=Tools(
            kustomize=script(bin_dir, "kustomize", kustomize), helm=script(bin_dir, "helm", helm)
        )
    )


def _request(root: Path, package: Path, **options: object) -> RenderRequest:
    return RenderRequest(
        root=root,
        package=package,
        options=RenderOptions(**options),  # type: ignore[arg-type]
        default_namespace="default",
    )


def test_plain_files_and_a_kustomization_render_together_with_their_origins(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    _write(
        repo,
        {
            "pkg/plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n",
            "pkg/app/kustomization.yaml": "resources: [../../base]\n",
            "pkg/app/not-plain.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hidden}\n",
        },
    )
    bundle = _renderer(tmp_path).render(_request(repo, repo / "pkg"))
    assert bundle.render_errors == ()
    assert bundle.decode_errors == ()
    found = {m.ref.name: m for m in bundle.manifests}
    assert sorted(found) == ["from-base", "generated", "plain"]  # not-plain.yaml is kustomize's
    assert found["from-base"].source_path == "base/cm.yaml"
    assert found["generated"].source_path == "app/kustomization.yaml"
    assert dict(found["from-base"].annotations) == {"team": "a"}
    assert "annotations" not in found["generated"].metadata
    assert [(r.directory, r.renderer, r.tool) for r in bundle.rendered] == [
        ("app", RendererKind.KUSTOMIZE, "kustomize v5.0.0-fake")
    ]
    assert "kustomize v5.0.0-fake (app," in bundle.message()


def test_the_load_restrictor_is_root_only_unless_lifted(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write(repo, {"kustomization.yaml": "resources: []\n"})
    kustomize = KUSTOMIZE.replace("# build", 'echo "$@" >&2; exit 1')
    renderer = _renderer(tmp_path, kustomize=kustomize)
    (error,) = renderer.render(_request(repo, repo)).render_errors
    assert "--load-restrictor LoadRestrictionsRootOnly" in error.message
    assert "--enable-helm --helm-command" in error.message


def test_a_chart_skips_hooks_with_a_warning_and_places_objects_in_its_namespace(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    _write(repo, {"web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n"})
    bundle = _renderer(tmp_path).render(
        _request(repo, repo, helm=HelmOptions(namespace="apps", include_crds=False))
    )
    assert bundle.render_errors == ()
    (config,) = bundle.manifests
    assert config.ref.name == "web-config"
    assert config.source_path == "web/templates/cm.yaml"
    assert config.default_namespace == "apps"
    (warning,) = bundle.warnings
    assert "skipped 1 Helm hook" in warning
    assert "web-test" in warning


def test_a_dependency_that_is_not_vendored_is_named_with_how_to_vendor_it(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    chart = (
        "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n- {name: redis, version: 17.x}\n"
    )
    _write(repo, {"Chart.yaml": chart})
    (error,) = _renderer(tmp_path).render(_request(repo, repo)).render_errors
    assert error.code is ErrorCode.RENDER_FAILURE
    assert "redis 17.x" in error.message
    assert "helm dependency build" in error.message


def test_a_values_file_outside_the_checkout_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write(repo, {"Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n"})
    (tmp_path / "secret-values.yaml").write_text("a: 1\n")
    options = HelmOptions(values_files=("../secret-values.yaml",))
    (error,) = _renderer(tmp_path).render(_request(repo, repo, helm=options)).render_errors
    assert "outside the repository" in error.message


def test_output_syncd_cannot_read_fails_the_unit_and_nothing_of_it_is_kept(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write(repo, {"kustomization.yaml": "resources: []\n"})
    garbage = 'if [ "$1" = version ]; then echo v5; exit 0; fi\necho "kind: [unclosed"'
    bundle = _renderer(tmp_path, kustomize=garbage).render(_request(repo, repo))
    assert bundle.manifests == ()
    (error,) = bundle.render_errors
    assert "output is not valid" in error.message
    assert bundle.message().startswith("Rendering failed (1 error)")


def test_a_missing_tool_says_which_setting_to_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write(repo, {"kustomization.yaml": "resources: []\n"})
    renderer = PackageRenderer(tools=Tools(kustomize=tmp_path / "no-such-kustomize"))
    (error,) = renderer.render(_request(repo, repo)).render_errors
    assert "SYNCD_KUSTOMIZE" in error.message


def test_rendering_never_writes_into_the_fetched_tree(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _write(repo, {"kustomization.yaml": "resources: []\n"})
    before = (repo / "kustomization.yaml").read_text()
    _renderer(tmp_path).render(_request(repo, repo))
    assert (repo / "kustomization.yaml").read_text() == before
    assert sorted(p.name for p in repo.iterdir()) == ["kustomization.yaml"]


def test_a_package_outside_the_given_checkout_is_rendered_on_its_own(tmp_path: Path) -> None:
    package = tmp_path / "elsewhere" / "web"
    _write(package, {"Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n"})
    bundle = _renderer(tmp_path).render(_request(tmp_path / "repo", package))
    assert bundle.render_errors == ()
    assert [m.ref.name for m in bundle.manifests] == ["web-config"]


def test_a_kustomization_past_the_file_size_limit_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    _write(repo, {"kustomization.yaml": "resources: []\n" + "# padding\n" * 200})
    renderer = PackageRenderer(
        tools=_renderer(tmp_path).tools, decode_limits=DecodeLimits(max_file_bytes=100)
    )
    (error,) = renderer.render(_request(repo, repo)).render_errors
    assert error.code is ErrorCode.RENDER_FAILURE
    assert "kustomization.yaml" in error.message
    assert "100" in error.message
