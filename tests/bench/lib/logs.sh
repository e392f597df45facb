# shellcheck shell=bash
# Measurements 3 and 4: log capture throughput (the same stream of 100-byte lines into a
# file: through a plain pipe, the floor; through podman's conmon as k8s-file; through
# stack's supervisor once `up` exists) and conmon's resident memory per container. Sourced.

# 99 characters and a newline; busybox yes + head make the stream in the container and
# on the host alike.
log_line=$(printf '%099d' 0)
log_writer() { echo "yes $log_line | head -c $log_bytes"; }

# A warm-up round, then log_runs rounds of the floor, conmon and stack in turn, so that
# the VM's page cache (it backs a page on first touch: most of a capture's system time)
# is in the same phase for all three; medians per tool. A tool whose capture fails once
# is skipped from then on. Each round also times the writer alone into /dev/null: no
# capture of its stream can be faster than that.
bench_logs() {
  local round tool f
  local -A failed=()
  say "log capture: $((log_bytes / 1000000)) MB of 100-byte lines, $log_runs rounds after a warm-up round"
  for f in floor.mbps floor.cpu writer.mbps podman.mbps podman.cpu stack.mbps stack.cpu; do : >"$work/s.logs.$f"; done
  stack_has_up || skip stack logs "stack up not implemented yet (logs are the supervisor's)"
  for ((round = 0; round <= log_runs; round++)); do
    logs_round=$round
    for tool in floor writer podman stack; do
      [ -z "${failed[$tool]:-}" ] || continue
      [ "$tool" != podman ] || [ -n "${podman_parent:-}" ] || continue
      [ "$tool" != stack ] || stack_has_up || continue
      "${tool}_logs" || failed[$tool]=1
    done
  done
  logs_record floor "MB/s" mbps "pipe | cat > file"
  logs_record floor "cat CPU s" cpu "user+system CPU of the floor's cat (bash times)"
  logs_record writer "MB/s" mbps "the writer alone into /dev/null: no capture is faster"
  logs_record podman "MB/s" mbps "conmon, k8s-file"
  logs_record podman "conmon CPU s" cpu "user+system CPU of conmon for the whole capture (read every 20 ms until it exited)"
  logs_record stack "MB/s" mbps "supervisor, json-file, up -d to last line"
  logs_record stack "supervisor CPU s" cpu "user+system CPU of the supervisor for the whole capture"
}

# logs_sample TOOL KIND VALUE: one round's figure (none from the warm-up round).
logs_sample() { ((logs_round == 0)) || echo "$3" >>"$work/s.logs.$1.$2"; }
logs_record() { [ ! -s "$work/s.logs.$1.$3" ] || record logs "$2" "$1" "$work/s.logs.$1.$3" "$4"; }

# The floor: the writer's stdout is a pipe whose reader appends to a file. Its cat's
# CPU (bash's `times` in the pipeline's subshell: the children's user and system time)
# says what moving the same bytes from the pipe into a file costs on this machine.
floor_logs() {
  local t0 t1 size cpu
  t0=$(now_us)
  "$work/rootfs/bin/sh" -c "$(log_writer)" | { cat >"$work/floor.log"; times >"$work/floor.times"; }
  t1=$(now_us)
  cpu=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60 + p[2] } printf "%.3f\n", n }' "$work/floor.times")
  size=$(stat -c %s "$work/floor.log")
  rm -f "$work/floor.log"
  if [ "$size" -ne "$log_bytes" ]; then
    skip floor logs "wrote $size bytes, not $log_bytes"
    return 1
  fi
  logs_sample floor mbps "$(mb_per_s "$log_bytes" "$t0" "$t1")"
  [ -z "$cpu" ] || logs_sample floor cpu "$cpu"
}

# The writer with no reader at all (its stdout /dev/null): what the stream itself costs
# this machine, the bound of every capture's MB/s.
writer_logs() {
  local t0 t1
  t0=$(now_us)
  "$work/rootfs/bin/sh" -c "$(log_writer)" >/dev/null
  t1=$(now_us)
  logs_sample writer mbps "$(mb_per_s "$log_bytes" "$t0" "$t1")"
}

mb_per_s() { awk -v b="$1" -v a="$2" -v c="$3" 'BEGIN { printf "%.1f\n", b / 1e6 / ((c - a) / 1e6) }'; }

# conmon copies the container's stdout into a k8s-file log (a timestamp and stream tag
# per line); timed from `run -d` to the container's exit as `wait` reports it. conmon's
# CPU (user+system) is read from /proc every 20 ms until it exits, since it is no child
# of ours to collect at its exit: at most its last 20 ms are missed.
podman_logs() {
  local t0 t1 id logf size conmon poller cpu="" cpuf=$work/conmon.cpu
  t0=$(now_us)
  id=$(pm run -d --cgroup-parent "$podman_parent" --network none --log-driver k8s-file \
    busybench:latest sh -c "$(log_writer)" 2>"$work/last.err") || {
    skip podman logs "run failed: $(last_error)"
    return 1
  }
  conmon=$(pm inspect --format '{{.State.ConmonPid}}' "$id" 2>/dev/null || true)
  : >"$cpuf"
  if [ -n "$conmon" ] && [ "$conmon" != 0 ]; then
    (while c=$(cpu_seconds "$conmon" 2>/dev/null) && [ -n "$c" ]; do
      echo "$c" >"$cpuf"
      sleep 0.02
    done) &
    poller=$!
  fi
  pm wait "$id" >/dev/null
  t1=$(now_us)
  if [ -n "${poller:-}" ]; then wait "$poller"; fi
  cpu=$(cat "$cpuf")
  logf=$(pm inspect --format '{{.HostConfig.LogConfig.Path}}' "$id")
  size=$(awk '{ n += length($4) + ($3 == "F") } END { print n + 0 }' "$logf")
  pm rm -f "$id" >/dev/null
  if [ "$size" -ne "$log_bytes" ]; then
    skip podman logs "k8s-file holds $size payload bytes, not $log_bytes"
    return 1
  fi
  logs_sample podman mbps "$(mb_per_s "$log_bytes" "$t0" "$t1")"
  # A short smoke run may end before conmon's pid is read: no figure then.
  [ -z "$cpu" ] || logs_sample podman cpu "$cpu"
}

# conmon's RSS with K sleeping containers, per container (VmRSS of each conmon).
bench_rss() {
  local k=$1 i ids=() pid sum=0 n=0 id
  if stack_has_up; then stack_rss "${rss_ns[@]}"; else skip stack rss "stack up not implemented yet (the supervisor's RSS)"; fi
  [ -n "${podman_parent:-}" ] || return 0
  for ((i = 0; i < k; i++)); do
    id=$(pm run -d --cgroup-parent "$podman_parent" --network none busybench:latest \
      sh -c "trap 'exit 0' TERM; sleep 2147483647 & wait" 2>"$work/last.err") ||
      { skip podman rss "run failed: $(last_error)"; break; }
    ids+=("$id")
  done
  for id in "${ids[@]}"; do
    pid=$(pm inspect --format '{{.State.ConmonPid}}' "$id")
    sum=$((sum + $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")))
    n=$((n + 1))
  done
  ((${#ids[@]})) && pm rm -f -t 0 "${ids[@]}" >/dev/null
  ((n)) && record_value rss "KiB per container" conmon "$((sum / n))" "mean of $n conmons"
  return 0
}
