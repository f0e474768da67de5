#!/usr/bin/env bash
# End to end with the real binaries: routerd on free ports, routerctl, a curl scrape of /metrics,
# SIGTERM shutdown, restart recovery, and bad configs. Usage: routerd_e2e_test.sh ROUTERD ROUTERCTL
set -euo pipefail
ROUTERD=$1
ROUTERCTL=$2
work=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

data_dir="$work/data"
start_routerd() {
  "$ROUTERD" --data_dir "$data_dir" --grpc_addr 127.0.0.1:0 --metrics_addr 127.0.0.1:0 \
    > "$work/routerd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do  # bounded wait for start-up, not a timing assertion
    grep -q "serving gRPC" "$work/routerd.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/routerd.log"; return 1; }
    sleep 0.1
  done
  grpc_port=$(sed -n 's/.*serving gRPC on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/routerd.log")
  metrics_port=$(sed -n 's/.*metrics on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/routerd.log")
  [[ -n "$grpc_port" && -n "$metrics_port" ]]
}

stop_routerd() {
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  pid=""
  return $rc
}

start_routerd
ctl() { "$ROUTERCTL" --addr "127.0.0.1:$grpc_port" "$@"; }

route_out=$(ctl route --text "hello")
echo "$route_out"
decision=$(awk '/^decision/{print $2}' <<<"$route_out")
check "route prints a decision id" grep -Eq '^[0-9a-f]{32}$' <<<"$decision"
check "route prints a demo arm" grep -Eq '^arm +(small|medium|large) ' <<<"$route_out"

metrics=$(curl -sf "http://127.0.0.1:$metrics_port/metrics")
decisions=$(awk '/^router_decisions_total\{/{s+=$2} END{print s+0}' <<<"$metrics")
check "metrics count the decision" test "$decisions" = 1

check "feedback is applied" grep -q '^applied: e2e-1' <<<"$(ctl feedback --decision "$decision" --feedback_id e2e-1 --judge 0.9 --cost_usd 0.001)"
check "repeated feedback is a duplicate" grep -q '^duplicate' <<<"$(ctl feedback --decision "$decision" --feedback_id e2e-1 --judge 0.9)"

set +e
bad_judge=$(ctl feedback --decision "$decision" --judge 3 2>&1); bad_judge_rc=$?
bad_number=$(ctl feedback --decision "$decision" --judge abc 2>&1); bad_number_rc=$?
set -e
check "out-of-range judge is refused with a message" grep -q 'judge_score must be in \[0, 1\]' <<<"$bad_judge"
check "out-of-range judge exits non-zero" test "$bad_judge_rc" -ne 0
check "non-numeric flag is refused" grep -q "'abc' is not a number" <<<"$bad_number"
check "non-numeric flag exits non-zero" test "$bad_number_rc" -ne 0
check "arms lists the demo router" grep -q '^router default' <<<"$(ctl arms)"

check "SIGTERM shuts down cleanly" stop_routerd
check "shutdown is logged" grep -q "shutting down" "$work/routerd.log"

start_routerd
check "restart recovers from the shutdown checkpoint" \
  grep -q "checkpoint at event 1 (1 routers), then 0 feedback events replayed" "$work/routerd.log"
check "old feedback id is still a duplicate after restart" grep -q '^duplicate' <<<"$(ctl feedback --decision "$decision" --feedback_id e2e-1 --judge 0.9)"
model_before=$(ctl model)
check "backup is written" grep -q "^backup written to $work/backup" <<<"$(ctl backup "$work/backup")"
set +e
again=$(ctl backup "$work/backup" 2>&1); again_rc=$?
set -e
check "backup refuses an existing dir" grep -q "already exists" <<<"$again"
check "backup into an existing dir exits non-zero" test "$again_rc" -ne 0
ctl feedback --decision "$decision" --feedback_id e2e-after-backup --judge 0.1 > /dev/null
stop_routerd

# Restore: start on the backup; it has the model and the decision as of the backup.
data_dir="$work/backup"
start_routerd
check "restored server has the same model" test "$(ctl model)" = "$model_before"
check "restored server still knows the decision and the feedback id" grep -q '^duplicate' <<<"$(ctl feedback --decision "$decision" --feedback_id e2e-1 --judge 0.9)"
check "feedback after the backup is not in it" grep -q '^applied' <<<"$(ctl feedback --decision "$decision" --feedback_id e2e-after-backup --judge 0.1)"
stop_routerd
data_dir="$work/data"

cat > "$work/bad.textproto" <<'CFG'
routers { name: "x" policy { epsilon: 2 } arms { id: "a" } }
CFG
set +e
"$ROUTERD" --config "$work/bad.textproto" --data_dir "$work/data2" --grpc_addr 127.0.0.1:0 \
  --metrics_addr "" > "$work/bad.log" 2>&1
bad_rc=$?
printf 'routers {\n  nme: "x"\n}\n' > "$work/syntax.textproto"
"$ROUTERD" --config "$work/syntax.textproto" --data_dir "$work/data3" > "$work/syntax.log" 2>&1
syntax_rc=$?
set -e
check "invalid config exits non-zero" test "$bad_rc" -ne 0
check "invalid config names the field" grep -q "routers\[0\].policy.epsilon: must be in \[0, 1), got 2" "$work/bad.log"
check "config syntax error exits non-zero" test "$syntax_rc" -ne 0
check "config syntax error gives the line" grep -q "line 2" "$work/syntax.log"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
