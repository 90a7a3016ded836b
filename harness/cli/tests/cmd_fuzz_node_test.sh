#!/bin/sh
# Tests of `distspec fuzz node` (registered in harness/cli/tests.cmake): flag parsing and exit
# codes (usage), and a 2-second campaign against a real erl node on a private epmd (beam): exit 0,
# rates printed, nothing crashed, the node still answers `distspec ping`, the cookie never printed.
# Processes, epmd and checks: node_test_lib.sh.
# usage: cmd_fuzz_node_test.sh usage|beam DISTSPEC [ERL]   (KEEP_WORK=1 keeps the logs)
set -u
case_name=$1
distspec=$2
erl=${3:-erl}
. "$(dirname "$0")/node_test_lib.sh"
cookie="FUZZCOOKIE$$Q"

case $case_name in
usage)
  for args in "fuzz node" "fuzz node a@h b@h" "fuzz node noat" "fuzz node a@h --bogus" \
              "fuzz node a@h --seconds x" "fuzz node a@h --rounds -1" "fuzz node a@h --concurrency 0" \
              "fuzz node a@h --phases send_name,bogus" "fuzz node a@h --phases ," \
              "fuzz node a@h --epmd-port 70000" "fuzz node a@h --timeout" \
              "fuzz node a@h --mutations connected.bogus" "fuzz node a@h --mutations ,"; do
    # shellcheck disable=SC2086
    expect_exit "distspec $args" 2 "$distspec" $args
    [ -s "$work/err" ] || fail "distspec $args: usage error without a message"
  done
  expect_exit "fuzz node --help" 0 "$distspec" fuzz node --help
  grep -q "usage: distspec fuzz node" "$work/out" || fail "fuzz node --help prints no usage"
  expect_exit "fuzz node --mutations list" 0 "$distspec" fuzz node a@h --mutations list
  grep -qx "connected.valid" "$work/out" || fail "--mutations list lacks connected.valid"
  expect_exit "fuzz --help" 0 "$distspec" fuzz --help
  grep -q "distspec fuzz node" "$work/out" || fail "fuzz --help does not mention fuzz node"
  # No epmd: the target cannot be found, exit 1 with a reason.
  expect_exit "fuzz node without epmd" 1 env ERL_EPMD_PORT="$(random_port)" \
    "$distspec" fuzz node a@localhost --cookie "$cookie" --seconds 1 --out "$work/out-dir"
  [ -s "$work/err" ] || fail "fuzz node without epmd: no reason printed"
  if grep -qF "$cookie" "$work/out" "$work/err"; then fail "the cookie is printed"; fi
  ;;
beam)
  start_epmd
  alive=fuzz_target_$$
  HOME=$work start_group target "$erl" -sname "$alive" -setcookie "$cookie" -noinput -start_epmd false
  tries=0
  until "$epmd" -names 2>/dev/null | grep -q "name $alive "; do
    tries=$((tries + 1))
    [ $tries -ge 200 ] && { fail "erl did not register: $(head -c 300 "$work/target.err")"; exit 1; }
    sleep 0.05
  done
  node="$alive@$(hostname -s)"
  expect_exit "fuzz node (2 s)" 0 "$distspec" fuzz node "$node" --cookie "$cookie" --seconds 2 \
    --seed 7 --out "$work/campaign"
  grep -q "seed 7" "$work/out" || fail "the seed is not printed"
  grep -q "handshakes/s" "$work/out" || fail "no handshakes/s in the summary"
  grep -q "^findings: 0," "$work/out" || fail "findings: $(grep -A3 '^findings' "$work/out")"
  [ -d "$work/campaign/observed" ] || fail "no observed/ samples"
  if grep -qF "$cookie" "$work/out" "$work/err"; then fail "the cookie is printed"; fi
  if grep -q "CRASH REPORT" "$work/target.out" "$work/target.err"; then fail "the target logged a crash report"; fi
  expect_exit "ping after the campaign" 0 "$distspec" ping "$node" --cookie "$cookie"
  # A wrong cookie: the target refuses the first correct peer: exit 1, nothing fuzzed.
  expect_exit "fuzz node with a wrong cookie" 1 "$distspec" fuzz node "$node" --cookie "WRONG$cookie" \
    --seconds 1 --out "$work/campaign2"
  grep -q "does not accept a correct peer" "$work/err" || fail "wrong cookie: $(head -c 300 "$work/err")"
  ;;
*)
  echo "unknown case $case_name"; exit 2
  ;;
esac
exit 0
