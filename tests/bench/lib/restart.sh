# shellcheck shell=bash
# Measurement 5: restart latency, the time from a container's exit to the start of its
# next run under an always-restart policy, taken from each tool's own event stream
# (nanosecond times). Sourced; needs stk, dk, skip/record (common.sh).

# Polled by wait_until, so the count is taken afresh on each call.
starts_at_least() { [ "$(grep -c '"action":"start"' "$1" 2>/dev/null)" -ge "$2" ]; }
docker_starts_at_least() { [ "$(grep -c '^start ' "$1" 2>/dev/null)" -ge "$2" ]; }

# Restart latency: a service that exits at once, restarted with no delay (deploy.
# restart_policy delay 0s: the backoff at its floor); the gap between each die and
# the next start in `events --json` (nanosecond times stamped by the supervisor).
stack_restart() {
  local f=$work/restart/stack.yaml p=sbrestart ev=$work/restart/events.json evpid
  mkdir -p "$work/restart"
  cat >"$f" <<'YAML'
services:
  r:
    image: busybench:latest
    network_mode: none
    command: ["true"]
    deploy:
      restart_policy:
        condition: any
        delay: 0s
YAML
  if ! sv "$f" "$p" up -d >"$work/last.out" 2>"$work/last.err"; then
    skip stack restart "up -d failed: $(last_error)"
    sv "$f" "$p" down >/dev/null 2>&1
    return 0
  fi
  # The binary itself in the background (not a function's subshell), so $! is its pid.
  "$stack_bin" --root "$work/stack/root" --run-root "$work/stack/run" -f "$f" -p "$p" events --json >"$ev" 2>/dev/null &
  evpid=$!
  wait_until 60 starts_at_least "$ev" $((restart_n + 1)) || true
  kill "$evpid" 2>/dev/null || true
  wait "$evpid" 2>/dev/null || true
  sv "$f" "$p" down >/dev/null 2>&1 || skip stack restart "down failed"
  "$py" - "$ev" >"$work/s.restart.stack" <<'PY'
import json, sys, datetime
def ns(t):  # 2026-01-02T03:04:05.123456789Z
    base, frac = t.rstrip("Z").split(".")
    d = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 10**9 + int(frac.ljust(9, "0")[:9])
events = []
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    events.append((e.get("action"), ns(e["time"])))
die = None
for action, t in events:
    if action == "die":
        die = t
    elif action == "start" and die is not None:
        print(f"{(t - die) / 1e9:.6f}")
        die = None
PY
  if [ -s "$work/s.restart.stack" ]; then
    record restart "exit to start" stack "$work/s.restart.stack" "restart_policy delay 0s; die to start in events"
  else
    skip stack restart "no die/start pair in events --json"
  fi
}

# docker: `--restart always`; moby's restart manager waits 100 ms before the first
# restart and doubles it after each, so only each container's FIRST restart is at the
# floor: restart_n containers, one gap each.
docker_restart() {
  local i id ev=$work/restart/docker-events.txt evpid t0
  : >"$work/s.restart.docker"
  for ((i = 0; i < restart_n; i++)); do
    t0=$(date +%s.%N)
    id=$(dk run -d --network none --restart always busybench:latest true 2>"$work/last.err") ||
      { skip docker restart "run failed: $(last_error)"; return 0; }
    docker -H "unix://$work/docker/d.sock" events --since "$t0" --filter "container=$id" --format '{{.Action}} {{.TimeNano}}' >"$ev" 2>/dev/null &
    evpid=$!
    wait_until 30 docker_starts_at_least "$ev" 2 || true
    # The docker CLI's event stream does not end on SIGTERM (seen: docker 20.10).
    kill -KILL "$evpid" 2>/dev/null || true
    wait "$evpid" 2>/dev/null || true
    dk rm -f "$id" >/dev/null 2>&1
    awk '$1 == "die" && !d { d = $2 } $1 == "start" && d { printf "%.6f\n", ($2 - d) / 1e9; exit }' "$ev" >>"$work/s.restart.docker"
  done
  if [ -s "$work/s.restart.docker" ]; then
    record restart "exit to start" docker "$work/s.restart.docker" "--restart always, first restart of each container (100 ms built-in delay)"
  else
    skip docker restart "no die/start pair in docker events"
  fi
}

bench_restart() {
  say "restart latency: $restart_n restarts"
  if stack_has_up; then stack_restart; else skip stack restart "stack up not implemented yet"; fi
  [ -n "${docker_pid:-}" ] && docker_restart
  return 0
}
