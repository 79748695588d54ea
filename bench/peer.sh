#!/usr/bin/env bash
# Builds llama.cpp's llama-server (CPU, Release) for the bench's comparison (--openai-url), outside the repository and
# from the llama.cpp source bundled in node-llama-cpp@3.22.1: the same llama.cpp the product binds
# (@node-llama-cpp/linux-x64@3.22.1), with the same patch node-llama-cpp applies. Not part of the product.
#
#   bench/peer.sh [build-dir]      default: $LLAMA_BUILD_DIR, else llama-build beside the repository
#   JOBS=2 (default) parallel compile jobs; the build runs under nice -n 19 so it does not starve a shared machine.
#   PEER_CMAKE_ARGS extra cmake options, e.g. -DGGML_OPENMP=ON for llama.cpp's default OpenMP threading.
#
# CPU kernels for this machine (GGML_NATIVE) and ggml's own thread pool, not OpenMP, as in the product's binary
# (node-llama-cpp builds it with GGML_OPENMP=OFF): the comparison is then of the serving paths, not of two threading
# runtimes. (Seen here with an OpenMP build on a busy 2-core machine: 8 streams at 38 tok/s in all, its threads
# spinning at barriers while others ran; not measured side by side with this build.)
#
# Prints the path of the llama-server binary.
set -euo pipefail

version=3.22.1
repo_root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-${LLAMA_BUILD_DIR:-$(dirname "$repo_root")/llama-build}}
case "$(realpath -m "$dir")/" in
  "$repo_root"/*) echo "peer.sh: build outside the repository, not in $dir" >&2; exit 2 ;;
esac
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin="$dir/llama.cpp/build/bin/llama-server"

for tool in npm git cmake g++; do
  command -v "$tool" >/dev/null || { echo "peer.sh: $tool is missing (apt-get install -y cmake g++ git npm)" >&2; exit 2; }
done

if [ ! -d "$dir/llama.cpp" ]; then
  ( cd "$dir" && npm pack --silent "node-llama-cpp@$version" >/dev/null && tar xzf "node-llama-cpp-$version.tgz" )
  git -c advice.detachedHead=false clone -q "$dir/package/llama/gitRelease.bundle" "$dir/llama.cpp"
  for patch in "$dir"/package/llama/patches/*.diff; do
    git -C "$dir/llama.cpp" apply "$patch"
  done
fi

cmake -S "$dir/llama.cpp" -B "$dir/llama.cpp/build" -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DGGML_OPENMP=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF ${PEER_CMAKE_ARGS:-} >"$dir/cmake-configure.log" 2>&1
nice -n 19 cmake --build "$dir/llama.cpp/build" --target llama-server -j "${JOBS:-2}" >"$dir/cmake-build.log" 2>&1
echo "$bin"
