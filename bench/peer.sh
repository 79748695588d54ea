#!/usr/bin/env bash
# Builds llama.cpp's llama-server (CPU, Release) for the bench's comparisons, outside the repository and from the
# llama.cpp source bundled in node-llama-cpp@3.22.1: the same llama.cpp the product binds
# (@node-llama-cpp/linux-x64@3.22.1), with the same patch node-llama-cpp applies. Not part of the product.
#
#   bench/peer.sh [--openmp-off] [build-dir]   default dir: $LLAMA_BUILD_DIR, else llama-build beside the repository
#   JOBS=2 (default) parallel compile jobs; the build runs under nice -n 19 so it does not starve a shared machine.
#   PEER_CMAKE_ARGS extra cmake options, appended (they are part of the cache key).
#
# Without --openmp-off: llama.cpp's default build (OpenMP threading, this machine's CPU kernels), the llama-server a
# user would build and compare with. --openmp-off: ggml's own thread pool instead of OpenMP, as in the product's
# binary (node-llama-cpp builds it with GGML_OPENMP=OFF), so that the comparison is of the serving paths alone.
#
# Each build is cached by the source (node-llama-cpp's version, the llama.cpp commit and the patches) and the cmake
# options: a second call with the same ones prints the same binary at once, so `$(bench/peer.sh)` can sit in a
# command line. Prints the path of the llama-server binary.
set -euo pipefail

version=3.22.1
openmp=on
if [ "${1:-}" = "--openmp-off" ]; then openmp=off; shift; fi
repo_root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-${LLAMA_BUILD_DIR:-$(dirname "$repo_root")/llama-build}}
case "$(realpath -m "$dir")/" in
  "$repo_root"/*) echo "peer.sh: build outside the repository, not in $dir" >&2; exit 2 ;;
esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

for tool in npm git cmake g++ flock sha256sum; do
  command -v "$tool" >/dev/null || { echo "peer.sh: $tool is missing (apt-get install -y cmake g++ git npm)" >&2; exit 2; }
done

# One build at a time in a directory: two callers of the same build would otherwise write the same tree.
exec 9>"$dir/.lock"
flock 9

src="$dir/src-$version/llama.cpp"
if [ ! -f "$src/.complete" ]; then
  rm -rf "$dir/src-$version"
  mkdir -p "$dir/src-$version"
  ( cd "$dir/src-$version" && npm pack --silent "node-llama-cpp@$version" >/dev/null && tar xzf "node-llama-cpp-$version.tgz" )
  git -c advice.detachedHead=false clone -q "$dir/src-$version/package/llama/gitRelease.bundle" "$src"
  for patch in "$dir/src-$version"/package/llama/patches/*.diff; do
    git -C "$src" apply "$patch"
  done
  touch "$src/.complete"
fi

cmake_args=(-DCMAKE_BUILD_TYPE=Release -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF)
[ "$openmp" = off ] && cmake_args+=(-DGGML_OPENMP=OFF)
# shellcheck disable=SC2206 # extra options, one a word
cmake_args+=(${PEER_CMAKE_ARGS:-})

key=$( { echo "$version"; git -C "$src" rev-parse HEAD; git -C "$src" diff | sha256sum; printf '%s\n' "${cmake_args[@]}"; } | sha256sum | cut -c1-12)
build="$dir/build-openmp-$openmp-$key"
bin="$build/bin/llama-server"
if [ -f "$build/.complete" ] && [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

started=$(date +%s)
cmake -S "$src" -B "$build" "${cmake_args[@]}" >"$build.configure.log" 2>&1 \
  || { tail -n 20 "$build.configure.log" >&2; exit 1; }
nice -n 19 cmake --build "$build" --target llama-server -j "${JOBS:-2}" >"$build.build.log" 2>&1 \
  || { tail -n 20 "$build.build.log" >&2; exit 1; }
printf 'cmake %s\nbuilt in %s s\n' "${cmake_args[*]}" "$(( $(date +%s) - started ))" >"$build/.complete"
echo "peer.sh: built in $(( $(date +%s) - started )) s ($build)" >&2
echo "$bin"
