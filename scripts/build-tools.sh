#!/usr/bin/env bash
# Builds the e2e tools into a content-addressed cache outside the checkout:
#   testplane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#   kubectl in one multi-call binary), kwok, kustomize and helm, plus
#   kwok-stages.yaml (KWOK's "fast" node and pod stages, taken from the kwok
#   module that `go install` downloaded).
# The cache key is a hash of e2e/testplane's go.mod, go.sum, Go sources and
# versions.env (bump BUILD_REV there when this script's build steps change),
# so a warm run costs a hash and a few stats.
# Prints the bin directory on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
plane="$here/e2e/testplane"
# shellcheck source=/dev/null
source "$plane/versions.env"

cache_root=${SYNCD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/syncd}
key=$(cd "$plane" && cat go.mod go.sum versions.env ./*.go | sha256sum | cut -c1-16)
bin="$cache_root/tools/$key/bin"

log() { printf '[build-tools] %s\n' "$*" >&2; }

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

# KWOK needs Stage objects to know how to fake node and pod lifecycles; the
# kwok module ships them as YAML beside its code.
kwok_stages() {
  local src
  src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  [ -d "$src" ] || GOFLAGS=-mod=mod go mod download "sigs.k8s.io/kwok@$KWOK_VERSION" >&2
  local out="$1/kwok-stages.yaml.tmp"
  : >"$out"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    { echo "---"; cat "$src/$f"; } >>"$out"
  done
  mv "$out" "$1/kwok-stages.yaml"
}

if [ -x "$bin/testplane" ] && [ -x "$bin/kwok" ] && [ -x "$bin/kustomize" ] && [ -x "$bin/helm" ]; then
  [ -s "$bin/kwok-stages.yaml" ] || kwok_stages "$bin"
  log "cache hit: $bin (key $key)"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { log "Go (1.25 or newer) is required to build the control plane: not found on PATH"; exit 1; }
log "cache miss (key $key): building into $bin; a cold build takes ~10 minutes"
tmp="$cache_root/tools/$key/tmp.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

minor=$(echo "$K8S_VERSION" | cut -d. -f2)
ldflags="-s -w \
 -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$minor \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION \
 -X k8s.io/client-go/pkg/version.gitMajor=1 \
 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

start=$(date +%s)
log "go build testplane ($K8S_VERSION)"
(cd "$plane" && go build -trimpath -ldflags "$ldflags" -o "$tmp/testplane" .)
for spec in \
  "kwok sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" \
  "kustomize sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" \
  "helm helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; do
  set -- $spec
  log "go install $2"
  GOBIN="$tmp" go install -trimpath -ldflags "-s -w" "$2"
done
kwok_stages "$tmp"
mkdir -p "$bin"
mv "$tmp"/testplane "$tmp"/kwok "$tmp"/kustomize "$tmp"/helm "$tmp"/kwok-stages.yaml "$bin/"
log "built in $(( $(date +%s) - start )) s"
echo "$bin"
