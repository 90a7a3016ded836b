#!/bin/sh
# Tests of the node commands `distspec peer|ping|call|epmd names` (registered in
# harness/cli/tests.cmake) against a private epmd and a real erl node (`ctl`) that hosts a
# registered gen_server 'Elixir.PingPong'; ctl is driven with erl_call (a C node: no BEAM start per
# query). Processes, epmd and checks: node_test_lib.sh.
# usage: cmd_node_test.sh usage|peer|client DISTSPEC [ERL]   (KEEP_WORK=1 keeps the logs)
set -u
case_name=$1
distspec=$2
erl=${3:-erl}
. "$(dirname "$0")/node_test_lib.sh"
erl_call=$(ls "$erl_root"/lib/erl_interface-*/bin/erl_call 2>/dev/null | head -n 1)
# Distinctive cookies, so that a leak into any output is found by grep.
cookie="RIGHTCOOKIE$$Q"
wrong_cookie="WRONGCOOKIE$$Q"

# ctl: a real erl node with a registered gen_server 'Elixir.PingPong'.
start_ctl() {
  [ -x "$erl_call" ] || { echo "FAIL: no erl_call under $erl_root"; exit 1; }
  cat >"$work/Elixir.PingPong.erl" <<'ERL'
-module('Elixir.PingPong').
-behaviour(gen_server).
-export([start/0, init/1, handle_call/3, handle_cast/2]).
start() -> {ok, _} = gen_server:start({local, ?MODULE}, ?MODULE, [], []), ok.
init([]) -> {ok, no_state}.
handle_call(ping, _From, State) -> {reply, pong, State};
handle_call({echo, Term}, _From, State) -> {reply, Term, State};
handle_call({sleep, Ms}, _From, State) -> timer:sleep(Ms), {reply, slept, State}.
handle_cast(_, State) -> {noreply, State}.
ERL
  ctl_alive=ctl_$$
  start_group ctl "$erl" -sname "$ctl_alive" -setcookie "$cookie" -noinput -eval "
    {ok, M, B} = compile:file(\"$work/Elixir.PingPong.erl\", [binary, report]),
    {module, M} = code:load_binary(M, \"Elixir.PingPong.erl\", B), ok = M:start()."
  ctl_pid=$started
  tries=0
  until [ "$(ctl_eval "whereis('Elixir.PingPong') =/= undefined.")" = "{ok,true}" ]; do
    tries=$((tries + 1))
    if [ $tries -ge 100 ] || exited "$ctl_pid"; then
      echo "FAIL: erl node did not start: $(head -c 500 "$work/ctl.err")"; exit 1
    fi
    sleep 0.05
  done
  ctl_node=$(ctl_eval "node().")
  ctl_node=${ctl_node#\{ok,}
  ctl_node=${ctl_node%\}}
  host=${ctl_node#*@}
}

# ctl_eval EXPRS: evaluates Erlang expressions on ctl; prints {ok,Result} without spaces.
ctl_eval() {
  echo "$1" | "$erl_call" -sname "$ctl_alive" -c "$cookie" -e 2>/dev/null | tr -d ' \n'
}

expect_stdout() {
  [ "$(cat "$work/out")" = "$2" ] || fail "$1: printed '$(head -c 300 "$work/out")', wanted '$2'"
}

expect_stderr_has() {
  grep -qF -- "$2" "$work/err" || fail "$1: stderr lacks '$2': $(head -c 300 "$work/err")"
}

no_cookie_in() {
  for file in "$@"; do
    if grep -qF -e "$cookie" -e "$wrong_cookie" "$file"; then fail "a cookie is printed in $(basename "$file")"; fi
  done
}

# epmd_names_agree: `distspec epmd names` prints exactly what `epmd -names` prints.
epmd_names_agree() {
  "$epmd" -names >"$work/names.epmd" 2>&1
  "$distspec" epmd names >"$work/names.ours" 2>&1 || fail "distspec epmd names failed"
  cmp -s "$work/names.epmd" "$work/names.ours" ||
    fail "epmd names differ: epmd '$(cat "$work/names.epmd")', distspec '$(cat "$work/names.ours")'"
  "$distspec" epmd names localhost >"$work/names.host" 2>&1 || fail "distspec epmd names localhost failed"
  cmp -s "$work/names.epmd" "$work/names.host" ||
    fail "epmd names localhost differ: epmd '$(cat "$work/names.epmd")', distspec '$(cat "$work/names.host")'"
}

# start_peer NAME ARGS...: a `distspec peer` in its own group; sets $peer_pid, $peer_node and
# $peer_port from its `ready NODE PORT` line.
start_peer() {
  name=$1; shift
  start_group "$name" "$distspec" peer "$@"
  peer_pid=$started
  if ! wait_for "$work/$name.out" '^ready '; then
    peer_node=""; peer_port=""
    return 1
  fi
  peer_node=$(awk '/^ready /{print $2}' "$work/$name.out")
  peer_port=$(awk '/^ready /{print $3}' "$work/$name.out")
}

case $case_name in
usage)
  for args in "peer" "peer --sname a --name b@h" "peer --sname a --port x" "peer --sname a --port 70000" \
              "peer --sname a --net-ticktime 0" "peer --sname a --bogus" "peer --sname a extra" \
              "peer --sname" "peer --sname a --cookie c --cookie-file f" "peer --sname a --handshake-version 4" \
              "peer --sname a --without-flags NO_SUCH_FLAG" "peer --sname a --without-flags ALIAS," \
              "ping" "ping a@h b@h" "ping a@h --timeout x" "ping a@h --bogus" \
              "call" "call a@h PingPong" "call a@h PingPong ping extra" "call a@h PingPong ping --timeout -1" \
              "call a@h PingPong {a," "call a@h -- PingPong ping --timeout=1" "epmd" "epmd bogus" "epmd names h extra"; do
    # shellcheck disable=SC2086
    expect_exit "distspec $args" 2 "$distspec" $args
    [ -s "$work/err" ] || fail "distspec $args: usage error without a message"
  done
  for command in peer ping call epmd; do
    expect_exit "$command --help" 0 "$distspec" "$command" --help
    grep -q "usage: distspec $command" "$work/out" || fail "$command --help prints no usage"
  done
  # No epmd on the port: epmd's own words, exit 1.
  expect_exit "epmd names without epmd" 1 env ERL_EPMD_PORT="$(random_port)" "$distspec" epmd names
  expect_stderr_has "epmd names without epmd" "Cannot connect to local epmd"
  ;;
peer)
  start_epmd
  start_ctl
  start_peer pa --sname "pa_$$" --cookie "$cookie" || fail "peer pa not ready: $(head -c 300 "$work/pa.err")"
  pa_pid=$peer_pid; pa_node=$peer_node
  [ "$pa_node" = "pa_$$@$host" ] || fail "peer named '$pa_node', wanted pa_$$@$host"
  epmd_names_agree
  grep -q "^name pa_$$ at port $peer_port\$" "$work/names.epmd" ||
    fail "epmd -names does not show pa_$$ at port $peer_port: $(cat "$work/names.epmd")"

  # A name already registered: refused as erl refuses it.
  expect_exit "peer with a name in use" 1 timeout 5 "$distspec" peer --sname "pa_$$" --cookie "$cookie"
  expect_stderr_has "peer with a name in use" "the name pa_$$ seems to be in use by another Erlang node"

  # Wrong cookie first (a connection already up would not be re-authenticated).
  result=$(ctl_eval "erlang:set_cookie('$pa_node', '$wrong_cookie'), net_adm:ping('$pa_node').")
  [ "$result" = "{ok,pang}" ] || fail "net_adm:ping with a wrong cookie gave $result"
  wait_for "$work/pa.err" "Connection attempt from node $ctl_node rejected. Invalid challenge reply." ||
    fail "no rejection line from the peer: $(head -c 500 "$work/pa.err")"
  grep -qF "** Connection attempt from node $ctl_node rejected. Invalid challenge reply. **" "$work/pa.err" ||
    fail "rejection line not as erl logs it: $(grep -F rejected "$work/pa.err")"

  result=$(ctl_eval "erlang:set_cookie('$pa_node', '$cookie'), {net_adm:ping('$pa_node'),
    lists:member('$pa_node', nodes()), lists:member('$pa_node', nodes(hidden)),
    gen_server:call({'Elixir.PingPong', '$pa_node'}, ping, 2000)}.")
  [ "$result" = "{ok,{pong,true,false,pong}}" ] ||
    fail "erl -> visible peer: {ping, in nodes(), in nodes(hidden), PingPong call} = $result"
  # C++ client -> C++ peer.
  expect_exit "distspec ping peer" 0 "$distspec" ping "$pa_node" --cookie "$cookie"
  expect_stdout "distspec ping peer" pong
  expect_exit "distspec call peer" 0 "$distspec" call "$pa_node" PingPong ping --cookie "$cookie"
  expect_stdout "distspec call peer" pong

  start_peer pb --sname "pb_$$" --cookie "$cookie" --hidden || fail "hidden peer not ready: $(head -c 300 "$work/pb.err")"
  pb_pid=$peer_pid; pb_node=$peer_node
  result=$(ctl_eval "{net_adm:ping('$pb_node'), lists:member('$pb_node', nodes()),
    lists:member('$pb_node', nodes(hidden))}.")
  [ "$result" = "{ok,{pong,false,true}}" ] || fail "erl -> hidden peer: {ping, in nodes(), in nodes(hidden)} = $result"

  for attempt in 1 2 3; do
    fixed=$(random_port)
    start_peer "pc$attempt" --sname "pc_$$" --cookie "$cookie" --port "$fixed" && break
  done
  pc_pid=$peer_pid
  [ "$peer_port" = "$fixed" ] || fail "--port $fixed: ready line says port '$peer_port'"
  epmd_names_agree
  grep -q "^name pc_$$ at port $fixed\$" "$work/names.epmd" || fail "epmd does not show pc_$$ at port $fixed"
  result=$(ctl_eval "net_adm:ping('$peer_node').")
  [ "$result" = "{ok,pong}" ] || fail "ping of the peer on --port $fixed gave $result"

  # --without-flags reaches the handshake (without PUBLISHED erl lists the peer as hidden), and
  # the node serves a peer that then talks without the atom cache, alias and monitors by name.
  start_peer pd --sname "pd_$$" --cookie "$cookie" \
    --without-flags PUBLISHED,DIST_MONITOR_NAME,DIST_HDR_ATOM_CACHE,ALIAS,FRAGMENTS ||
    fail "peer pd not ready: $(head -c 300 "$work/pd.err")"
  pd_pid=$peer_pid
  result=$(ctl_eval "{net_adm:ping('$peer_node'), lists:member('$peer_node', nodes()),
    lists:member('$peer_node', nodes(hidden)), gen_server:call({'Elixir.PingPong', '$peer_node'}, ping, 2000)}.")
  [ "$result" = "{ok,{pong,false,true,pong}}" ] ||
    fail "erl -> peer without flags: {ping, in nodes(), in nodes(hidden), PingPong call} = $result"

  # Without a mandatory flag the peer is refused, as OTP refuses such a node.
  start_peer pe --sname "pe_$$" --cookie "$cookie" --without-flags BIG_CREATION ||
    fail "peer pe not ready: $(head -c 300 "$work/pe.err")"
  pe_pid=$peer_pid
  result=$(ctl_eval "net_adm:ping('$peer_node').")
  [ "$result" = "{ok,pang}" ] || fail "erl -> peer without BIG_CREATION: $result"

  # Each stop signal: exit 0 within 3 s, its name gone from epmd.
  for stop in "TERM $pa_pid pa" "INT $pb_pid pb" "TERM $pc_pid pc" "TERM $pd_pid pd" "TERM $pe_pid pe"; do
    # shellcheck disable=SC2086
    set -- $stop
    kill "-$1" "$2"
    wait_exit "$2" 3
    [ "$status" = 0 ] || fail "peer $3 after SIG$1: exit status $status"
    sleep 0.05
    "$epmd" -names | grep -q "^name ${3}_$$ " && fail "$3 still registered after SIG$1"
  done
  epmd_names_agree
  [ "$(grep -c '^name ' "$work/names.epmd")" -eq 1 ] && grep -q "^name $ctl_alive " "$work/names.epmd" ||
    fail "epmd names after the peers stopped, wanted only $ctl_alive: $(cat "$work/names.epmd")"
  no_cookie_in "$work"/pa.out "$work"/pa.err "$work"/pb.out "$work"/pb.err "$work"/pc*.out "$work"/pc*.err \
    "$work"/pd.out "$work"/pd.err "$work"/pe.out "$work"/pe.err
  ;;
client)
  start_epmd
  start_ctl
  expect_exit "ping" 0 "$distspec" ping "$ctl_node" --cookie "$cookie"
  expect_stdout "ping" pong
  expect_exit "ping --cookie C -- NODE" 0 "$distspec" ping --cookie "$cookie" -- "$ctl_node"
  expect_stdout "ping --cookie C -- NODE" pong
  expect_exit "ping, wrong cookie" 1 "$distspec" ping "$ctl_node" --cookie "$wrong_cookie"
  expect_stdout "ping, wrong cookie" pang
  no_cookie_in "$work/out" "$work/err"
  expect_exit "ping of no such node" 1 "$distspec" ping "nosuch_$$@$host" --cookie "$cookie"
  expect_stdout "ping of no such node" pang

  expect_exit "call ping" 0 "$distspec" call "$ctl_node" PingPong ping --cookie "$cookie"
  expect_stdout "call ping" pong
  expect_exit "call echo" 0 "$distspec" call "$ctl_node" PingPong '{echo,{a,[1,-2],{}}}' --cookie "$cookie"
  expect_stdout "call echo" '{a,[1,-2],{}}'
  expect_exit "call of a missing name" 1 "$distspec" call "$ctl_node" NoSuchServer ping --cookie "$cookie"
  expect_stderr_has "call of a missing name" noproc
  [ -s "$work/out" ] && fail "call of a missing name printed a reply: $(cat "$work/out")"
  expect_exit "call of a dead node" 1 "$distspec" call "nosuch_$$@$host" PingPong ping --cookie "$cookie"
  expect_stderr_has "call of a dead node" nodedown
  before=$(date +%s%N)
  expect_exit "call --timeout 300" 1 "$distspec" call "$ctl_node" PingPong '{sleep,1500}' --timeout 300 \
    --cookie "$cookie"
  elapsed_ms=$((($(date +%s%N) - before) / 1000000))
  expect_stderr_has "call --timeout 300" timeout
  [ "$elapsed_ms" -lt 1400 ] || fail "call --timeout 300 took $elapsed_ms ms"
  no_cookie_in "$work/out" "$work/err"

  # --cookie-file, and the owner-only rule erl applies to ~/.erlang.cookie.
  printf '%s\n' "$cookie" >"$work/cookie"
  chmod 400 "$work/cookie"
  expect_exit "ping --cookie-file" 0 "$distspec" ping "$ctl_node" --cookie-file "$work/cookie"
  expect_stdout "ping --cookie-file" pong
  expect_exit "call --cookie-file" 0 "$distspec" call "$ctl_node" PingPong ping --cookie-file "$work/cookie"
  expect_stdout "call --cookie-file" pong
  chmod 644 "$work/cookie"
  expect_exit "ping --cookie-file readable by others" 1 "$distspec" ping "$ctl_node" --cookie-file "$work/cookie"
  expect_stderr_has "ping --cookie-file readable by others" "must be accessible by owner only"
  no_cookie_in "$work/out" "$work/err"
  mkdir "$work/home"
  cp "$work/cookie" "$work/home/.erlang.cookie"
  chmod 400 "$work/home/.erlang.cookie"
  expect_exit "ping with ~/.erlang.cookie" 0 env HOME="$work/home" "$distspec" ping "$ctl_node"
  chmod 604 "$work/home/.erlang.cookie"
  expect_exit "ping with ~/.erlang.cookie readable by others" 1 env HOME="$work/home" "$distspec" ping "$ctl_node"
  cp "$work/err" "$work/ours.err"
  # (no crash dump: erl stops its boot over the cookie file)
  start_group refused env HOME="$work/home" ERL_CRASH_DUMP_SECONDS=0 "$erl" -sname "refused_$$" -noinput \
    -eval 'halt(0).'
  wait_exit "$started" 10
  [ "$status" != 0 ] || fail "erl accepted a ~/.erlang.cookie readable by others"
  message="Cookie file $work/home/.erlang.cookie must be accessible by owner only"
  grep -qF "$message" "$work/refused.out" "$work/refused.err" || fail "erl's refusal not as expected: $(head -c 300 "$work/refused.out")"
  grep -qF "$message" "$work/ours.err" || fail "refusal differs from erl's: $(cat "$work/ours.err")"
  ;;
*)
  echo "unknown case $case_name"; exit 2 ;;
esac

[ "$failures" -eq 0 ] && echo "ok"
