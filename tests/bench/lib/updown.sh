# shellcheck shell=bash
# Measurement 2: `up -d` until every service runs, then `down`, for N services, with the
# SAME generated compose file for docker-compose, podman-compose and stack. Sourced.

# compose_file N: N sleep-forever busybox services on the default network. PID 1 is a
# shell that exits on SIGTERM (a bare `sleep` as PID 1 ignores it, pid_namespaces(7),
# and every tool would then wait out its grace period: that measures the timeout).
compose_file() {
  local n=$1 i f=$work/updown/compose-$1.yaml
  mkdir -p "$work/updown"
  {
    echo "services:"
    for ((i = 1; i <= n; i++)); do
      printf '  s%d:\n    image: busybench:latest\n' "$i"
      printf '    command: ["sh", "-c", "trap \x27exit 0\x27 TERM; sleep 2147483647 & wait"]\n'
    done
  } >"$f"
  echo "$f"
}

# A compose command that hangs (seen once: docker-compose 1.29 waiting forever with 19 of
# 100 containers created and dockerd idle) is stopped after this long and reported.
updown_timeout=600
dc() { DOCKER_HOST="unix://$work/docker/d.sock" timeout "$updown_timeout" docker-compose "$@"; }
pc() { timeout "$updown_timeout" podman-compose --podman-run-args="--cgroup-parent=$podman_parent" "$@"; }

running_is() { [ "$("$@" | grep -c .)" -eq "$updown_n" ]; }

# Each *_up returns once every service runs (compose's up -d returns when it has started
# them; the count check makes that a fact, not an assumption).
docker_up() { dc -f "$1" -p "sb$2" up -d && wait_until 60 running_is dk ps -q --filter "label=com.docker.compose.project=sb$2"; }
docker_down() { dc -f "$1" -p "sb$2" down; }
podman_up() { podman_network "sb${2}_default" && pc -f "$1" -p "sb$2" up -d && wait_until 60 running_is pm ps -q --filter "label=io.podman.compose.project=sb$2"; }
podman_down() { pc -f "$1" -p "sb$2" down && [ -z "$(pm ps -aq --filter "label=io.podman.compose.project=sb$2")" ]; }
# stack: `up -d` returns when every service runs (design.md, "Flow of one up").
stack_up() { timeout "$updown_timeout" "$stack_bin" --root "$work/stack/root" --run-root "$work/stack/run" -f "$1" -p "sb$2" up -d; }
stack_down() { timeout "$updown_timeout" "$stack_bin" --root "$work/stack/root" --run-root "$work/stack/run" -f "$1" -p "sb$2" down; }

# why RC: a skip reason for a failed up or down.
why() { [ "$1" -eq 124 ] && echo "timed out after ${updown_timeout}s: $(last_error)" || last_error; }

# updown_tool TOOL N: RUNS rounds of up then down, each timed; a round that fails stops
# the tool for this N and larger ones (a down is still attempted).
updown_tool() {
  local tool=$1 n=$2 f i t0 t1 t2 proj=$2 rc=0
  f=$(compose_file "$n")
  : >"$work/s.up.$tool.$n"
  : >"$work/s.down.$tool.$n"
  for ((i = 0; i < updown_runs; i++)); do
    t0=$(now_us)
    "${tool}_up" "$f" "$proj" >"$work/last.out" 2>"$work/last.err" || rc=$?
    if ((rc)); then
      skip "$tool" "updown N=$n" "up -d failed or not all $n running: $(why "$rc")"
      "${tool}_down" "$f" "$proj" >/dev/null 2>&1 || true
      return 1
    fi
    t1=$(now_us)
    "${tool}_down" "$f" "$proj" >"$work/last.out" 2>"$work/last.err" || rc=$?
    if ((rc)); then
      skip "$tool" "updown N=$n" "down failed: $(why "$rc")"
      return 1
    fi
    t2=$(now_us)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e6 }' >>"$work/s.up.$tool.$n"
    awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.6f\n", (b - a) / 1e6 }' >>"$work/s.down.$tool.$n"
  done
  record up "$n" "$tool" "$work/s.up.$tool.$n"
  record down "$n" "$tool" "$work/s.down.$tool.$n"
}

bench_updown() {
  local tool n
  local -a tools=()
  have docker-compose && [ -n "${docker_pid:-}" ] && tools+=(docker)
  have docker-compose || skip docker-compose updown "docker-compose not installed"
  have podman-compose && [ -n "${podman_parent:-}" ] && tools+=(podman)
  have podman-compose || skip podman-compose updown "podman-compose not installed${smoke:+; --smoke installs nothing}"
  if stack_has_up; then tools+=(stack); else skip stack updown "stack up not implemented yet"; fi
  for tool in "${tools[@]}"; do
    say "up/down: $tool, N = ${updown_ns[*]}, $updown_runs runs each after one warm-up round"
    updown_n=1
    [ -n "$smoke" ] || updown_tool_warm "$tool" || continue
    for n in "${updown_ns[@]}"; do
      if [ "$tool" != stack ] && [ -n "${peer_max_n:-}" ] && [ "$n" -gt "$peer_max_n" ]; then
        skip "$tool" "updown N=$n" "not measured in this run (--peer-max-n $peer_max_n, to keep the run short)"
        continue
      fi
      updown_n=$n
      updown_tool "$tool" "$n" || break
    done
  done
}

# One untimed round at N=1 so image and network caches are warm for every tool alike.
updown_tool_warm() {
  local f
  f=$(compose_file 1)
  if ! "${1}_up" "$f" warm >"$work/last.out" 2>"$work/last.err"; then
    skip "$1" updown "warm-up up -d failed: $(last_error)"
    "${1}_down" "$f" warm >/dev/null 2>&1 || true
    return 1
  fi
  "${1}_down" "$f" warm >/dev/null 2>&1
}
