#!/usr/bin/env bash
# Make sure a Podman API service answers on LittleWings' test socket, with the local busybox image.
#   bash scripts/podman-up.sh            # prints the socket's URL on its last line
# On Debian as root, installs podman, runc and catatonit (a pod's infra container is built from
# it, locally) when missing, writes the containers.conf these hosts
# need (crun 1.8 refuses their cgroup set-up; the default nofile limit is refused) and starts
# `podman system service` in the background. Idempotent: a service that answers is kept.
# The socket is LittleWings' own (not /run/podman/podman.sock), so that a machine's own Podman
# and the engines LittleWings finds by itself are left alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${LITTLEWINGS_IMAGE:-littlewings/busybox:latest}
state=${LITTLEWINGS_PODMAN_DIR:-/var/lib/littlewings/podman}
sock=${LITTLEWINGS_PODMAN_SOCK:-/run/littlewings/podman.sock}
conf="$state/containers.conf"
export CONTAINERS_CONF="$conf"

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 ||
  ! command -v catatonit >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "podman-up: installing podman, runc and catatonit" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc catatonit >/dev/null
  else
    echo "podman-up: please install podman, runc and catatonit (needs root and apt-get)" >&2
    exit 1
  fi
fi

mkdir -p "$state" "$(dirname "$sock")"
cat >"$conf.new" <<'EOF'
# Written by LittleWings' scripts/podman-up.sh for its test engine.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
# conmon writes log stamps in its zone: another zone than UTC (+05:30, a POSIX TZ: no tzdata
# needed) makes every Podman test read stamps with an offset, as many hosts write them.
conmon_env_vars = ["TZ=LWT-5:30"]
EOF
mv "$conf.new" "$conf"

# GET /_ping on the socket (python3: curl may not be installed).
ping() {
  python3 - "$sock" <<'PY' >/dev/null 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
status = s.recv(64).split(b"\r\n")[0]
sys.exit(0 if status.startswith(b"HTTP/1.") and b" 200 " in status + b" " else 1)
PY
}

if ! ping; then
  pidfile="$state/service.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$sock"
  echo "podman-up: starting podman system service on $sock" >&2
  # (In its own folder: conmon leaves an empty "oom" file in its working directory after an
  # OOM kill.)
  (cd "$state" && exec setsid podman system service --time=0 "unix://$sock") \
    >/var/log/littlewings-podman.log 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 150); do
    ping && break
    sleep 0.2
  done
  ping || { echo "podman-up: podman did not answer; see /var/log/littlewings-podman.log" >&2; exit 1; }
fi

if ! podman image exists "$image"; then
  echo "podman-up: loading $image" >&2
  if docker image inspect "$image" >/dev/null 2>&1; then
    docker image save "$image" | podman load -q >/dev/null
  else
    bash "$here/docker-up.sh" >&2
    docker image save "$image" | podman load -q >/dev/null
  fi
fi
echo "podman-up: podman $(podman version -f '{{.Server.Version}}' 2>/dev/null || podman version -f '{{.Version}}') ready, image $image present" >&2
echo "unix://$sock"
