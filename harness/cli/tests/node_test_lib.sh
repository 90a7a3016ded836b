# Shared by the CLI tests that start epmd and erl nodes (sourced after setting $distspec and $erl):
# process groups killed on every path, a private epmd, waiting helpers, exit-status checks.
# Every process is started with setsid in its own process group, and every group is killed on
# every path; a process that survives its group's kill is a failure. KEEP_WORK=1 keeps the logs.
erl_root=$(dirname "$(dirname "$(readlink -f "$(command -v "$erl")")")")
epmd=$(ls "$erl_root"/erts-*/bin/epmd 2>/dev/null | head -n 1)
[ -x "$epmd" ] || epmd=epmd
work=$(mktemp -d)
failures=0
groups=""  # process group ids of everything started (each the pid of its leader)

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cleanup() {
  # pkill -g: dash's kill builtin takes no negative (process group) ids.
  for group in $groups; do pkill -KILL -g "$group" 2>/dev/null; done
  for group in $groups; do
    wait_exit "$group" 2  # reaps the leader: a zombie would still be in pgrep's list
    tries=0
    while pgrep -g "$group" >/dev/null 2>&1 && [ $tries -lt 40 ]; do sleep 0.05; tries=$((tries + 1)); done
    if pgrep -g "$group" >/dev/null 2>&1; then
      echo "FAIL: process group $group survives: $(pgrep -a -g "$group")"
      failures=$((failures + 1))
    fi
  done
  if [ -n "${KEEP_WORK:-}" ]; then echo "work kept: $work"; else rm -rf "$work"; fi
  if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

random_port() { echo $(($(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000)); }

# start_group NAME COMMAND...: runs COMMAND in a new session (its own process group) with
# stdout/stderr in $work/NAME.out/.err; sets $started to its pid (= its process group id).
start_group() {
  name=$1; shift
  setsid "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
  started=$!
  groups="$groups $started"
}

# exited PID: whether PID is gone or a zombie (exited, not yet waited for).
exited() {
  state=$(ps -o stat= -p "$1" 2>/dev/null)
  [ -z "$state" ] || [ "${state#Z}" != "$state" ]
}

# wait_exit PID SECONDS: waits for PID to exit and sets $status to its exit status (or "running").
wait_exit() {
  tries=0
  while ! exited "$1" && [ $tries -lt $(($2 * 20)) ]; do sleep 0.05; tries=$((tries + 1)); done
  if exited "$1"; then wait "$1"; status=$?; else status=running; fi
}

# wait_for FILE PATTERN: up to 5 s for a line matching PATTERN.
wait_for() {
  tries=0
  while ! grep -q "$2" "$1" 2>/dev/null && [ $tries -lt 100 ]; do sleep 0.05; tries=$((tries + 1)); done
  grep -q "$2" "$1" 2>/dev/null
}

# A private epmd on a free port; ERL_EPMD_PORT points every later process at it.
start_epmd() {
  for attempt in 1 2 3 4 5; do
    port=$(random_port)
    start_group "epmd$attempt" "$epmd" -port "$port"
    ERL_EPMD_PORT=$port
    export ERL_EPMD_PORT
    tries=0
    while ! "$epmd" -names >/dev/null 2>&1 && [ $tries -lt 40 ]; do sleep 0.05; tries=$((tries + 1)); done
    sleep 0.1  # an epmd that could not bind (port taken) exits at once
    if ! exited "$started" && "$epmd" -names >/dev/null 2>&1; then return 0; fi
  done
  echo "FAIL: could not start epmd"; exit 1
}

# expect_exit WHAT CODE COMMAND...: runs COMMAND (stdout/stderr in $work/out, $work/err) and
# checks its status. WHAT names the case (the command line holds cookies: not printed).
expect_exit() {
  what=$1; want=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  got=$?
  [ "$got" -eq "$want" ] ||
    fail "$what: exit $got, wanted $want (stderr: $(head -c 300 "$work/err"); stdout ends: $(tail -n 8 "$work/out" | head -c 600))"
}
