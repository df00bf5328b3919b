#!/usr/bin/env bash
# A Docker Swarm of three nodes on this machine, for LittleWings' cluster tests (issue 28).
#   bash scripts/swarm-up.sh          # idempotent; prints the three nodes' sockets, one a line
#   bash scripts/swarm-up.sh down     # stops the nodes (by PID) and removes what this made
# Three dockerd, each in a network namespace of its own (lwsw1..3, hostnames lw-node-1..3) on a
# bridge (lwswarm0) of the root namespace; all three managers, so the cluster survives losing
# one. Addresses in 198.18.0.0/15 only (the benchmarking range), no default route in the
# namespaces. The busybox image is copied from this machine's engine to each node. The recipe
# and its measured facts: "A Swarm of three nodes" in the project's NOTES.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
image=${LITTLEWINGS_IMAGE:-littlewings/busybox:latest}
state=${LITTLEWINGS_SWARM_DIR:-/var/lib/littlewings/swarm}
run=/run/littlewings/swarm
bridge=lwswarm0
nodes="1 2 3"

sock() { echo "$run/node$1.sock"; }
addr() { echo "198.18.0.1$1"; }
dk() { local n=$1; shift; docker -H "unix://$(sock "$n")" "$@"; }

down() {
  for n in $nodes; do
    pidfile="$run/node$n.pid"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
  done
  for n in $nodes; do
    pidfile="$run/node$n.pid"
    for _ in $(seq 1 100); do
      [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null || break
      sleep 0.1
    done
    # Containers a killed dockerd left running: in the node's own cgroup parent.
    for procs in /sys/fs/cgroup/*/lwswarm$n/*/cgroup.procs /sys/fs/cgroup/lwswarm$n/*/cgroup.procs; do
      [ -f "$procs" ] || continue
      xargs -r kill -9 <"$procs" 2>/dev/null || true
    done
    ip netns delete "lwsw$n" 2>/dev/null || true
    rm -f "$(sock "$n")" "$run/node$n.pid"
  done
  ip link delete "$bridge" 2>/dev/null || true
  iptables -D FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null || true
  rm -rf "$state"
}

if [ "${1:-}" = down ]; then
  down
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "swarm-up: needs root (namespaces, a bridge, dockerd)" >&2; exit 1; }
if ! command -v ip >/dev/null && command -v apt-get >/dev/null; then
  echo "swarm-up: installing iproute2" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
fi
command -v nsenter >/dev/null && command -v unshare >/dev/null && command -v ip >/dev/null || {
  echo "swarm-up: needs nsenter, unshare (util-linux) and ip (iproute2)" >&2
  exit 1
}
docker image inspect "$image" >/dev/null 2>&1 || bash "$here/docker-up.sh" >&2
mkdir -p "$state" "$run"

ping() { dk "$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The bridge, and traffic across it (a root dockerd sets FORWARD's policy to DROP).
if ! ip link show "$bridge" >/dev/null 2>&1; then
  ip link add "$bridge" type bridge
  ip addr add 198.18.0.1/24 dev "$bridge"
fi
ip link set "$bridge" up
iptables -C FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null ||
  iptables -I FORWARD -i "$bridge" -o "$bridge" -j ACCEPT

# None running (a new machine, or one rebooted with the state dir kept): start a new cluster.
# A cluster restored from disk waits for a quorum of managers and reports "pending" meanwhile,
# and `swarm init` then fails with "already part of a swarm" (seen in CI).
running=0
for n in $nodes; do ping "$n" && running=$((running + 1)); done
if [ "$running" = 0 ]; then
  rm -rf "$state"/node*
fi

for n in $nodes; do
  ping "$n" && continue
  ns="lwsw$n"
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns"
    ip link add "lwsw$n-h" type veth peer name eth0 netns "$ns"
    ip link set "lwsw$n-h" master "$bridge" up
    ip -n "$ns" addr add "$(addr "$n")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  fi
  mkdir -p "$state/node$n" "$run/node$n"
  rm -f "$(sock "$n")"
  # `ip netns exec` remounts /sys, which leaves dockerd without its cgroups: enter the
  # namespace and mount a fresh sysfs with the cgroup tree kept.
  nsenter --net="/run/netns/$ns" -- unshare --uts --mount --propagation slave -- sh -c "
    hostname lw-node-$n
    keep=\$(mktemp -d)
    mount --rbind /sys/fs/cgroup \$keep
    mount -t sysfs sysfs /sys
    mount --rbind \$keep /sys/fs/cgroup
    umount -l \$keep
    exec dockerd --host=unix://$(sock "$n") --data-root=$state/node$n/data \
      --exec-root=$run/node$n/exec --pidfile=$run/node$n.pid \
      --bip=198.18.$n.1/24 --default-address-pool base=198.18.$((n * 16 + 64)).0/20,size=24 \
      --cgroup-parent=lwswarm$n
  " >"$state/node$n.log" 2>&1 </dev/null &
done

for n in $nodes; do
  for _ in $(seq 1 150); do
    ping "$n" && break
    sleep 0.2
  done
  ping "$n" || { echo "swarm-up: node $n did not answer; see $state/node$n.log" >&2; exit 1; }
done

# A node restarted with its swarm state (a node the tests killed) is "pending" until it has
# found the others again.
swarm_state() { dk "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null; }
for n in $nodes; do
  for _ in $(seq 1 300); do
    case "$(swarm_state "$n")" in active | inactive) break ;; esac
    sleep 0.2
  done
  case "$(swarm_state "$n")" in
    active | inactive) ;;
    *) echo "swarm-up: node $n is in swarm state '$(swarm_state "$n")'; see $state/node$n.log" >&2; exit 1 ;;
  esac
done

# The cluster: node 1 starts it, the others join as managers.
if [ "$(dk 1 info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  dk 1 swarm init --advertise-addr "$(addr 1)" --default-addr-pool 198.19.0.0/16 >/dev/null
fi
token=$(dk 1 swarm join-token -q manager)
for n in 2 3; do
  if [ "$(dk "$n" info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    dk "$n" swarm join --advertise-addr "$(addr "$n")" --token "$token" "$(addr 1):2377" >/dev/null
  fi
done

for _ in $(seq 1 300); do
  [ "$(dk 1 node ls --format '{{.Status}}' 2>/dev/null | grep -c Ready)" = 3 ] && break
  sleep 0.2
done

for n in $nodes; do
  dk "$n" image inspect "$image" >/dev/null 2>&1 || docker image save "$image" | dk "$n" load -q >/dev/null
done
echo "swarm-up: $(dk 1 node ls --format '{{.Hostname}}' | sort | tr '\n' ' ')ready, image $image on each" >&2
for n in $nodes; do sock "$n"; done
