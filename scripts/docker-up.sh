#!/usr/bin/env bash
# Make sure a Docker engine answers, and that the local images LittleWings uses exist.
# On Debian as root, installs docker.io and busybox-static when missing and starts dockerd.
# No image can be pulled on these machines: images are built from busybox-static with `docker import`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${LITTLEWINGS_IMAGE:-littlewings/busybox:latest}

need_install=()
command -v dockerd >/dev/null 2>&1 || need_install+=(docker.io)
[ -x /bin/busybox ] || need_install+=(busybox-static)
if ((${#need_install[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "docker-up: installing ${need_install[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
  else
    echo "docker-up: please install ${need_install[*]} (needs root and apt-get)" >&2
    exit 1
  fi
fi

if ! docker version >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "docker-up: no Docker engine answers and I am not root to start one" >&2
    exit 1
  fi
  echo "docker-up: starting dockerd"
  # A pidfile left by a daemon that died keeps a new one from starting.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  mkdir -p /var/log
  setsid nohup dockerd >/var/log/littlewings-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 150); do
    docker version >/dev/null 2>&1 && break
    sleep 0.2
  done
  docker version >/dev/null 2>&1 || { echo "docker-up: dockerd did not answer; see /var/log/littlewings-dockerd.log" >&2; exit 1; }
fi

if ! docker image inspect "$image" >/dev/null 2>&1; then
  echo "docker-up: building $image from busybox-static"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,tmp,etc,proc,sys,dev,root}
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
  echo 'root:x:0:' > "$rootfs/etc/group"
  cp "$here/demo-console.sh" "$rootfs/bin/demo-console"
  chmod +x "$rootfs/bin/demo-console"
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$image" >/dev/null
fi
echo "docker-up: engine $(docker version -f '{{.Server.Version}}') ready, image $image present"
