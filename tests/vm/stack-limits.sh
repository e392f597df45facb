#!/bin/sh
# stack-limits.sh STACK: issue #4's checks through the user-facing commands, on whatever
# cgroup mode the kernel runs (the v1/hybrid host through ctest `integration_stack_limits`,
# pure cgroup v2 inside the VM of tests/vm/run-vm-tests through `vm_cgroup2`).
#
# A busybox image (tests/support/mkbusybox, next to this folder) and a stack of three
# services on network_mode none: a memory hog under mem_limit 32m, a fork bomb under
# pids_limit 20, four busy loops under cpus 0.5. `up -d`, then: the hog is OOMKilled
# with exit code 137 in `ps --format json` and a line in `logs`; a shell's child hog
# under 32m is OOM-killed while the shell runs on, and `ps` says OOMKilled as it runs
# (the supervisor's OOM watch: inotify on v2, eventfd on v1/hybrid); the bomb holds at most
# 20 processes, forks were refused and this shell still forks; the busy group uses
# 0.5 +- 0.1 cpu-s/s over 3 s (its cgroup's usage counter) and `stats` agrees; the limits
# are in the cgroup files; `top` lists the loops; `exec` runs in the container's group;
# `down` leaves no cgroup directory and no process; the same after `up -d busy` and a
# SIGKILL to the supervisor. In the VM only (its own machine): the same with an absolute
# --cgroup-parent, whose groups stack makes below the top and removes at down.
# POSIX sh and busybox applets only (the VM has nothing else). Prints "ok - ..." /
# "not ok - ..." per check; exit 0 all passed, 1 a check failed, 77 skipped (not root,
# no static busybox).
set -u
[ $# -ge 1 ] || { echo "usage: $0 STACK" >&2; exit 2; }
stack=$1
here=$(cd "$(dirname "$0")" && pwd)
mkbusybox=$here/../support/mkbusybox

[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root" >&2; exit 77; }
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
  { echo "SKIPPED: no static /bin/busybox (busybox-static)" >&2; exit 77; }
[ -x "$stack" ] || { echo "stack-limits: $stack is not an executable" >&2; exit 2; }

tmp=$(mktemp -d /tmp/stack-limits.XXXXXX)
project=lim$$x
file=$tmp/stack.yaml
S="$stack --root $tmp/root --run-root $tmp/run -f $file"
failed=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; failed=$((failed + 1)); }
check() {  # check DESCRIPTION COMMAND...: the command's status decides
  d=$1; shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}
result() {  # CONDITIONS; result DESCRIPTION: the status of what ran just before decides
  if [ $? = 0 ]; then ok "$1"; else bad "$1"; fi
}
now() { cut -d' ' -f1 /proc/uptime; }  # seconds, to 1/100 s, in the VM's busybox too
cg_dirs() { find /sys/fs/cgroup -type d -path "*/stack/$project*" 2>/dev/null; }
cleanup() {
  $S down -t 0 >/dev/null 2>&1
  cg_dirs | sort -r | while read -r d; do rmdir "$d" 2>/dev/null; done
  find "/sys/fs/cgroup/stackvm-$project" -type d 2>/dev/null | sort -r | while read -r d; do rmdir "$d" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The container's group in each hierarchy: .../stack/<project>/<service>-1, from the
# list taken after up (a find over /sys/fs/cgroup is slow in the emulated VM).
groups=""
group_dirs() { echo "$groups" | grep "/stack/$project/$1-1\$"; }
# FILE of SERVICE's group, from whichever hierarchy has it.
cg_file() {
  for d in $(group_dirs "$1"); do
    [ -e "$d/$2" ] && { echo "$d/$2"; return 0; }
  done
  return 1
}
cg_read() { f=$(cg_file "$1" "$2") && cat "$f"; }
keyed() { awk -v k="$1" '$1 == k { print $2 }'; }  # "key value" lines
# KEY of a keyed FILE of SERVICE's group, from the first hierarchy whose file has it
# (hybrid: the cgroup2 tracking group has a cpu.stat too, without nr_periods).
cg_keyed() {
  for d in $(group_dirs "$1"); do
    v=$(keyed "$3" 2>/dev/null < "$d/$2")
    [ -n "$v" ] && { echo "$v"; return 0; }
  done
  return 1
}
# The ps JSON line of a service, and one field of it (nlohmann's compact dump).
ps_line() { $S ps -a --format json 2>/dev/null | grep "\"Service\":\"$1\""; }
field() { sed -nE "s/.*\"$1\":(\"[^\"]*\"|[^,}]*).*/\1/p"; }
# cumulative CPU time of a group in microseconds: v2 cpu.stat, v1 cpuacct.usage (ns).
cpu_usec() {
  v=$(cg_keyed "$1" cpu.stat usage_usec)
  [ -n "$v" ] && { echo "$v"; return; }
  v=$(cg_read "$1" cpuacct.usage) && echo $((v / 1000))
}
# A process that exists and is not a zombie (killed containers whose supervisor died
# are reparented to an init that may reap them late).
# A zombie (Z) or a task being reaped (X) is not alive.
alive() { [ -n "$1" ] && [ "$1" -gt 0 ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null; }

started=$(now)
section() { echo "# --- $* (at $(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s)"; }
mode=v1/hybrid
[ -f /sys/fs/cgroup/cgroup.controllers ] && mode=v2
echo "# cgroup mode $mode, kernel $(uname -r), project $project in $tmp"

"$mkbusybox" "$tmp/layer" || { echo "stack-limits: mkbusybox failed" >&2; exit 1; }
$S image import busybox:lim "$tmp/layer" >/dev/null || { echo "stack-limits: image import failed" >&2; exit 1; }
# bomb: every shell forks two more and, once they are gone, again; one whose fork is
# refused exits. PID 1 (sleep) reaps nothing, so the group fills with zombies, which
# pids.max counts as the kernel does. busy: four loops so the group always wants more than its quota, and the largest
# cpu_shares so other tasks of a loaded host do not starve it below the quota (the check
# is that the quota holds it at half a core, not what the machine has to spare).
cat > "$file" <<EOF
name: $project
services:
  hog:
    image: busybox:lim
    network_mode: none
    mem_limit: 32m
    restart: "no"
    command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"]
  child:
    image: busybox:lim
    network_mode: none
    mem_limit: 32m
    command: ["sh", "-c", "tail /dev/zero; echo survived; sleep 1000"]
  bomb:
    image: busybox:lim
    network_mode: none
    pids_limit: 20
    command: ["sh", "-c", "f() { while :; do f & f & wait; sleep 1; done; }; f & exec sleep 1000"]
  busy:
    image: busybox:lim
    network_mode: none
    cpus: 0.5
    cpu_shares: 262144
    command: ["sh", "-c", "for i in 1 2 3; do while :; do :; done & done; while :; do :; done"]
EOF

section up
# --- up ----------------------------------------------------------------------------------
t0=$(now)
out=$($S up -d 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
if [ $rc -ne 0 ]; then
  bad "up -d (exit $rc)"
  $S logs --no-color 2>&1 | tail -20 | sed 's/^/#   /'
  cat "$tmp"/run/stacks/"$project"/*.log 2>/dev/null | tail -30 | sed 's/^/#   /'
  exit 1
fi
groups=$(cg_dirs)
ok "up -d ($(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }') s)"

section memory
# --- memory: the hog is OOM-killed and reported ------------------------------------------
hog=""
i=0
while [ $i -lt 300 ]; do
  hog=$(ps_line hog)
  [ "$(echo "$hog" | field State)" = '"exited"' ] && break
  sleep 0.1; i=$((i + 1))
done
echo "# ps: $hog"
check "hog exited" [ "$(echo "$hog" | field State)" = '"exited"' ]
check "hog OOMKilled true in ps --format json" [ "$(echo "$hog" | field OOMKilled)" = true ]
check "hog exit code 137" [ "$(echo "$hog" | field ExitCode)" = 137 ]
logs=$($S logs --no-color hog 2>&1)
echo "$logs" | sed 's/^/#   logs: /'
check "an OOM line in stack logs hog" sh -c 'echo "$1" | grep -q "OOMKilled.*out of memory"' - "$logs"
child=""
i=0
while [ $i -lt 150 ]; do
  child=$(ps_line child)
  logs=$($S logs --no-color child 2>&1)
  [ "$(echo "$child" | field OOMKilled)" = true ] && echo "$logs" | grep -q survived && break
  sleep 0.2; i=$((i + 1))
done
echo "# ps: $child"
echo "$logs" | sed 's/^/#   logs: /'
[ "$(echo "$child" | field OOMKilled)" = true ] && [ "$(echo "$child" | field State)" = '"running"' ]
result "child OOMKilled true in ps while its shell runs on"
check "the OOM line and 'survived' in stack logs child" \
  sh -c 'echo "$1" | grep -q "OOMKilled: a process was killed (out of memory)" && echo "$1" | grep -q survived' - "$logs"
# stack run: the same OOM kill of a shell's child, reported as it happens (cmd/run_oom.hpp).
out=$($S run -T child sh -c 'tail /dev/zero; sleep 1; echo survived' 2>&1); rc=$?
echo "$out" | sed 's/^/#   run: /'
[ $rc = 0 ] && echo "$out" | grep -q "stack: child: container OOMKilled: a process was killed" &&
  echo "$out" | sed -n '/OOMKilled/,$p' | grep -q survived
result "stack run reports the OOM kill of its shell's child before the shell goes on (exit $rc)"
case $mode in
  v2) check "memory.max of hog is 32m" [ "$(cg_read hog memory.max)" = 33554432 ]
      check "memory.events of hog counts an oom_kill" [ "$(cg_keyed hog memory.events oom_kill)" -ge 1 ] ;;
  *)  check "memory.limit_in_bytes of hog is 32m" [ "$(cg_read hog memory.limit_in_bytes)" = 33554432 ]
      check "memory.oom_control of hog counts an oom_kill" [ "$(cg_keyed hog memory.oom_control oom_kill)" -ge 1 ] ;;
esac

section pids
# --- pids: the bomb is contained, the host still forks -----------------------------------
check "pids.max of bomb is 20" [ "$(cg_read bomb pids.max)" = 20 ]
refused=0 i=0
while [ $i -lt 300 ]; do
  refused=$(cg_keyed bomb pids.events max)
  [ "${refused:-0}" -gt 0 ] && break
  sleep 0.1; i=$((i + 1))
done
check "the bomb hit pids.max (pids.events max=$refused)" [ "${refused:-0}" -gt 0 ]
# pids.current may read 21 for an instant (a fork is charged before it is refused,
# kernel/cgroup/pids.c): the processes listed in the group are what is held.
most=0 peak=0 i=0
while [ $i -lt 20 ]; do
  n=$(wc -l < "$(cg_file bomb cgroup.procs)")
  [ "$n" -gt "$most" ] && most=$n
  n=$(cg_read bomb pids.current)
  [ "$n" -gt "$peak" ] && peak=$n
  sleep 0.05; i=$((i + 1))
done
[ "$most" -le 20 ] && [ "$most" -gt 0 ]
result "the bomb's group holds at most 20 processes (at most $most listed, pids.current up to $peak)"
check "the bomb's container is still running" [ "$(ps_line bomb | field State)" = '"running"' ]
forks=0 i=0
while [ $i -lt 20 ]; do
  sh -c 'exit 7'; [ $? = 7 ] && forks=$((forks + 1))
  i=$((i + 1))
done
check "this shell still forks (20 of 20)" [ $forks = 20 ]

section cpu
# --- cpu: half a core -------------------------------------------------------------------
case $mode in
  v2) check "cpu.max of busy is 50000 100000" [ "$(cg_read busy cpu.max)" = "50000 100000" ] ;;
  *)  check "cpu.cfs_quota_us/period_us of busy is 50000/100000" \
        [ "$(cg_read busy cpu.cfs_quota_us)/$(cg_read busy cpu.cfs_period_us)" = 50000/100000 ] ;;
esac
sleep 0.5  # the loops have started
ticks() { head -1 /proc/stat | awk '{ s = 0; for (i = 2; i <= NF; i++) s += $i; print s }'; }
k0=$(ticks)
u0=$(cpu_usec busy); w0=$(now); p0=$(cg_keyed busy cpu.stat nr_periods); t0=$(cg_keyed busy cpu.stat nr_throttled)
sleep 3
u1=$(cpu_usec busy); w1=$(now); p1=$(cg_keyed busy cpu.stat nr_periods); t1=$(cg_keyed busy cpu.stat nr_throttled)
k1=$(ticks)
rate=$(awk -v u0="$u0" -v u1="$u1" -v w0="$w0" -v w1="$w1" 'BEGIN { printf "%.3f", (u1 - u0) / 1e6 / (w1 - w0) }')
echo "# /proc/stat counted $((k1 - k0)) ticks in $(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }') s on $(nproc) CPUs at $(getconf CLK_TCK 2>/dev/null || echo 100) Hz"
periods=$((p1 - p0)) throttled=$((t1 - t0))
what="busy uses 0.5 +- 0.1 cpu-s/s over 3 s ($rate; throttled in $throttled of $periods periods)"
if awk -v r="$rate" 'BEGIN { exit !(r >= 0.4 && r <= 0.6) }'; then
  ok "$what"
elif awk -v r="$rate" 'BEGIN { exit !(r < 0.4) }' && [ $((throttled * 2)) -lt "$periods" ]; then
  # Below its quota and seldom throttled: the host's other work took the CPU (a shared
  # machine at high load), which says nothing of the quota. Not a pass either.
  echo "ok - $what # SKIP starved by other load ($(cut -d' ' -f1-3 /proc/loadavg))"
else
  bad "$what"
fi
# stats takes two samples a second apart: compare with the counter read around it.
u0=$(cpu_usec busy); w0=$(now)
stats=$($S stats --no-stream --format json 2>&1)
u1=$(cpu_usec busy); w1=$(now)
echo "$stats" | sed 's/^/#   stats: /'
busy_perc=$(echo "$stats" | grep "\"Name\":\"$project-busy-1\"" | field CPUPerc | tr -d '"%')
around=$(awk -v u0="$u0" -v u1="$u1" -v w0="$w0" -v w1="$w1" 'BEGIN { printf "%.1f", (u1 - u0) / 1e4 / (w1 - w0) }')
# stats divides by the host's CPU time from /proc/stat, where a busy CPU's time is counted
# in ticks: the emulated VM (vm-init sets STACK_VM_ROOT) loses ticks as its host gets
# busier and then reads high (57-68 % for a measured 0.51-0.53), so there only the floor.
if [ -n "${STACK_VM_ROOT:-}" ]; then
  check "stats shows busy's CPU % at least as its cgroup counter did ($busy_perc vs $around): TCG guest" \
    awk -v p="${busy_perc:-x}" -v r="$around" 'BEGIN { exit !(p != "x" && p >= r - 10 && p <= 100) }'
else
  check "stats shows busy's CPU % as its cgroup counter did ($busy_perc vs $around): within 10" \
    awk -v p="${busy_perc:-x}" -v r="$around" 'BEGIN { d = p - r; exit !(p != "x" && d <= 10 && d >= -10) }'
fi
bomb_pids=$(echo "$stats" | grep "\"Name\":\"$project-bomb-1\"" | field PIDs | tr -d '"')
[ "${bomb_pids:-0}" -ge 1 ] && [ "${bomb_pids:-99}" -le 20 ]; result "stats shows the bomb's pids ($bomb_pids)"
check "stats lists no exited hog" sh -c '! echo "$1" | grep -q "\"Name\":\"$2-hog-1\""' - "$stats" "$project"

section top
# --- top --------------------------------------------------------------------------------
top=$($S top busy 2>&1); rc=$?
echo "$top" | sed 's/^/#   top: /'
loops=$(echo "$top" | grep -c 'while :; do :; done')
[ $rc = 0 ] && [ "$(echo "$top" | head -1)" = "$project-busy-1" ] &&
  echo "$top" | sed -n 2p | grep -q '^UID *PID *PPID' && [ "$loops" -ge 4 ]
result "top busy: the container's name, the header and its 4 loops ($loops)"

# exec: the process joins the container's cgroup (clone3 CLONE_INTO_CGROUP on v2), so in
# the container's cgroup namespace every line of its /proc/self/cgroup names the root.
ex=$($S exec -T busy cat /proc/self/cgroup 2>&1); rc=$?
echo "$ex" | sed 's/^/#   exec: /'
[ $rc = 0 ] && [ -n "$ex" ] && ! echo "$ex" | grep -v '^[0-9]*:[^:]*:/$' | grep -q .
result "exec -T busy runs in the container's cgroup (every /proc/self/cgroup line ends in :/)"

section down
# --- down -------------------------------------------------------------------------------
pids=""
for s in child bomb busy; do pids="$pids $(ps_line $s | field Pid)"; done
t0=$(now)
out=$($S down -t 0 2>&1); rc=$?
[ $rc = 0 ] || echo "$out" | sed 's/^/#   down: /'
check "down (exit $rc, $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }') s)" [ $rc = 0 ]
left=$(cg_dirs)
check "no cgroup directory of the stack remains after down" [ -z "$left" ]
[ -z "$left" ] || echo "$left" | sed 's/^/#   left: /'
gone=1
for p in $pids; do alive "$p" && gone=0; done
check "no container process remains after down ($pids)" [ $gone = 1 ]
check "no mount of the stack remains after down" sh -c '! grep -qF "$1" /proc/self/mountinfo' - "$tmp/root"

section kill -9
# --- kill -9 of the supervisor, then down ------------------------------------------------
$S up -d busy >/dev/null 2>&1; rc=$?
check "up -d busy again (exit $rc)" [ $rc = 0 ]
sup=$(cat "$tmp/run/stacks/$project/supervisor.pid" 2>/dev/null)
busy_pid=$(ps_line busy | field Pid)
alive "$sup" && alive "$busy_pid"; result "the supervisor ($sup) and busy ($busy_pid) run"
kill -9 "$sup" 2>/dev/null
i=0 gone=0
while [ $i -lt 400 ]; do
  alive "$sup" || { gone=1; break; }
  sleep 0.05; i=$((i + 1))
done
check "the supervisor is gone after SIGKILL (within $((i * 50)) ms)" [ $gone = 1 ]
check "busy outlives its SIGKILLed supervisor" alive "$busy_pid"
out=$($S down -t 0 2>&1); rc=$?
[ $rc = 0 ] || echo "$out" | sed 's/^/#   down: /'
check "down after kill -9 of the supervisor (exit $rc)" [ $rc = 0 ]
left=$(cg_dirs)
check "no cgroup directory of the stack remains after kill -9 and down" [ -z "$left" ]
[ -z "$left" ] || echo "$left" | sed 's/^/#   left: /'
! alive "$busy_pid"; result "busy is gone"
[ -d "/proc/$busy_pid" ] && echo "# /proc/$busy_pid: $(grep -E '^(Name|State|PPid)' "/proc/$busy_pid/status" | tr '\n' ' ')"

if [ -n "${STACK_VM_ROOT:-}" ]; then
section absolute parent
# --- an absolute --cgroup-parent, then kill -9 and a down without the flag ---------------
par=/stackvm-$project/jobs
out=$($S --cgroup-parent "$par" up -d busy 2>&1); rc=$?
[ $rc = 0 ] || echo "$out" | sed 's/^/#   up: /'
check "up -d busy with --cgroup-parent $par (exit $rc)" [ $rc = 0 ]
busy_pid=$(ps_line busy | field Pid)
line=$(grep '^0::' "/proc/$busy_pid/cgroup" 2>/dev/null)
echo "# /proc/$busy_pid/cgroup: $line"
check "busy runs in $par/stack/$project/busy-1" [ "$line" = "0::$par/stack/$project/busy-1" ]
check "cpu.max of busy below the parent is 50000 100000" \
  [ "$(cat "/sys/fs/cgroup$par/stack/$project/busy-1/cpu.max" 2>/dev/null)" = "50000 100000" ]
sup=$(cat "$tmp/run/stacks/$project/supervisor.pid" 2>/dev/null)
kill -9 "$sup" 2>/dev/null
i=0
while [ $i -lt 400 ] && alive "$sup"; do sleep 0.05; i=$((i + 1)); done
out=$($S down -t 0 2>&1); rc=$?
[ $rc = 0 ] || echo "$out" | sed 's/^/#   down: /'
check "down after kill -9, without the flag (exit $rc)" [ $rc = 0 ]
check "no group of the parent remains (/sys/fs/cgroup/stackvm-$project)" [ ! -e "/sys/fs/cgroup/stackvm-$project" ]
! alive "$busy_pid"; result "busy is gone"
fi

section end
echo "# $failed check(s) failed"
[ $failed = 0 ]
