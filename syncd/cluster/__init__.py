"""The only package that talks to the Kubernetes API server (and imports `kubernetes`).

`config` turns a kubeconfig or the in-cluster service account into a
`Connection`; `client.KubeClient` implements `syncd.core.ports.Cluster` with
raw JSON over a pooled urllib3 connection (`transport`: authentication,
429/503 retries, request counts; `wire`: pure query, body, pagination and
watch-framing helpers); `discovery` maps group and kind to REST resources;
`errors` translates HTTP answers into `syncd.core.errors`.
"""
