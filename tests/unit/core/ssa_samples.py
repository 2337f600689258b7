"""fieldsV1 samples copied from a real API server (v1.35.4, the e2e control plane).

Each trie is the `syncd` Apply entry the server wrote after applying the body
beside it; e2e/test_ssa_facts.py pins the same facts against the server.
"""

from __future__ import annotations

import copy
from typing import Any

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "f1", "labels": {"app": "web", "empty": ""}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web", "empty": ""}},
            "spec": {
                "automountServiceAccountToken": False,
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1",
                        "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                        "securityContext": {"allowPrivilegeEscalation": False},
                        "resources": {"limits": {"memory": "1024Mi"}},
                        "volumeMounts": [{"name": "scratch", "mountPath": "/tmp"}],
                    }
                ],
                "volumes": [{"name": "scratch", "emptyDir": {}}],
                "tolerations": [{"key": "a", "operator": "Exists"}],
            },
        },
    },
}

CONTAINER = 'k:{"name":"app"}'

DEPLOYMENT_FIELDS: dict[str, Any] = {
    "f:metadata": {"f:labels": {"f:app": {}, "f:empty": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}, "f:empty": {}}},
            "f:spec": {
                "f:automountServiceAccountToken": {},
                "f:containers": {
                    CONTAINER: {
                        ".": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {
                            'k:{"containerPort":53,"protocol":"UDP"}': {
                                ".": {},
                                "f:containerPort": {},
                                "f:protocol": {},
                            },
                            'k:{"containerPort":80,"protocol":"TCP"}': {
                                ".": {},
                                "f:containerPort": {},
                            },
                        },
                        "f:resources": {"f:limits": {"f:memory": {}}},
                        "f:securityContext": {"f:allowPrivilegeEscalation": {}},
                        "f:volumeMounts": {
                            'k:{"mountPath":"/tmp"}': {".": {}, "f:mountPath": {}, "f:name": {}}
                        },
                    }
                },
                "f:tolerations": {},
                "f:volumes": {'k:{"name":"scratch"}': {".": {}, "f:emptyDir": {}, "f:name": {}}},
            },
        },
    },
}

# A Widget CR with a map list (x-kubernetes-list-type: map, key port), a set
# (x-kubernetes-list-type: set) and an atomic list (no list type).
WIDGET: dict[str, Any] = {
    "apiVersion": "facts.example.com/v1",
    "kind": "Widget",
    "metadata": {"name": "w4", "namespace": "f1"},
    "spec": {
        "size": 2,
        "ports": [{"port": 80, "name": "http"}],
        "tags": ["b", "a"],
        "items": [{"name": "a"}],
    },
    "status": {"phase": "x"},
}

WIDGET_FIELDS: dict[str, Any] = {
    "f:spec": {
        "f:items": {},
        "f:ports": {'k:{"port":80}': {".": {}, "f:name": {}, "f:port": {}}},
        "f:size": {},
        "f:tags": {'v:"a"': {}, 'v:"b"': {}},
    }
}

SECRET: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "s", "namespace": "f1"},
    "stringData": {"password": "hunter2"},
    "type": "Opaque",
}

SECRET_FIELDS: dict[str, Any] = {"f:stringData": {"f:password": {}}, "f:type": {}}

# Empty lists and maps: `env: []` (associative) is not owned at all, `args: []`
# (atomic) is a leaf, an element with only key fields is a leaf, atomic maps
# (`nodeSelector`) are leaves.
EMPTIES: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "e9", "namespace": "f1", "labels": {}, "annotations": {"a": "b"}},
    "spec": {
        "selector": {"matchLabels": {"app": "e9"}},
        "template": {
            "metadata": {"labels": {"app": "e9"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1",
                        "args": [],
                        "env": [],
                        "resources": {},
                        "command": ["a", "b"],
                        "ports": [{"containerPort": 80, "protocol": "TCP", "name": "http"}],
                    }
                ],
                "imagePullSecrets": [{"name": "x"}],
                "securityContext": {},
                "nodeSelector": {"a": "b"},
            },
        },
    },
}

EMPTIES_FIELDS: dict[str, Any] = {
    "f:metadata": {"f:annotations": {"f:a": {}}, "f:labels": {}},
    "f:spec": {
        "f:selector": {},
        "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:containers": {
                    CONTAINER: {
                        ".": {},
                        "f:args": {},
                        "f:command": {},
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {
                            'k:{"containerPort":80,"protocol":"TCP"}': {
                                ".": {},
                                "f:containerPort": {},
                                "f:name": {},
                                "f:protocol": {},
                            }
                        },
                        "f:resources": {},
                    }
                },
                "f:imagePullSecrets": {'k:{"name":"x"}': {}},
                "f:nodeSelector": {},
                "f:securityContext": {},
            },
        },
    },
}

# What the kubectl-edit entry of another manager looked like after a JSON
# merge patch that swapped the emptyDir for a hostPath (fact 2b).
HOSTPATH_EDIT_FIELDS: dict[str, Any] = {
    "f:spec": {
        "f:template": {
            "f:spec": {
                "f:volumes": {
                    'k:{"name":"scratch"}': {"f:hostPath": {".": {}, "f:path": {}, "f:type": {}}}
                }
            }
        }
    }
}


def fields_without(fields: dict[str, Any], *path: str) -> dict[str, Any]:
    """A copy of `fields` without the node at `path`, as the server leaves it after an edit.

    Parents left empty are removed too (the server never leaves an emptied
    parent behind: `{}` would mean the parent itself is owned).
    """
    result = copy.deepcopy(fields)
    parents = [result]
    for key in path[:-1]:
        parents.append(parents[-1][key])
    del parents[-1][path[-1]]
    for depth in range(len(path) - 1, 0, -1):
        if parents[depth]:
            break
        del parents[depth - 1][path[depth - 1]]
    return result


def live_object(body: dict[str, Any], *entries: dict[str, Any]) -> dict[str, Any]:
    """`body` with `metadata.managedFields` set to `entries`."""
    obj = copy.deepcopy(body)
    obj["metadata"]["managedFields"] = list(entries)
    return obj


def entry(
    manager: str, fields: dict[str, Any], *, operation: str = "Apply", time: str = ""
) -> dict[str, Any]:
    """A managedFields entry."""
    result: dict[str, Any] = {
        "manager": manager,
        "operation": operation,
        "apiVersion": "apps/v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if time:
        result["time"] = time
    return result
