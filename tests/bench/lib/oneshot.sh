# shellcheck shell=bash
# Measurement 1: one container, one-shot (`true` in the busybox rootfs), each tool's
# whole command timed from exec to exit, with and without a network where the tool has
# a switch. stack's with-network case is `run --rm` of a service on the default network
# with the project's network already up (one idle service up first, as docker's and
# podman's networks exist before their runs): the container gets a veth, an address and
# its /etc files from the supervisor. Sourced by tests/bench/run.

oneshot_stack_file() {
  cat >"$work/oneshot.yaml" <<'EOF'
services:
  none:
    image: busybench:latest
    command: ["true"]
    network_mode: none
  net:
    image: busybench:latest
    command: ["true"]
  links:
    image: busybench:latest
    command: ["sh", "-c", "ls /sys/class/net"]
  idle:
    image: busybench:latest
    command: ["sleep", "86400"]
    init: true
EOF
}

stack_oneshot() { stk -f "$work/oneshot.yaml" -p "sbench$$" run --rm "$1"; }

# oneshot_case CASE TOOL CMD...: time one tool; a failure is a skip with the reason.
oneshot_case() {
  local case=$1 tool=$2 note=${oneshot_note:-}
  shift 2
  if measure "$work/s.$tool.$case" "$runs" "$@"; then
    record oneshot "$case" "$tool" "$work/s.$tool.$case" "$note"
  else
    skip "$tool" "oneshot $case" "$* failed: $(last_error)"
  fi
}

bench_oneshot() {
  local o="-o lowerdir=$work/rootfs,upperdir=$work/floor/upper,workdir=$work/floor/work"
  mkdir -p "$work/floor/upper" "$work/floor/work" "$work/floor/merged"
  oneshot_stack_file
  say "one-shot: $runs runs each after a warm-up"

  oneshot_case none floor unshare -pfmnui --mount-proc true
  # shellcheck disable=SC2086  # $o is one word
  oneshot_case none "floor+overlay" unshare -pfmnui --mount-proc mount -t overlay overlay $o "$work/floor/merged"
  oneshot_case none stack stack_oneshot none
  [ -n "${runc_ok:-}" ] && oneshot_case none runc runc_run
  [ -n "${docker_pid:-}" ] && oneshot_case none docker dk run --rm --network none busybench:latest true
  [ -n "${podman_parent:-}" ] &&
    oneshot_case none podman pm run --rm --cgroup-parent "$podman_parent" --network none busybench:latest true

  # With a network: stack's default network_mode, the project's network up (its
  # supervisor and bridge made once, not per run); the figure is labelled with the
  # links the container really had.
  local links
  if stk -f "$work/oneshot.yaml" -p "sbench$$" up -d idle >/dev/null 2>&1; then
    links=$(stack_oneshot_links)
    oneshot_note="container links: $links" oneshot_case net stack stack_oneshot net
    stk -f "$work/oneshot.yaml" -p "sbench$$" down -t 0 >/dev/null 2>&1 || say "down of sbench$$ failed"
  else
    skip stack "oneshot net" "up -d of the idle service failed"
  fi
  [ -n "${docker_net:-}" ] && oneshot_case net docker dk run --rm --network "$docker_net" busybench:latest true
  [ -n "${podman_parent:-}" ] &&
    oneshot_case net podman pm run --rm --cgroup-parent "$podman_parent" busybench:latest true
  [ -n "${runc_ok:-}" ] && skip runc "oneshot net" "runc makes no network itself (it needs CNI hooks)"
  skip floor "oneshot net" "the floor has no network by definition"
  stack_profile
}

# Where stack's one-shot time goes: the wall time per system call of one run (strace -c
# -w, all threads and children), for the report. Not timed: strace slows every call.
stack_profile() {
  have strace || { skip stack profile "strace not installed"; return 0; }
  strace -f -c -w -o "$work/profile.txt" "$stack_bin" --root "$work/stack/root" \
    --run-root "$work/stack/run" -f "$work/oneshot.yaml" -p "sbench$$" run --rm none >/dev/null 2>&1 ||
    { skip stack profile "strace of stack run failed"; rm -f "$work/profile.txt"; }
}

# The interfaces a default-network stack container sees, e.g. "eth0 lo".
stack_oneshot_links() {
  stk -f "$work/oneshot.yaml" -p "sbench$$" run --rm -T links 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}
