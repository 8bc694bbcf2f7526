#!/usr/bin/env bash
# Makes a Docker engine and the test images available on this machine:
#  - installs Debian's docker.io, busybox-static and docker-registry when missing (root only);
#  - starts dockerd in the background when no engine answers;
#  - imports muster-test/busybox:1 (a rootfs of busybox-static) when missing;
#  - starts a registry on 127.0.0.1:5000 and pushes the image there for pull tests.
# Idempotent; prints what it does on stderr.
set -euo pipefail
log() { echo "setup-docker: $*" >&2; }
SOCK=/var/run/docker.sock
IMAGE=muster-test/busybox:1
REGISTRY=127.0.0.1:5000
# Logs and registry storage live here, not in /tmp, so they are never mistaken for leftovers of a run.
STATE=${MUSTER_TEST_STATE:-/var/tmp/muster-test-env}
mkdir -p "$STATE"

install_packages() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need+=(busybox-static)
  command -v docker-registry >/dev/null || need+=(docker-registry)
  [ ${#need[@]} -eq 0 ] && return
  if [ "$(id -u)" != 0 ]; then log "missing ${need[*]} and not root"; return 1; fi
  log "installing ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_engine() {
  engine_up && return
  log "starting dockerd"
  # No iptables tricks: published ports on 127.0.0.1 work through the userland proxy.
  nohup dockerd --host "unix://$SOCK" >$STATE/dockerd.log 2>&1 &
  for _ in $(seq 1 120); do engine_up && return; sleep 0.5; done
  log "dockerd did not come up; see $STATE/dockerd.log"; tail -20 $STATE/dockerd.log >&2; return 1
}

build_image() {
  docker image inspect "$IMAGE" >/dev/null 2>&1 && return
  log "building $IMAGE from busybox-static"
  local root; root=$(mktemp -d "$STATE/rootfs.XXXXXX")
  mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
  echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> "$root/etc/passwd"
  echo 'ok' > "$root/www/health"
  tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - "$IMAGE" >/dev/null
  rm -rf "$root"
}

start_registry() {
  if ! curl -sf "http://$REGISTRY/v2/" >/dev/null 2>&1; then
    log "starting a registry on $REGISTRY"
    local conf=$STATE/registry.yml
    cat > "$conf" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $STATE/registry
http:
  addr: $REGISTRY
YAML
    nohup docker-registry serve "$conf" >$STATE/registry.log 2>&1 &
    for _ in $(seq 1 60); do curl -sf "http://$REGISTRY/v2/" >/dev/null 2>&1 && break; sleep 0.25; done
  fi
  if ! curl -sf "http://$REGISTRY/v2/muster/busybox/manifests/1" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' >/dev/null 2>&1; then
    log "pushing $IMAGE to $REGISTRY"
    docker tag "$IMAGE" "$REGISTRY/muster/busybox:1"
    docker push -q "$REGISTRY/muster/busybox:1" >/dev/null
  fi
}

install_packages
start_engine
build_image
start_registry
log "ready: engine $(docker version --format '{{.Server.Version}}'), image $IMAGE, registry $REGISTRY"
