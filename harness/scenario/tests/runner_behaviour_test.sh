#!/usr/bin/env bash
# Behaviour tests of `distspec run` with planted bugs (as libFuzzer tests its own flags):
# usage: runner_behaviour_test.sh DISTSPEC CASE   (CASE: wrong-result, timeout, schema, flaky,
# sigint, sigterm, sigkill). Each case starts real nodes and checks the process table after.
set -u
distspec="$1"; case_name="$2"
data="$(cd "$(dirname "$0")" && pwd)/data"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- output:"; cat "$work/out" 2>/dev/null; exit 1; }

# Descendants of a pid, from the process table.
descendants() {
  local pids="$1" all="" next
  while [ -n "$pids" ]; do
    all="$all $pids"
    next=""
    for p in $pids; do next="$next $(ps -o pid= --ppid "$p" 2>/dev/null | tr '\n' ' ')"; done
    pids="$(echo $next)"
  done
  echo $all
}

interrupt() {  # $1: signal name or "KILL"
  "$distspec" run "$data/planted-slow.yaml" --json "$work/r.json" >"$work/out" 2>&1 &
  local runner=$!
  for _ in $(seq 1 200); do grep -q "" "$work/out" 2>/dev/null; \
    [ -n "$(pgrep -f "sigtest2_")" ] && [ -n "$(pgrep -f "sname sigtest_")" ] && break; sleep 0.1; done
  sleep 1.5  # both nodes up and the step sleeping
  local family; family="$(descendants $runner)"
  local beams; beams="$(ps -o pid=,comm= -p "$(echo $family | tr ' ' ',')" | grep -cE 'beam.smp|epmd')"
  [ "$beams" -ge 3 ] || fail "expected 2 beam.smp and 1 epmd under the runner, saw $beams: $(ps -o pid=,comm= -p "$(echo $family | tr ' ' ',')")"
  kill -s "$1" "$runner"
  wait "$runner"; local rc=$?
  for _ in $(seq 1 50); do
    local alive=""
    for p in $family; do [ "$p" != "$runner" ] && kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break; sleep 0.1
  done
  [ -z "$alive" ] || fail "processes outlived the runner after SIG$1: $(ps -o pid=,comm=,args= -p "$(echo $alive | tr ' ' ',')")"
  [ -z "$(pgrep -f "sigtest2_")" ] || fail "a sigtest2 node is still running"
  echo "$rc"
}

case "$case_name" in
  wrong-result)
    "$distspec" run "$data/planted-wrong-result.yaml" --junit "$work/j.xml" --json "$work/r.json" --report "$work/rep" >"$work/out" 2>&1
    rc=$?; [ $rc -eq 1 ] || fail "exit $rc, expected 1"
    grep -q 'FAIL  planted/wrong-result' "$work/out" || fail "no FAIL line"
    grep -q 'step 2 (eval on a, line 8) failed: expected .*"pang".*got: "pong"' "$work/out" || fail "step 2 not named"
    grep -q '^0 passed, 1 failed$' "$work/out" || fail "summary"
    grep -q '<failure message="step 2 (eval on a, line 8)' "$work/j.xml" || fail "junit failure"
    grep -q '"failed_step": 2' "$work/r.json" || fail "json failed_step"
    ! grep -rq planted_cookie_value "$work" || fail "a cookie leaked into a report"
    [ -s "$work/rep/scenarios/planted/wrong-result/a.log" ] || fail "node log missing"
    ;;
  timeout)
    "$distspec" run "$data/planted-timeout.yaml" >"$work/out" 2>&1
    rc=$?; [ $rc -eq 1 ] || fail "exit $rc, expected 1"
    grep -q 'step 2 (eval on a) timed out after 1000 ms' "$work/out" || fail "timeout not reported with its step"
    grep -q -- '--- last lines of a' "$work/out" || fail "no last lines of a"
    grep -q -- '--- last lines of b' "$work/out" || fail "no last lines of b"
    grep -q 'last words of a' "$work/out" || fail "a's last output not shown"
    ;;
  schema)
    "$distspec" run "$data/bad-schema.yaml" >"$work/out" 2>&1
    rc=$?; [ $rc -eq 2 ] || fail "exit $rc, expected 2"
    grep -q "bad-schema.yaml:4:29: unknown key 'colour'" "$work/out" || fail "unknown key position"
    grep -q "bad-schema.yaml:5:26: node p: flags: peer nodes take no emulator flags" "$work/out" || fail "peer message"
    grep -q "bad-schema.yaml:7:19: eval: '\${nobody}' names no node" "$work/out" || fail "unknown name"
    grep -q "nothing was started" "$work/out" || fail "no 'nothing was started'"
    ;;
  flaky)
    "$distspec" run "$data/planted-flaky.yaml" --retries 1 --json "$work/r.json" >"$work/out" 2>&1
    rc=$?; [ $rc -eq 1 ] || fail "exit $rc, expected 1 (flaky is not passed)"
    grep -q 'FLAKY planted/flaky' "$work/out" || fail "not reported flaky"
    grep -q '^0 passed, 0 failed, 1 flaky$' "$work/out" || fail "summary"
    grep -q '"status": "flaky"' "$work/r.json" || fail "json status"
    ;;
  sigint)  rc=$(interrupt INT) || { echo "$rc"; exit 1; }; [ "$rc" = 130 ] || fail "exit $rc, expected 130";
           grep -q '"interrupted_by": 2' "$work/r.json" || fail "json not written/marked interrupted" ;;
  sigterm) rc=$(interrupt TERM) || { echo "$rc"; exit 1; }; [ "$rc" = 143 ] || fail "exit $rc, expected 143" ;;
  sigkill) rc=$(interrupt KILL) || { echo "$rc"; exit 1; }; [ "$rc" = 137 ] || fail "exit $rc, expected 137" ;;
  *) echo "unknown case $case_name"; exit 2 ;;
esac
echo "ok: $case_name"
