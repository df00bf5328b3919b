#!/usr/bin/env bash
# The check before resolving an issue: the whole `make test` from a clean clone of HEAD while two
# CPU burners run (a test that waits for one event and asserts on another fails here first).
#   bash scripts/loaded-ci.sh [RUNS]     # default 1 run; each in a fresh clone under /tmp
# Prints each run's closing lines and the wall time; exits non-zero if any run failed.
# CI itself (.ci/run) stays unloaded.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1}
top=$(pwd)
# Every run tests the same commit: the HEAD when this started (later commits wait for the next).
head=$(git rev-parse HEAD)
echo "loaded runs of $(git log --oneline -1 "$head")"
command -v stress-ng >/dev/null 2>&1 || {
  [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null
}
failed=0
for run in $(seq 1 "$runs"); do
  clone=$(mktemp -d /tmp/lw-loaded-XXXX)
  git clone -q "$top" "$clone"
  git -C "$clone" checkout -q "$head"
  if command -v stress-ng >/dev/null 2>&1; then
    stress-ng --cpu 2 --timeout 7200s >/dev/null 2>&1 &
  else
    (while :; do :; done) & (while :; do :; done) &
  fi
  burners=$(jobs -p)
  start=$(date +%s)
  (cd "$clone" && CI=true make test) >"$clone.log" 2>&1
  status=$?
  kill $burners 2>/dev/null
  wait 2>/dev/null
  echo "run $run: exit $status in $(($(date +%s) - start)) s at load $(cut -d' ' -f1-3 /proc/loadavg); log $clone.log"
  grep -E '^(FAILED|ERROR) |[0-9]+ (passed|failed)' "$clone.log" | tail -n 20
  ((status == 0)) || failed=1
  rm -rf "$clone"
done
exit $failed
