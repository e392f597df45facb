# shellcheck shell=bash
# stack's supervisor figures (measurements 3 and 4 for stack): log capture through `up`,
# the supervisor's CPU while capturing, and its RSS with N services. Sourced; needs stk,
# compose_file and stack_up/down (updown.sh), log_writer and mb_per_s (logs.sh).

sv() { stk -f "$1" -p "$2" "${@:3}"; }
supervisor_pid() { cat "$work/stack/run/stacks/$1/supervisor.pid" 2>/dev/null; }
# utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat, in ticks).
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}

# Log capture: one service writes log_bytes of 100-byte lines and exits; timed from
# `up -d` until its json-file log stops growing after the container exited (`stack wait`):
# the time of the last growth seen, polled every 20 ms by size only (counting lines of
# a growing file while it is written would compete with what is measured). Then every
# line is counted once, untimed. The supervisor's CPU is read just before `down` (it was
# started by this up, so all of it is the capture's).
stack_logs() {
  local f=$work/logs/stack.yaml p=sblogs lines=$((log_bytes / 100)) t0 t1 logf pid cpu got=0 size last=-1 waiter
  mkdir -p "$work/logs"
  cat >"$f" <<YAML
services:
  w:
    image: busybench:latest
    network_mode: none
    command: ["sh", "-c", "$(log_writer)"]
YAML
  logf=$work/stack/root/stacks/$p/logs/$p-w-1/$p-w-1-json.log
  t0=$(now_us)
  if ! sv "$f" "$p" up -d >"$work/last.out" 2>"$work/last.err"; then
    skip stack logs "up -d failed: $(last_error)"
    sv "$f" "$p" down >/dev/null 2>&1
    return 1
  fi
  "$stack_bin" --root "$work/stack/root" --run-root "$work/stack/run" -f "$f" -p "$p" wait w >/dev/null 2>&1 &
  waiter=$!
  t1=$t0
  local deadline=$(($(now_us) + 600000000)) quiet=0
  while (($(now_us) < deadline)); do
    size=$(stat -c %s "$logf" 2>/dev/null || echo 0)
    if [ "$size" != "$last" ]; then
      last=$size t1=$(now_us) quiet=0
    elif ! kill -0 "$waiter" 2>/dev/null; then
      # The container has exited; the supervisor drains the pipe to EOF, so a file that
      # has not grown for 10 polls (200 ms) after that is complete.
      ((++quiet >= 10)) && break
    fi
    sleep 0.02
  done
  kill -KILL "$waiter" 2>/dev/null || true
  wait "$waiter" 2>/dev/null || true
  got=$(grep -c '"stream":"stdout"' "$logf" 2>/dev/null || true)
  pid=$(supervisor_pid "$p")
  cpu=$([ -n "$pid" ] && cpu_seconds "$pid" || echo "")
  if ! sv "$f" "$p" down >/dev/null 2>&1; then
    skip stack logs "down failed"
    return 1
  fi
  if ((got != lines)); then
    skip stack logs "the json-file log holds $got of $lines lines"
    return 1
  fi
  logs_sample stack mbps "$(mb_per_s "$log_bytes" "$t0" "$t1")"
  [ -z "$cpu" ] || logs_sample stack cpu "$cpu"
}

# Supervisor RSS with K sleeping services running (the same compose file as up/down):
# VmRSS, which the target is about, and RssAnon, the part no other process shares (the
# rest is the binary's and shared libraries' pages of the page cache).
stack_rss() {
  local k f pid rss anon
  for k in "$@"; do
    f=$(compose_file "$k")
    updown_n=$k
    if ! stack_up "$f" "rss$k" >"$work/last.out" 2>"$work/last.err"; then
      skip stack "rss N=$k" "up -d failed: $(last_error)"
      stack_down "$f" "rss$k" >/dev/null 2>&1
      continue
    fi
    pid=$(supervisor_pid "sbrss$k")
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    stack_down "$f" "rss$k" >/dev/null 2>&1 || skip stack "rss N=$k" "down failed"
    [ -n "$rss" ] && record_value rss "supervisor N=$k" stack "$rss" "VmRSS of the stack's supervisor, $k services running"
    [ -n "$anon" ] && record_value rss "supervisor private N=$k" stack "$anon" "RssAnon of the same: its own pages, not the shared files'"
  done
}

# Where up's time goes, for the report (not timed: strace slows every call): the
# supervisor of a one-service stack is traced (strace -f -c -w -p, its threads and the
# containers' setup children) while a second `up -d` adds 29 services, the same create
# path as a first up's. profile-up.txt holds the wall time per system call.
stack_profile_up() {
  have strace || { skip stack "profile up" "strace not installed"; return 0; }
  local f30 f1=$work/updown/compose-prof1.yaml sp tpid
  f30=$(compose_file 30)
  head -4 "$f30" >"$f1"
  if ! stack_up "$f1" prof >"$work/last.out" 2>"$work/last.err"; then
    skip stack "profile up" "up -d failed: $(last_error)"
    stack_down "$f1" prof >/dev/null 2>&1
    return 0
  fi
  sp=$(supervisor_pid sbprof)
  strace -f -c -w -p "$sp" -o "$work/profile-up.txt" 2>/dev/null &
  tpid=$!
  sleep 1  # attached to every thread before the second up
  updown_n=30
  stack_up "$f30" prof >"$work/last.out" 2>"$work/last.err" || skip stack "profile up" "second up -d failed: $(last_error)"
  kill -INT "$tpid" 2>/dev/null || true
  wait "$tpid" 2>/dev/null || true
  stack_down "$f30" prof >/dev/null 2>&1 || true
}

# User-space instructions of one `stack run --rm` (valgrind's callgrind counts them, the
# same count whatever else the machine does): the total and the dynamic loader's share.
stack_callgrind() {
  have valgrind && have callgrind_annotate || { skip stack callgrind "valgrind not installed"; return 0; }
  valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$stack_bin" --root "$work/stack/root" \
    --run-root "$work/stack/run" -f "$work/oneshot.yaml" -p "sbench$$" run --rm none >/dev/null 2>"$work/last.err" ||
    { skip stack callgrind "stack run under callgrind failed ($(valgrind --version)): $(grep -v '^[=-][=-]' "$work/last.err" | head -c 200 | tr '\n' ' ')"; return 0; }
  callgrind_annotate --inclusive=yes "$work/callgrind.out" 2>/dev/null |
    awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print "total\t" $1 }
         /_dl_start / && !d { gsub(",", "", $1); print "loader\t" $1; d = 1 }
         /cmd\/main.cpp:main / && !m { gsub(",", "", $1); print "main\t" $1; m = 1 }' >"$work/callgrind.tsv"
}
