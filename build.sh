#!/usr/bin/env bash
# ./build.sh [test|test-containers|soak [minutes]|run|bench|eval] [args...]
#   test  (default) install what is missing, build, run every test in the solution but the container suite
#   test-containers  build the production images (deploy/docker/build-images.sh) and run the container suite:
#         the cluster in containers on a private network, and its faults (docs/deploy.md)
#   soak [minutes]  the soak with faults on the container cluster (default 10 minutes); report in bench/results
#   run   build and start the local cluster (same as `dotnet run --project AppHost`)
#   bench build and run the benchmark program (bench/)
#   eval  build and run the evaluation tool (tools/Eval) against a running gateway, e.g.
#         ./build.sh eval --set eval/examples/stories.jsonl --candidate stories260K --reference tinystories-656k-q8_0
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
  need redis-server redis-server
  need promtool prometheus      # promtool and the prometheus server, for the metrics tests
  need chromium chromium        # headless browser for the dashboard test (driven by Playwright, never downloaded)
}

# The integration tests' Redis runs in a container that Testcontainers starts on a Docker engine. Debian 12's engine
# speaks API 1.41; Ryuk, Testcontainers' reaper, has an image no registry here serves, so the tests remove their
# containers themselves and this script removes what a crashed run left.
export DOCKER_API_VERSION=1.41 TESTCONTAINERS_RYUK_DISABLED=true
redis_test_image=slmcluster/redis-test:local   # the name tests/IntegrationTests/Infrastructure/DockerRedis.cs runs
dockerd_log=${TMPDIR:-/tmp}/slmcluster-dockerd.log
dockerd_pid=""   # set when this script started the engine, which it then stops at exit

engine_answers() { docker info >/dev/null 2>&1; }

start_docker_engine() {
  if command -v docker >/dev/null 2>&1 && engine_answers; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: no Docker engine answers; start one (as root, ./build.sh installs docker.io and starts dockerd)" >&2
    exit 1
  fi
  need dockerd docker.io
  need docker docker.io
  log "starting dockerd (log: $dockerd_log)"
  # Detached, in its own session, with its output in a file: nothing holds this script's output open.
  setsid dockerd </dev/null >"$dockerd_log" 2>&1 &
  dockerd_pid=$!
  trap stop_docker_engine EXIT
  local tries
  for tries in $(seq 300); do
    engine_answers && return 0
    if ! kill -0 "$dockerd_pid" 2>/dev/null; then
      dockerd_pid=""
      # Another run may have started an engine in the meantime (then this one found its pid file taken): use it.
      engine_answers && return 0
      tail -n 20 "$dockerd_log" >&2
      echo "error: dockerd exited at start (log: $dockerd_log)" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "error: dockerd did not answer within 30 s (log: $dockerd_log)" >&2
  exit 1
}

# Test containers by whether their test process still runs: every test container carries the id of the process
# that started it (label org.slmcluster.test-pid); one without it, or whose process is gone, is a leftover.
#   test_containers live|stale
test_containers() {
  local id pid
  for id in $(docker ps -aq --filter label=org.testcontainers=true); do
    pid=$(docker inspect --format '{{index .Config.Labels "org.slmcluster.test-pid"}}' "$id" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      [ "$1" = live ] && echo "$id"
    else
      [ "$1" = stale ] && echo "$id"
    fi
  done
  return 0
}

# Leftovers of a crashed run only: a run still going (another checkout on this machine) keeps its containers.
remove_stale_test_containers() {
  local stale
  stale=$(test_containers stale)
  if [ -n "$stale" ]; then
    log "removing test containers left by an earlier run"
    # shellcheck disable=SC2086 # one id a word
    docker rm --force --volumes $stale >/dev/null
  fi
  # The container suite's private networks, by the same label (after their containers, which they must outlive).
  local id pid
  for id in $(docker network ls -q --filter label=org.slmcluster.test-pid); do
    pid=$(docker network inspect --format '{{index .Labels "org.slmcluster.test-pid"}}' "$id" 2>/dev/null || true)
    if ! { [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; }; then
      docker network rm "$id" >/dev/null 2>&1 || true
    fi
  done
}

stop_docker_engine() {
  [ -n "$dockerd_pid" ] || return 0
  local pid=$dockerd_pid
  dockerd_pid=""
  remove_stale_test_containers
  if [ -n "$(test_containers live)" ]; then
    log "leaving dockerd running: another test run's containers are up"
    return 0
  fi
  log "stopping dockerd"
  kill -TERM "$pid" 2>/dev/null || return 0
  local tries
  for tries in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "warning: dockerd (pid $pid) still runs 30 s after SIGTERM" >&2
}

# The usual Redis image where a registry serves it, else one made here from Debian's redis-server and redis-cli
# (eng/redis-test-image); either is tagged with the name the tests run. SLM_REDIS_TEST_IMAGE=pull or =build skips
# the other way; by default a pull is tried for up to 30 s first. An image already tagged is used as it is.
ensure_redis_test_image() {
  docker image inspect "$redis_test_image" >/dev/null 2>&1 && return 0
  local upstream=redis:7.0 how=${SLM_REDIS_TEST_IMAGE:-auto}
  if [ "$how" != build ]; then
    log "docker pull $upstream"
    if timeout 30 docker pull --quiet "$upstream" >/dev/null 2>&1; then
      docker tag "$upstream" "$redis_test_image"
      return 0
    fi
    if [ "$how" = pull ]; then echo "error: docker pull $upstream failed (SLM_REDIS_TEST_IMAGE=pull)" >&2; exit 1; fi
  fi
  log "building $redis_test_image from Debian's redis-server (no registry served $upstream)"
  eng/redis-test-image/make-image.sh "$redis_test_image"
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

# The one style of .editorconfig, checked (not applied): `dotnet format SlmCluster.sln` fixes what it reports.
check_format() {
  log "dotnet format --verify-no-changes"
  dotnet format SlmCluster.sln --verify-no-changes --no-restore -v:quiet
}

case "$verb" in
  test)
    install_prerequisites
    install_test_peers
    start_docker_engine
    remove_stale_test_containers
    ensure_redis_test_image
    build
    check_format
    log "dotnet test"
    out=$(mktemp)
    set +e
    # A test that hangs is stopped after 8 minutes and named in the output, instead of holding CI until its limit.
    # The container suite (category Containers) and the soak (Soak) have verbs of their own; a --filter given here replaces that.
    filter=(--filter "Category!=Containers&Category!=Soak")
    for arg in "$@"; do [ "$arg" = --filter ] && filter=(); done
    dotnet test SlmCluster.sln -c "$config" --no-build -nologo --blame-hang-timeout 8m --blame-hang-dump-type none "${filter[@]}" "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    set -e
    # One closing line for the whole solution, summed over the test assemblies.
    sum() { grep -oE "$1: +[0-9]+" "$out" | awk '{ n += $2 } END { print n + 0 }'; }
    passed=$(sum Passed) failed=$(sum Failed) skipped=$(sum Skipped)
    rm -f "$out"
    stop_docker_engine   # before the closing line, which stays the last one
    echo "$passed passed, $failed failed, $skipped skipped"
    exit "$rc"
    ;;
  test-containers|soak)
    install_prerequisites
    need debootstrap debootstrap   # the images' base, made once (deploy/docker/build-images.sh)
    start_docker_engine
    remove_stale_test_containers
    build
    log "building the images (deploy/docker/build-images.sh)"
    deploy/docker/build-images.sh
    category=Containers hang=10m verbosity=normal
    if [ "$verb" = soak ]; then
      category=Soak verbosity=detailed   # the soak's summary and fault log are its output
      export SLM_SOAK_MINUTES=${1:-10}
      [ $# -gt 0 ] && shift
      hang=$(( ${SLM_SOAK_MINUTES%.*} + 10 ))m
    fi
    log "dotnet test (category $category)"
    set +e
    dotnet test tests/IntegrationTests/IntegrationTests.csproj -c "$config" --no-build -nologo --blame-hang-timeout "$hang" --blame-hang-dump-type none \
      --filter "Category=$category" --logger "console;verbosity=$verbosity" "$@"
    rc=$?
    set -e
    stop_docker_engine
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
  eval)
    install_prerequisites
    build
    # The built program, as for bench: latencies it measures are not shared with a `dotnet run` host.
    exec dotnet "tools/Eval/bin/$config/net10.0/SlmCluster.Eval.dll" "$@"
    ;;
  *)
    echo "usage: ./build.sh [test|test-containers|soak [minutes]|run|bench|eval] [args...]" >&2
    exit 2
    ;;
esac
