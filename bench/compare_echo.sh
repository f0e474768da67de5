#!/usr/bin/env bash
# Route throughput of routerd against a bare gRPC echo server built from the same proto
# (bench/echo_server.cc), same client (router-loadgen, Route only), same concurrency, runs
# interleaved (routerd, echo, echo, routerd, ...) so that a change in the machine's load hits both.
# Prints, per query kind and client count, the median calls/s of each server, the median of the
# per-pair ratios routerd/echo, and each server's CPU time per call (utime + stime of the server
# process over the run, divided by the calls it answered). Numbers go to docs/benchmarks.md; no
# test asserts them.
#
#   bash bench/compare_echo.sh                       6 runs x 3 s, 1/4/16/64 clients, text+embedding
#   RUNS=3 SECONDS_PER_RUN=2 CLIENTS="1 16" QUERIES=text bash bench/compare_echo.sh
#
# Needs the targets routerd, router-echo and router-loadgen in ${BUILD_DIR:-build}
# (bash tools/build.sh routerd router-echo router-loadgen); ROUTERD=path/to/routerd measures another
# build of routerd (an older commit, say) against the same echo server and client. Loopback only;
# every process it starts is stopped on exit, and its data directory is a temporary one.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
RUNS=${RUNS:-6}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
CLIENTS=${CLIENTS:-"1 4 16 64"}
QUERIES=${QUERIES:-"text embedding"}

for bin in routerd router-echo router-loadgen; do
  path=$(find "$BUILD_DIR" -name "$bin" -type f -perm -u+x | head -n 1)
  if [[ -z "$path" ]]; then
    echo "compare_echo: $bin not found under $BUILD_DIR; build it: bash tools/build.sh routerd router-echo router-loadgen" >&2
    exit 2
  fi
  declare "BIN_${bin//-/_}=$path"
done
if [[ -n "${ROUTERD:-}" ]]; then BIN_routerd=$ROUTERD; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/compare-echo.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts a server in the background and waits (at most 30 s) for its "serving gRPC on HOST:PORT"
# line. Sets STARTED_PID and STARTED_PORT.
start_server() {
  local log=$1
  shift
  "$@" > "$log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  for _ in $(seq 300); do
    if grep -q "serving gRPC on" "$log"; then
      STARTED_PORT=$(grep -o "serving gRPC on 127.0.0.1:[0-9]*" "$log" | head -n 1 | sed 's/.*://')
      return 0
    fi
    if ! kill -0 "$STARTED_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "compare_echo: $1 did not start; its output:" >&2
  cat "$log" >&2
  exit 1
}

# CPU ticks (utime + stime) used so far by a process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_server "$WORK/routerd.log" "$BIN_routerd" --data_dir "$WORK/data" \
  --grpc_addr 127.0.0.1:0 --metrics_addr ""
ROUTERD_PID=$STARTED_PID
ROUTERD_PORT=$STARTED_PORT
start_server "$WORK/echo.log" "$BIN_router_echo" --grpc_addr 127.0.0.1:0
ECHO_PID=$STARTED_PID
ECHO_PORT=$STARTED_PORT
TICKS_PER_SECOND=$(getconf CLK_TCK)

# One loadgen run against a server: prints "calls_per_second cpu_us_per_call".
run_one() {
  local port=$1 pid=$2 clients=$3 query=$4 seconds=$5
  local before after out calls rate
  before=$(cpu_ticks "$pid")
  out=$("$BIN_router_loadgen" --addr "127.0.0.1:$port" --concurrency "$clients" \
          --requests 1000000000 --max_seconds "$seconds" --feedback_ratio 0 --query "$query")
  after=$(cpu_ticks "$pid")
  calls=$(awk '$1 == "Route" {print $2}' <<< "$out")
  rate=$(awk '$1 == "Route" {print $4}' <<< "$out")
  awk -v r="$rate" -v c="$calls" -v t=$((after - before)) -v hz="$TICKS_PER_SECOND" \
    'BEGIN {printf "%s %.1f\n", r, (c > 0 ? t / hz * 1e6 / c : 0)}'
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

echo "compare_echo: $BIN_routerd against $BIN_router_echo; $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "compare_echo: $RUNS interleaved runs of $SECONDS_PER_RUN s per server and setting; routerd pid $ROUTERD_PID, echo pid $ECHO_PID"
printf "%-9s %7s %12s %12s %7s %14s %14s\n" query clients "routerd/s" "echo/s" ratio \
  "routerd us/call" "echo us/call"
for query in $QUERIES; do
  # Warm-up: connections, allocator, the router's first decisions.
  run_one "$ROUTERD_PORT" "$ROUTERD_PID" 4 "$query" 1 > /dev/null
  run_one "$ECHO_PORT" "$ECHO_PID" 4 "$query" 1 > /dev/null
  for clients in $CLIENTS; do
    : > "$WORK/r" && : > "$WORK/e" && : > "$WORK/ratio"
    for run in $(seq "$RUNS"); do
      if (( run % 2 )); then
        r=$(run_one "$ROUTERD_PORT" "$ROUTERD_PID" "$clients" "$query" "$SECONDS_PER_RUN")
        e=$(run_one "$ECHO_PORT" "$ECHO_PID" "$clients" "$query" "$SECONDS_PER_RUN")
      else
        e=$(run_one "$ECHO_PORT" "$ECHO_PID" "$clients" "$query" "$SECONDS_PER_RUN")
        r=$(run_one "$ROUTERD_PORT" "$ROUTERD_PID" "$clients" "$query" "$SECONDS_PER_RUN")
      fi
      echo "$r" >> "$WORK/r"
      echo "$e" >> "$WORK/e"
      awk -v r="${r%% *}" -v e="${e%% *}" 'BEGIN {printf "%.4f\n", r / e}' >> "$WORK/ratio"
    done
    printf "%-9s %7d %12.0f %12.0f %7.2f %14.1f %14.1f\n" "$query" "$clients" \
      "$(cut -d' ' -f1 "$WORK/r" | median)" "$(cut -d' ' -f1 "$WORK/e" | median)" \
      "$(median < "$WORK/ratio")" \
      "$(cut -d' ' -f2 "$WORK/r" | median)" "$(cut -d' ' -f2 "$WORK/e" | median)"
  done
done
echo "compare_echo: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
