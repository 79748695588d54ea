#!/usr/bin/env bash
# Builds the tests' Redis image from the host's redis-server and redis-cli (Debian packages redis-server and
# redis-tools) and tags it with the name the tests run (default slmcluster/redis-test:local).
#   make-image.sh [tag]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tag=${1:-slmcluster/redis-test:local}
for tool in redis-server redis-cli ldd docker; do
  command -v "$tool" >/dev/null || { echo "error: $tool is needed to build $tag (./build.sh test installs it)" >&2; exit 1; }
done

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/usr/bin"
# Debian's redis-server is a link to redis-check-rdb, which picks its role by the name it runs under:
# copy the file itself, under the name redis-server.
for tool in redis-server redis-cli; do
  cp -L "$(command -v "$tool")" "$context/rootfs/usr/bin/$tool"
done
# Every library the two load, at the path the loader will look for it (as ldd resolves it on this host),
# and the loader itself.
libs=$(for binary in "$context"/rootfs/usr/bin/*; do
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u)
for lib in $libs; do
  mkdir -p "$context/rootfs$(dirname "$lib")"
  cp -L "$lib" "$context/rootfs$lib"
done
# redis-server writes nothing with the tests' settings, but give it a working directory it may use.
mkdir -p "$context/rootfs/data" "$context/rootfs/tmp"
chmod 1777 "$context/rootfs/tmp"
cp "$here/Dockerfile" "$context/Dockerfile"
# Its output only when it fails (the engine's builder also warns about itself on every run).
if ! docker build --label org.slmcluster.redis-test=local --tag "$tag" "$context" >"$context/build.log" 2>&1; then
  cat "$context/build.log" >&2
  echo "error: docker build of $tag failed" >&2
  exit 1
fi
echo "built $tag ($(redis-server --version | grep -oE 'v=[0-9.]+'))" >&2
