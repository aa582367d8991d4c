#!/usr/bin/env bash
# Installs (when missing) and starts the system pieces Lambdock and its tests use:
# runc, Docker engine, skopeo, umoci, AWS CLI v2, mmdebstrap, the reference registry,
# Chromium. Idempotent; safe to run on every start and test run. Needs root.
set -u
log() { printf '[ensure-system] %s\n' "$*" >&2; }

want_pkgs=()
need() { # need COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || want_pkgs+=("$2")
}
need runc runc
need dockerd docker.io
need skopeo skopeo
need umoci umoci
need /usr/bin/aws awscli
need mmdebstrap mmdebstrap
need /usr/bin/docker-registry docker-registry
need /usr/bin/chromium chromium
need iptables iptables
need ip iproute2
need curl curl
need zstd zstd
need /usr/lib/cni/bridge containernetworking-plugins
need autoreconf autoconf
need automake automake
need libtoolize libtool
need cmake cmake
need strip binutils
need busybox busybox-static
need htpasswd apache2-utils
need setfattr attr

if [ "${#want_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing packages ${want_pkgs[*]} and not root: install them yourself"
  else
    log "installing: ${want_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || log "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${want_pkgs[@]}" >&2 || log "apt-get install failed for some packages"
  fi
fi

# Docker engine: start it in the background when no daemon answers.
if command -v dockerd >/dev/null 2>&1 && [ "${LAMBDOCK_NO_DOCKER:-}" != 1 ]; then
  if ! docker info >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      log "starting dockerd"
      mkdir -p /var/log
      nohup dockerd >/var/log/lambdock-dockerd.log 2>&1 &
      for _ in $(seq 1 60); do
        [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1 && break
        sleep 1
      done
      docker info >/dev/null 2>&1 && log "dockerd is up" || log "dockerd did not come up; see /var/log/lambdock-dockerd.log"
    fi
  fi
fi
exit 0
