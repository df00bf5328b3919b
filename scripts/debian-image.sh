#!/usr/bin/env bash
# The real-software image of the tests: Debian 12 (debootstrap from Debian's own packages) with
# nginx and Python, as a user's services are, not busybox. Tests run nginx in it (it logs to
# stderr, with levels) and a Python program that logs JSON with a traceback.
#   bash scripts/debian-image.sh   # builds littlewings/debian-real:<hash> once; prints its name
# The image is tagged by this script's hash; its root filesystem is kept in
# ${XDG_CACHE_HOME:-~/.cache}/littlewings/ so a new engine on the same machine imports it again
# in seconds instead of building it (≈1 min).
set -euo pipefail
cd "$(dirname "$0")/.."
tag=$(sha256sum scripts/debian-image.sh | cut -c1-12)
image=littlewings/debian-real:$tag
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/littlewings
tarball=$cache/debian-real-$tag.tar.gz
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || {
    [ "$(id -u)" = 0 ] || { echo "debian-image: debootstrap is needed (apt-get install debootstrap)"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  # The mirror apt uses (a one-line "deb URL" or a deb822 "URIs: URL"), not a comment's.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -E '^(deb|URIs:) ' | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n 1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  root=$(mktemp -d /tmp/lw-debian-XXXX)
  trap 'rm -rf "$root"' EXIT
  echo "debian-image: debootstrap bookworm from $mirror" >&2
  debootstrap --variant=minbase --include=nginx-light,python3 bookworm "$root" "$mirror" >/dev/null
  # Lean: no package lists, caches, docs or manuals (the image is ≈150 MB).
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  # nginx as in Docker's nginx image: its logs on the container's stderr (notices and worse)
  # and stdout (requests).
  sed -i 's|^error_log .*|error_log stderr notice;|' "$root"/etc/nginx/nginx.conf
  sed -i 's|^error_log .*|error_log stderr notice;|' "$root"/etc/nginx/nginx.conf
  ln -sf /dev/stdout "$root"/var/log/nginx/access.log
  mkdir -p "$cache"
  rm -f "$cache"/debian-real-*.tar.gz  # an older version of this script's
  tar -C "$root" -czf "$tarball.part" .
  mv "$tarball.part" "$tarball"
fi
# Images of older versions of this script go.
docker images littlewings/debian-real --format '{{.Repository}}:{{.Tag}}' | grep -vx "$image" \
  | xargs -r docker rmi >/dev/null 2>&1 || true
docker import -c 'CMD ["bash"]' -c 'LABEL org.littlewings.test=real-software' "$tarball" "$image" >/dev/null
echo "debian-image: $image built" >&2
echo "$image"
