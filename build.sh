#!/usr/bin/env bash
# ./build.sh [test|run|bench] [args...]
#   test  (default) install what is missing, build, run every test in the solution
#   run   build and start the local cluster (same as `dotnet run --project AppHost`)
#   bench build and run the benchmark program (bench/)
set -euo pipefail
cd "$(dirname "$0")"
verb=${1:-test}
[ $# -gt 0 ] && shift
config=${CONFIGURATION:-Release}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_updated=0
# need <command> <debian-package>: installs the package when the command is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: '$1' is missing; install the Debian package '$2' (sudo apt-get install $2)" >&2
    exit 1
  fi
  # Another apt-get (unattended upgrades, a parallel job) may hold the dpkg lock for a while: wait for it.
  local wait_lock=(-o DPkg::Lock::Timeout=300)
  if [ $apt_updated -eq 0 ]; then log "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" update -qq; apt_updated=1; fi
  log "installing $2"
  DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y -qq --no-install-recommends "$2" >/dev/null
}

install_prerequisites() {
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is needed (dotnet on PATH)" >&2; exit 1; }
  need git git
  need openssl openssl
  need node nodejs
  need npm npm
  need gcc gcc
  need redis-server redis-server # the integration tests start one per test cluster
  need promtool prometheus      # promtool and the prometheus server, for the metrics tests
  need chromium chromium        # headless browser for the dashboard test (driven by Playwright, never downloaded)
}

# Test peers from npm, pinned by the committed lockfile; reinstalled only when the lockfile changes.
install_test_peers() {
  local dir=tests/IntegrationTests/interop
  if [ ! -f "$dir/node_modules/.lock-stamp" ] || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.lock-stamp"; then
    log "npm ci ($dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.lock-stamp"
  fi
}

build() {
  log "dotnet build ($config)"
  dotnet build SlmCluster.sln -c "$config" -nologo -clp:NoSummary -v:minimal
}

case "$verb" in
  test)
    install_prerequisites
    install_test_peers
    build
    log "dotnet test"
    out=$(mktemp)
    set +e
    dotnet test SlmCluster.sln -c "$config" --no-build -nologo "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    set -e
    # One closing line for the whole solution, summed over the test assemblies.
    sum() { grep -oE "$1: +[0-9]+" "$out" | awk '{ n += $2 } END { print n + 0 }'; }
    passed=$(sum Passed) failed=$(sum Failed) skipped=$(sum Skipped)
    rm -f "$out"
    echo "$passed passed, $failed failed, $skipped skipped"
    exit "$rc"
    ;;
  run)
    install_prerequisites
    exec dotnet run --project AppHost -c "$config" -- "$@"
    ;;
  bench)
    install_prerequisites
    build
    # The built program itself, not `dotnet run`: that host stays alive relaying output and took 5-10% of a
    # core in the scaling scenario, CPU the measured processes need.
    exec dotnet "bench/bin/$config/net10.0/SlmCluster.Bench.dll" "$@"
    ;;
  *)
    echo "usage: ./build.sh [test|run|bench] [args...]" >&2
    exit 2
    ;;
esac
