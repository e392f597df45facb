# shellcheck shell=bash
# Shared helpers of tests/bench/run: logging, skips, timing and the results file.
# Sourced; expects $work (the run's temp dir) and $results / $skips (TSV files in it).

say() { printf 'bench: %s\n' "$*" >&2; }

# skip TOOL SECTION REASON: a peer or a measurement that cannot run, said loudly and
# written to the report so a missing figure is never silent.
skip() {
  say "skipping $1 ($2): $3"
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$skips"
}

have() { command -v "$1" >/dev/null 2>&1; }

# now_us: wall clock in microseconds (bash 5's EPOCHREALTIME, no fork).
now_us() { local t=$EPOCHREALTIME; echo "${t/[.,]/}"; }

# measure SAMPLES RUNS CMD...: one warm-up run (which must succeed: it proves the command
# works before it is timed), then RUNS timed runs, one duration in seconds per line.
# The command's output goes to $work/last.out/err so a failure can be shown.
measure() {
  local file=$1 runs=$2 i t0 t1
  shift 2
  : >"$file"
  "$@" >"$work/last.out" 2>"$work/last.err" || return 1
  for ((i = 0; i < runs; i++)); do
    t0=$(now_us)
    "$@" >"$work/last.out" 2>"$work/last.err" || return 1
    t1=$(now_us)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e6 }' >>"$file"
  done
}

# last_error: the first lines of what the failed command said, for a skip reason.
last_error() { head -c 300 "$work/last.err" | tr '\n' ' '; }

# record SECTION CASE TOOL SAMPLES [NOTE]: median, min and max of a samples file
# appended to the results (seconds, or whatever unit the section's samples are in).
record() {
  local section=$1 case=$2 tool=$3 file=$4 note=${5:-}
  sort -g "$file" | awk -v s="$section" -v c="$case" -v t="$tool" -v n="$note" '
    { v[NR] = $1 }
    END {
      if (NR == 0) exit 1
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%s\t%s\t%s\t%.6f\t%.6f\t%.6f\t%d\t%s\n", s, c, t, med, v[1], v[NR], NR, n
    }' >>"$results"
}

# record_value SECTION CASE TOOL VALUE [NOTE]: a single figure (RSS, throughput).
record_value() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t1\t%s\n' "$1" "$2" "$3" "$4" "$4" "$4" "${5:-}" >>"$results"
}

# wait_until SECONDS CMD...: poll (every 50 ms) until CMD succeeds.
wait_until() {
  local deadline=$(($(now_us) + $1 * 1000000))
  shift
  until "$@" >/dev/null 2>&1; do
    (($(now_us) < deadline)) || return 1
    sleep 0.05
  done
}

# stop_pid PID [SECONDS]: SIGTERM a process we started, SIGKILL it after the grace.
stop_pid() {
  local pid=$1 grace=${2:-20} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  say "pid $pid ignored SIGTERM for ${grace}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# umount_under DIR: every mount at or below DIR, deepest first (a peer that died may
# leave overlay or shm mounts behind).
umount_under() {
  local m
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
    sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
