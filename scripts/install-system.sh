#!/usr/bin/env bash
# Installs the Debian packages syncd's e2e tests and demo need, idempotently:
# git (with git-http-backend and git daemon) and docker-registry (the OCI
# registry, run with our own loopback-only config, never the packaged one).
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
[ -x /usr/lib/git-core/git-http-backend ] || need+=(git)
[ -x /usr/lib/git-core/git-daemon ] || need+=(git-daemon-sysvinit)
command -v docker-registry >/dev/null || need+=(docker-registry)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "[system] installing: ${need[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The package starts its own service on all interfaces on some systems; we
# run our own instances on 127.0.0.1 only, so stop the packaged one.
if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
  $sudo systemctl disable --now docker-registry || true
fi
