"""Each built-in against the behaviour the kpt function catalogue documents."""

from __future__ import annotations

import time

from syncd.render.kpt.annotations import setter_comments
from syncd.render.kpt.builtins import BUILTINS
from syncd.render.kpt.model import Deadline


def run(name, items, config):
    return BUILTINS[name](items, config, deadline=Deadline(at=time.monotonic() + 30))


def cm(data, name="fn-config"):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def obj(kind, name, api="v1", **fields):
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}, **fields}


def test_set_namespace_moves_objects_namespaces_and_subjects():
    items = [
        obj("Namespace", "old"),
        {**obj("ConfigMap", "c"), "metadata": {"name": "c", "namespace": "old"}},
        obj("Service", "s"),
        obj("ClusterRole", "r", api="rbac.authorization.k8s.io/v1"),
        obj(
            "RoleBinding",
            "rb",
            api="rbac.authorization.k8s.io/v1",
            subjects=[
                {"kind": "ServiceAccount", "name": "sa", "namespace": "old"},
                {"kind": "User", "name": "u"},
            ],
        ),
    ]
    outcome = run("set-namespace", items, cm({"namespace": "prod"}))

    assert not [r for r in outcome.results if r.is_error]
    [ns, c, s, role, rb] = outcome.items
    assert ns["metadata"]["name"] == "prod"
    assert c["metadata"]["namespace"] == "prod"
    assert s["metadata"]["namespace"] == "prod"
    assert "namespace" not in role["metadata"]
    assert rb["subjects"] == [
        {"kind": "ServiceAccount", "name": "sa", "namespace": "prod"},
        {"kind": "User", "name": "u"},
    ]


def test_set_namespace_matcher_changes_only_that_namespace_and_depends_on_follows():
    items = [
        {**obj("ConfigMap", "a"), "metadata": {"name": "a", "namespace": "x"}},
        {**obj("ConfigMap", "b"), "metadata": {"name": "b", "namespace": "y"}},
        {
            **obj("ConfigMap", "c"),
            "metadata": {
                "name": "c",
                "namespace": "x",
                "annotations": {"config.kubernetes.io/depends-on": "/namespaces/x/ConfigMap/a"},
            },
        },
    ]
    config = {
        "apiVersion": "fn.kpt.dev/v1alpha1",
        "kind": "SetNamespace",
        "namespace": "z",
        "namespaceMatcher": "x",
    }
    outcome = run("set-namespace", items, config)

    assert [i["metadata"]["namespace"] for i in outcome.items] == ["z", "y", "z"]
    assert (
        outcome.items[2]["metadata"]["annotations"]["config.kubernetes.io/depends-on"]
        == "/namespaces/z/ConfigMap/a"
    )


def test_set_namespace_without_a_namespace_is_an_error_result():
    outcome = run("set-namespace", [], cm({}))

    assert [r.message for r in outcome.results if r.is_error] == [
        "`data.namespace` should not be empty"
    ]


def test_set_labels_updates_metadata_selectors_and_templates():
    deploy = obj(
        "Deployment",
        "d",
        api="apps/v1",
        spec={
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}}},
        },
    )
    service = obj("Service", "s", spec={"selector": {"app": "x"}})
    job = obj("Job", "j", api="batch/v1", spec={"selector": {"matchLabels": {"app": "x"}}})
    outcome = run("set-labels", [deploy, service, job], cm({"color": "orange", "fruit": "apple"}))

    wanted = {"color": "orange", "fruit": "apple"}
    d, s, j = outcome.items
    assert d["metadata"]["labels"] == wanted
    assert d["spec"]["selector"]["matchLabels"] == {"app": "x", **wanted}
    assert d["spec"]["template"]["metadata"]["labels"] == {"app": "x", **wanted}
    assert s["spec"]["selector"] == {"app": "x", **wanted}
    assert j["spec"]["selector"]["matchLabels"] == {"app": "x"}


def test_set_labels_takes_the_typed_config_and_skips_local_config():
    local = obj("ConfigMap", "l")
    local["metadata"]["annotations"] = {"config.kubernetes.io/local-config": "true"}
    config = {
        "apiVersion": "fn.kpt.dev/v1alpha1",
        "kind": "SetLabels",
        "metadata": {"name": "x"},
        "labels": {"a": "b"},
    }
    outcome = run("set-labels", [obj("ConfigMap", "c"), local], config)

    assert outcome.items[0]["metadata"]["labels"] == {"a": "b"}
    assert "labels" not in outcome.items[1]["metadata"]


def test_set_annotations_reaches_pod_templates_and_additional_fields():
    deploy = obj("Deployment", "d", api="apps/v1", spec={"template": {"spec": {}}})
    custom = obj("MyOwnKind", "m", api="example.com/v1", data={})
    config = {
        "apiVersion": "fn.kpt.dev/v1alpha1",
        "kind": "SetAnnotations",
        "annotations": {"color": "orange"},
        "additionalAnnotationFields": [
            {"path": "data/selector/annotations", "kind": "MyOwnKind", "create": True}
        ],
    }
    outcome = run("set-annotations", [deploy, custom], config)

    d, m = outcome.items
    assert d["metadata"]["annotations"] == {"color": "orange"}
    assert d["spec"]["template"]["metadata"]["annotations"] == {"color": "orange"}
    assert m["data"]["selector"]["annotations"] == {"color": "orange"}


def _with_comments(item, comments):
    from syncd.render.kpt.annotations import set_setter_comments

    set_setter_comments(item, comments)
    return item


def test_apply_setters_sets_scalars_partially_and_arrays():
    deploy = _with_comments(
        obj(
            "Deployment",
            "my-nginx",
            api="apps/v1",
            spec={
                "replicas": 4,
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.16.1"}]}},
            },
        ),
        {
            ("spec", "replicas"): "kpt-set: ${nginx-replicas}",
            ("spec", "template", "spec", "containers", 0, "image"): "kpt-set: nginx:${tag}",
        },
    )
    kind = _with_comments(
        obj("MyKind", "foo", environments=["dev", "stage"]), {("environments",): "kpt-set: ${env}"}
    )
    outcome = run(
        "apply-setters",
        [deploy, kind],
        cm({"nginx-replicas": "3", "tag": "1.16.2", "env": "- prod\n- dev\n"}),
    )

    d, k = outcome.items
    assert d["spec"]["replicas"] == 3
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.16.2"
    assert k["environments"] == ["prod", "dev"]


def test_apply_setters_keeps_values_of_setters_not_given_and_refuses_unknown_ones():
    item = _with_comments(
        obj("ConfigMap", "c", data={"image": "ubuntu:1.7"}),
        {("data", "image"): "kpt-set: ${image}:${tag}"},
    )
    outcome = run("apply-setters", [item], cm({"tag": "1.8"}))
    assert outcome.items[0]["data"]["image"] == "ubuntu:1.8"

    item = _with_comments(
        obj("ConfigMap", "c", data={"image": "plain"}),
        {("data", "image"): "kpt-set: ${image}:${tag}"},
    )
    outcome = run("apply-setters", [item], cm({"tag": "1.8"}))
    assert any("image" in r.message for r in outcome.results if r.is_error)


def test_create_setters_adds_comments_that_apply_setters_then_uses():
    deploy = obj(
        "Deployment",
        "my-nginx",
        api="apps/v1",
        spec={"replicas": 4, "template": {"spec": {"containers": [{"image": "nginx:1.16.1"}]}}},
    )
    kind = obj("MyKind", "foo", environments=["dev", "stage"])
    created = run(
        "create-setters",
        [deploy, kind],
        cm({"nginx-replicas": "4", "tag": "1.16.1", "env": "- stage\n- dev\n"}),
    )

    d, k = created.items
    assert setter_comments(d)[("spec", "replicas")] == "kpt-set: ${nginx-replicas}"
    assert (
        setter_comments(d)[("spec", "template", "spec", "containers", 0, "image")]
        == "kpt-set: nginx:${tag}"
    )
    assert setter_comments(k)[("environments",)] == "kpt-set: ${env}"
    applied = run("apply-setters", created.items, cm({"tag": "2.0"}))
    assert applied.items[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2.0"


def test_search_replace_by_path_and_value():
    items = [obj("Deployment", "the-deployment", api="apps/v1"), obj("Service", "the-deployment")]
    outcome = run(
        "search-replace",
        items,
        cm(
            {"by-path": "metadata.name", "by-value": "the-deployment", "put-value": "my-deployment"}
        ),
    )

    assert [i["metadata"]["name"] for i in outcome.items] == ["my-deployment", "my-deployment"]


def test_search_replace_regex_groups_and_wildcard_paths():
    item = obj(
        "Deployment",
        "d",
        api="apps/v1",
        spec={"template": {"spec": {"containers": [{"image": "nginx:1.1"}, {"image": "redis:6"}]}}},
    )
    config = cm(
        {
            "by-path": "spec.**.image",
            "by-value-regex": "nginx:(.*)",
            "put-value": "mirror/nginx:${1}",
        }
    )
    outcome = run("search-replace", [item], config)

    containers = outcome.items[0]["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["mirror/nginx:1.1", "redis:6"]


def test_ensure_name_substring_prepends_once_and_follows_references():
    config_map = obj("ConfigMap", "settings")
    already = obj("ConfigMap", "dev-other")
    namespace = obj("Namespace", "space")
    deploy = obj(
        "Deployment",
        "web",
        api="apps/v1",
        spec={
            "template": {"spec": {"volumes": [{"name": "v", "configMap": {"name": "settings"}}]}}
        },
    )
    outcome = run(
        "ensure-name-substring", [config_map, already, namespace, deploy], cm({"prepend": "dev-"})
    )

    names = [i["metadata"]["name"] for i in outcome.items]
    assert names == ["dev-settings", "dev-other", "space", "dev-web"]
    assert (
        outcome.items[3]["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"]
        == "dev-settings"
    )


def test_ensure_name_substring_appends_with_the_typed_config():
    config = {
        "apiVersion": "fn.kpt.dev/v1alpha1",
        "kind": "EnsureNameSubstring",
        "substring": "-prod",
        "editMode": "append",
    }
    outcome = run("ensure-name-substring", [obj("ConfigMap", "c")], config)

    assert outcome.items[0]["metadata"]["name"] == "c-prod"


def test_starlark_reads_params_and_can_replace_the_items():
    config = {
        "apiVersion": "fn.kpt.dev/v1alpha1",
        "kind": "StarlarkRun",
        "metadata": {"name": "keep"},
        "params": {"keep": "b"},
        "source": 'keep = ctx.resource_list["functionConfig"]["params"]["keep"]\n'
        'ctx.resource_list["items"] = [r for r in ctx.resource_list["items"] if r["metadata"]["name"] == keep]\n',  # noqa: E501
    }
    outcome = run("starlark", [obj("ConfigMap", "a"), obj("ConfigMap", "b")], config)

    assert [i["metadata"]["name"] for i in outcome.items] == ["b"]


def test_starlark_is_stopped_at_the_deadline():
    config = cm({"source": "def f():\n  for i in range(1000000000):\n    pass\nf()\n"})
    started = time.monotonic()
    outcome = BUILTINS["starlark"]([], config, deadline=Deadline(at=time.monotonic() + 0.3))

    assert any("time limit" in r.message for r in outcome.results if r.is_error)
    assert time.monotonic() - started < 5
