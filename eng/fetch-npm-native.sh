#!/usr/bin/env bash
# Fetches one npm package with `npm pack`, checks it against a pinned sha512 integrity and
# unpacks the wanted part into a cache folder. Does nothing when that folder is already complete.
#   fetch-npm-native.sh libs    <package@version> <sha512-integrity> <dest-dir>
#   fetch-npm-native.sh headers <package@version> <sha512-integrity> <dest-dir>
set -euo pipefail
mode=$1 spec=$2 integrity=$3 dest=$4
marker="$dest/.complete"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$integrity" ]; then exit 0; fi

command -v npm >/dev/null || { echo "error: npm is needed to fetch $spec (install Node.js 20+ and npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching $spec with npm pack" >&2
(cd "$work" && npm pack "$spec" --silent >/dev/null 2>"$work/npm.log") || { cat "$work/npm.log" >&2; echo "error: npm pack $spec failed" >&2; exit 1; }
tgz=$(ls "$work"/*.tgz)
actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$actual" != "$integrity" ]; then
  echo "error: $spec integrity mismatch: expected $integrity, got $actual; refusing to use it" >&2
  exit 1
fi
rm -rf "$dest" && mkdir -p "$work/x" "$dest"
tar xzf "$tgz" -C "$work/x"
case "$mode" in
  libs)
    cp "$work"/x/package/bins/*/*.so "$dest"/
    cp "$work"/x/package/bins/*/_nlcBuildMetadata.json "$dest"/ 2>/dev/null || true
    ;;
  headers)
    # The package carries llama.cpp's source as a git bundle; only the public headers are needed.
    git clone -q --no-checkout "$work/x/package/llama/gitRelease.bundle" "$work/src"
    git -C "$work/src" -c advice.detachedHead=false checkout -q HEAD -- include ggml/include
    mkdir -p "$dest/include"
    cp "$work"/src/include/*.h "$work"/src/ggml/include/*.h "$dest/include/"
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
echo "$integrity" > "$marker"
