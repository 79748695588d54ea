#!/usr/bin/env bash
# CPU time per request of the cluster's telemetry under the AppHost (docs/observability.md, "What telemetry costs").
# Starts the built Release AppHost once per setting, sends N sequential completions with unique prompts, and prints
# the CPU seconds the gateway, the worker and the Aspire dashboard used, per request, less what they use idle in the
# same time. Usage: eng/telemetry-cpu.sh [N] (default 200); needs a Release build (./build.sh or dotnet build -c Release).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
export SLM_MODELS_DIR=${SLM_MODELS_DIR:-$PWD/models}
ticks=$(getconf CLK_TCK)

cpu_of() { # summed utime+stime (ticks) of the given pids
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}

run() { # label, AppHost args...
  local label=$1; shift
  local log; log=$(mktemp)
  # As the README runs it (what its http launch profile sets), on ports of its own.
  ASPNETCORE_URLS=http://127.0.0.1:15991 ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:15992 \
    ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:15993 ASPIRE_ALLOW_UNSECURED_TRANSPORT=true DOTNET_ENVIRONMENT=Development \
    setsid dotnet run --project AppHost -c Release --no-build --no-launch-profile -- --model stories260K.gguf --workers 1 --threads 1 \
    --grpc-port 15990 --http-port 18990 "$@" >"$log" 2>&1 &
  local runner=$!
  until curl -sf -m 5 http://127.0.0.1:18990/v1/completions -H 'content-type: application/json' \
      -d '{"prompt":"warm up","max_tokens":4}' >/dev/null 2>&1; do
    kill -0 "$runner" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.5
  done
  local host; host=$(pgrep -f "SlmCluster.AppHost .*--http-port 18990")
  # The cluster's processes watch the AppHost's pid; its dashboard is the one that takes OTLP on this run's port.
  local pids; pids=$( (grep -l "SLM_PARENT_PID=$host" /proc/[0-9]*/environ 2>/dev/null || true) | cut -d/ -f3 | tr '\n' ' ')
  pids="$pids $( (grep -l "ASPNETCORE_URLS=http://127.0.0.1:15991" /proc/[0-9]*/environ 2>/dev/null || true) | cut -d/ -f3 | tr '\n' ' ')"
  pids=$(echo "$pids" | tr ' ' '\n' | grep -v "^$host\$" | sort -u | tr '\n' ' ')
  # A first pass warms up (JIT, connections) and times the load; then idle for as long; then the measured pass.
  local start; start=$(date +%s.%N)
  python3 - "$n" 18990 <<'PY'
import http.client, json, sys, time
n, port = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(n):
    body = json.dumps({"prompt": f"Once upon a time {i} {time.time_ns()}", "max_tokens": 16})
    c.request("POST", "/v1/completions", body, {"content-type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
  local took; took=$(echo "$(date +%s.%N) - $start" | bc)
  local before; before=$(cpu_of $pids); sleep "$took"; local idle=$(( $(cpu_of $pids) - before ))
  before=$(cpu_of $pids); start=$(date +%s.%N)
  python3 - "$n" 18990 <<'PY'
import http.client, json, sys, time
n, port = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(n):
    body = json.dumps({"prompt": f"Once upon a time {i} {time.time_ns()}", "max_tokens": 16})
    c.request("POST", "/v1/completions", body, {"content-type": "application/json"})
    r = c.getresponse(); r.read()
PY
  local load=$(( $(cpu_of $pids) - before ))
  took=$(echo "$(date +%s.%N) - $start" | bc)
  kill -TERM "$host"; wait "$runner" 2>/dev/null || true
  rm -f "$log"
  printf '%-28s %4d requests in %5.1f s: %6.2f ms CPU/request under load, %6.2f ms idle over the same time, %6.2f ms net\n' \
    "$label" "$n" "$took" "$(echo "$load * 1000 / $ticks / $n" | bc -l)" "$(echo "$idle * 1000 / $ticks / $n" | bc -l)" \
    "$(echo "($load - $idle) * 1000 / $ticks / $n" | bc -l)"
}

run "every request traced" --traces-per-second 0
run "1 new trace a second" --traces-per-second 1
