from __future__ import annotations

from syncd.core.errors import ErrorCode
from syncd.render.kpt import KptLimits

from .helpers import by_name, kptfile, render

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1 # kpt-set: ${replicas}
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.0 # kpt-set: nginx:${tag}
"""
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  a: b\n"


def test_a_package_without_a_pipeline_passes_its_resources_through(tmp_path):
    output = render(tmp_path, {"Kptfile": kptfile("p"), "cm.yaml": CM.format(name="one")})

    assert output.errors == ()
    assert [(o.source_path, o.body) for o in output.objects] == [
        (
            "cm.yaml",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "one"},
                "data": {"a": "b"},
            },
        )
    ]
    assert output.functions_run == 0


def test_mutators_run_in_order_and_validators_see_their_output(tmp_path):
    pipeline = """  mutators:
  - image: gcr.io/kpt-fn/set-namespace:v0.4.1
    configMap:
      namespace: prod
  validators:
  - image: starlark
    configMap:
      source: |
        for r in ctx.resource_list["items"]:
          if r["kind"] == "ConfigMap" and r["metadata"].get("namespace") != "prod":
            fail("not in prod: " + r["metadata"]["name"])
"""
    output = render(tmp_path, {"Kptfile": kptfile("p", pipeline), "cm.yaml": CM.format(name="one")})

    assert output.errors == ()
    assert output.functions_run == 2
    assert by_name(output)["one"]["metadata"]["namespace"] == "prod"


def test_a_failing_validator_fails_the_render_with_its_message(tmp_path):
    pipeline = """  validators:
  - image: starlark
    configMap:
      source: |
        fail("nope, not today")
"""
    output = render(tmp_path, {"Kptfile": kptfile("p", pipeline), "cm.yaml": CM.format(name="one")})

    assert output.objects == ()
    [error] = output.errors
    assert error.code == ErrorCode.RENDER_FAILURE
    assert "nope, not today" in error.message
    assert "kpt package ." in error.message
    assert "starlark" in error.message


def test_nested_packages_render_bottom_up_and_the_parent_sees_their_output(tmp_path):
    child = """  mutators:
  - image: set-labels
    configMap:
      layer: child
"""
    parent = """  mutators:
  - image: starlark
    configMap:
      source: |
        for r in ctx.resource_list["items"]:
          labels = r["metadata"].get("labels", {})
          r["metadata"].setdefault("annotations", {})["seen"] = labels.get("layer", "none")
"""
    output = render(
        tmp_path,
        {
            "Kptfile": kptfile("parent", parent),
            "top.yaml": CM.format(name="top"),
            "sub/Kptfile": kptfile("child", child),
            "sub/cm.yaml": CM.format(name="inner"),
        },
    )

    assert output.errors == ()
    objects = by_name(output)
    assert objects["inner"]["metadata"]["annotations"] == {"seen": "child"}
    assert objects["top"]["metadata"]["annotations"] == {"seen": "none"}
    assert "labels" not in objects["top"]["metadata"]
    assert [o.source_path for o in output.objects] == ["sub/cm.yaml", "top.yaml"]


def test_config_path_is_the_function_config_and_is_never_applied(tmp_path):
    pipeline = "  mutators:\n  - image: set-annotations\n    configPath: fn/annotations.yaml\n"
    config = "apiVersion: fn.kpt.dev/v1alpha1\nkind: SetAnnotations\nmetadata:\n  name: a\nannotations:\n  owner: team-a\n"  # noqa: E501
    output = render(
        tmp_path,
        {
            "Kptfile": kptfile("p", pipeline),
            "fn/annotations.yaml": config,
            "cm.yaml": CM.format(name="one"),
        },
    )

    assert output.errors == ()
    assert list(by_name(output)) == ["one"]
    assert by_name(output)["one"]["metadata"]["annotations"] == {"owner": "team-a"}


def test_a_missing_config_path_is_an_error(tmp_path):
    pipeline = "  mutators:\n  - image: set-labels\n    configPath: nowhere.yaml\n"
    output = render(tmp_path, {"Kptfile": kptfile("p", pipeline)})

    [error] = output.errors
    assert "nowhere.yaml" in error.message


def test_local_config_objects_reach_functions_but_are_not_output(tmp_path):
    local = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n  annotations:\n"
        '    config.kubernetes.io/local-config: "true"\ndata:\n  value: from-local\n'
    )
    pipeline = """  mutators:
  - image: starlark
    configMap:
      source: |
        items = ctx.resource_list["items"]
        value = [r for r in items if r["metadata"]["name"] == "local"][0]["data"]["value"]
        for r in items:
          if r["metadata"]["name"] == "one":
            r["data"]["copied"] = value
"""
    output = render(
        tmp_path,
        {"Kptfile": kptfile("p", pipeline), "local.yaml": local, "cm.yaml": CM.format(name="one")},
    )

    assert output.errors == ()
    assert list(by_name(output)) == ["one"]
    assert by_name(output)["one"]["data"]["copied"] == "from-local"


def test_an_unknown_image_names_the_image_and_the_built_ins(tmp_path):
    pipeline = "  mutators:\n  - image: gcr.io/kpt-fn/set-image:v0.1\n"
    output = render(tmp_path, {"Kptfile": kptfile("p", pipeline), "cm.yaml": CM.format(name="one")})

    [error] = output.errors
    assert "gcr.io/kpt-fn/set-image:v0.1" in error.message
    assert "set-namespace" in error.message
    assert output.objects == ()


def test_exec_of_a_binary_is_refused(tmp_path):
    pipeline = "  mutators:\n  - exec: ./my-function\n"
    output = render(tmp_path, {"Kptfile": kptfile("p", pipeline), "cm.yaml": CM.format(name="one")})

    [error] = output.errors
    assert "./my-function" in error.message
    assert "binary" in error.message


def test_a_wasm_path_outside_the_package_is_refused(tmp_path):
    pipeline = "  mutators:\n  - exec: ../evil.wasm\n"
    output = render(tmp_path / "pkg", {"Kptfile": kptfile("p", pipeline)})

    [error] = output.errors
    assert "outside the package root" in error.message


def test_a_starlark_script_error_carries_the_scripts_message(tmp_path):
    pipeline = (
        '  mutators:\n  - image: starlark\n    configMap:\n      source: |\n        x = 1 + "a"\n'
    )
    output = render(tmp_path, {"Kptfile": kptfile("p", pipeline)})

    [error] = output.errors
    assert error.code == ErrorCode.RENDER_FAILURE
    assert "script failed" in error.message


def test_output_larger_than_the_limit_is_an_error(tmp_path):
    files = {"Kptfile": kptfile("p")}
    files.update({f"cm{i}.yaml": CM.format(name=f"cm{i}") for i in range(20)})
    output = render(tmp_path, files, limits=KptLimits(max_output_bytes=500))

    assert output.objects == ()
    [error] = output.errors
    assert "output limit of 500 bytes" in error.message


def test_internal_annotations_are_stripped_and_user_annotations_kept(tmp_path):
    cm = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  annotations:\n"
        "    mine: kept\n    config.kubernetes.io/index: '7'\n"
    )
    output = render(
        tmp_path,
        {
            "Kptfile": kptfile(
                "p", "  mutators:\n  - image: set-labels\n    configMap:\n      a: b\n"
            ),
            "cm.yaml": cm,
        },
    )

    assert output.errors == ()
    assert output.objects[0].body["metadata"]["annotations"] == {"mine": "kept"}


def test_objects_a_function_creates_take_its_path_or_its_name(tmp_path):
    pipeline = """  mutators:
  - image: starlark
    name: maker
    configMap:
      source: |
        cm = {"apiVersion": "v1", "kind": "ConfigMap"}
        ctx.resource_list["items"].append(dict(cm, metadata={"name": "nameless"}))
        where = {"config.kubernetes.io/path": "gen/placed.yaml"}
        placed = {"name": "placed", "annotations": where}
        ctx.resource_list["items"].append(dict(cm, metadata=placed))
"""
    output = render(
        tmp_path,
        {
            "Kptfile": kptfile("p", pipeline),
            "sub/Kptfile": kptfile("s"),
            "sub/x.yaml": CM.format(name="x"),
        },
    )

    assert output.errors == ()
    paths = {o.body["metadata"]["name"]: o.source_path for o in output.objects}
    assert paths == {"nameless": "maker", "placed": "gen/placed.yaml", "x": "sub/x.yaml"}
    assert "annotations" not in by_name(output)["placed"]["metadata"]


def test_setters_apply_across_files_and_selectors_limit_a_step(tmp_path):
    pipeline = """  mutators:
  - image: apply-setters
    configMap:
      replicas: "3"
      tag: "1.2"
  - image: set-labels
    configMap:
      picked: "yes"
    selectors:
    - kind: ConfigMap
"""
    output = render(
        tmp_path,
        {
            "Kptfile": kptfile("p", pipeline),
            "deploy.yaml": DEPLOY,
            "cm.yaml": CM.format(name="one"),
        },
    )

    assert output.errors == ()
    objects = by_name(output)
    assert objects["web"]["spec"]["replicas"] == 3
    assert objects["web"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.2"
    assert "labels" not in objects["web"]["metadata"]
    assert objects["one"]["metadata"]["labels"] == {"picked": "yes"}


def test_output_is_ordered_by_path_then_document(tmp_path):
    two = CM.format(name="b-second") + "---\n" + CM.format(name="a-first").replace("a: b", "c: d")
    output = render(
        tmp_path, {"Kptfile": kptfile("p"), "z.yaml": CM.format(name="z"), "m.yaml": two}
    )

    assert [o.body["metadata"]["name"] for o in output.objects] == ["b-second", "a-first", "z"]


def test_no_kptfile_at_the_root_is_an_error(tmp_path):
    output = render(tmp_path, {"cm.yaml": CM.format(name="one")})

    [error] = output.errors
    assert "no Kptfile" in error.message


def test_a_kptfile_marked_local_config_as_kpt_pkg_init_writes_it_is_read(tmp_path):
    marked = kptfile("app").replace(
        "  name: app\n",
        '  name: app\n  annotations:\n    config.kubernetes.io/local-config: "true"\n',
    )
    output = render(tmp_path, {"Kptfile": marked, "cm.yaml": CM.format(name="settings")})

    assert output.errors == ()
    assert [obj.body["metadata"]["name"] for obj in output.objects] == ["settings"]
