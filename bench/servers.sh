# Sourced by bench/run_calls, cpu_calls and callgrind_calls (after they set `build` and `here`): a private
# world for the gen_call benchmark's nodes. `work` is a fresh directory that is also HOME, with a
# fresh cookie file (never printed); every process started through `pids` is stopped on exit.
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export HOME=$work
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$HOME/.erlang.cookie"
chmod 400 "$HOME/.erlang.cookie"

# wait_ready FILE WORD PID [TRIES]: until FILE has a line starting with WORD, looking every 50 ms
# TRIES times (default 200); fails if PID exits first.
wait_ready() {
  local file=$1 word=$2 pid=$3 tries=${4:-200}
  for _ in $(seq "$tries"); do
    grep -q "^$word" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "${0##*/}: $file: process exited" >&2; return 1; }
    sleep 0.05
  done
  echo "${0##*/}: timed out waiting for $file" >&2
  return 1
}

# start_private_epmd: epmd on a free port, exported as ERL_EPMD_PORT; sets host (short name).
start_private_epmd() {
  local started=false
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$port" | grep -q . && continue
    epmd -port "$port" 2>>"$work/epmd.log" &
    pids+=($!)
    for _ in $(seq 40); do
      if epmd -port "$port" -names >/dev/null 2>&1; then started=true; break; fi
      sleep 0.05
    done
    $started && break
    kill "${pids[-1]}" 2>/dev/null || true
  done
  $started || { echo "${0##*/}: could not start epmd" >&2; exit 1; }
  export ERL_EPMD_PORT=$port
  host=$(hostname -s)
}

# start_servers: the BEAM node and the ei node serving PingPong, and our C++ node twice when the
# distspec CLI builds (BENCH_CPP_NODE=0 leaves it out; BENCH_DISTSPEC=PATH serves from that
# binary): with every flag, as BEAM (dsb_cpp), and with ei's flags, the ei node's protocol work
# (dsb_cppei, ei_like_peer_args.sh). Fills `servers` (node names) and `server_pid` (by name).
declare -A server_pid
servers=()
start_servers() {
  "$build/bench/ei_pingpong_node" dsb_ei >"$work/ei.out" &
  pids+=($!)
  server_pid[dsb_ei@$host]=$!
  wait_ready "$work/ei.out" ready $!
  "$here/gen_call_bench.escript" serve dsb_beam >"$work/beam.out" &
  pids+=($!)
  server_pid[dsb_beam@$host]=$!  # escript execs the emulator: this is beam.smp
  wait_ready "$work/beam.out" ready $!
  servers=("dsb_beam@$host" "dsb_ei@$host")
  if [[ ${BENCH_CPP_NODE:-1} == 0 ]]; then
    echo "${0##*/}: BENCH_CPP_NODE=0: the C++ node is left out" >&2
    return 0
  fi
  if [[ -z ${BENCH_DISTSPEC:-} ]] &&
    ! cmake --build "$build" -j2 --target distspec >"$work/distspec.build.log" 2>&1; then
    echo "${0##*/}: distspec does not build; the C++ node is left out" >&2
    return 0
  fi
  source "$here/ei_like_peer_args.sh"
  local variant args
  for variant in dsb_cpp dsb_cppei; do
    args=()
    [[ $variant == dsb_cppei ]] && args=("${ei_like_peer_args[@]}")
    "${BENCH_DISTSPEC:-$build/distspec}" peer --sname "$variant" "${args[@]}" >"$work/$variant.out" 2>"$work/$variant.err" &
    pids+=($!)
    if wait_ready "$work/$variant.out" ready $!; then
      servers+=("$variant@$host")
      server_pid[$variant@$host]=$!
    else
      echo "${0##*/}: distspec peer ($variant) did not start; it is left out" >&2
    fi
  done
}

# label_of NODE: the row name of a server.
label_of() {
  case $1 in
    dsb_beam@*) echo "BEAM gen_server PingPong" ;;
    dsb_ei@*) echo "erl_interface C node" ;;
    dsb_cpp@*) echo "distspec C++ node (distspec peer)" ;;
    dsb_cppei@*) echo "distspec C++ node, ei's flags" ;;
    *) echo "$1" ;;
  esac
}

# median_range: the lower median, the least and the greatest of the numbers on stdin.
median_range() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)], v[1], v[NR] }'; }
