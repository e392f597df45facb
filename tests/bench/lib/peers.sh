# shellcheck shell=bash
# The peers of tests/bench/run, each loaded with the SAME busybox rootfs: stack's store,
# a docker daemon on a private socket, podman on private storage, a runc bundle, and the
# floor (unshare). A peer that cannot start is skipped with the reason.
# Sourced; expects $work, $src, $stack_bin and the helpers of common.sh.

peer_packages=(docker.io docker-compose podman podman-compose containernetworking-plugins runc gnuplot-nox)

install_peers() {
  local missing=() p
  for p in "${peer_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]}"
  # policy-rc.d refuses service starts, so no system dockerd comes up behind our back.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$work/apt.log" 2>&1 || say "apt-get failed (see below); peers that are missing get skipped
$(tail -5 "$work/apt.log")"
}

machine_info() {
  local f=$work/machine.txt cg
  cg=$(stat -fc %T /sys/fs/cgroup)
  case $cg in
    cgroup2fs) cg="v2 (unified)" ;;
    tmpfs) [ -d /sys/fs/cgroup/unified ] && cg="hybrid (v1 controllers + v2 at /sys/fs/cgroup/unified)" || cg="v1" ;;
  esac
  {
    echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) ($(nproc) CPUs online)"
    echo "memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME") (Debian $(cat /etc/debian_version))"
    echo "cgroup=$cg"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the start of the run)"
    echo "fs=$(df -T "$work" | awk 'NR == 2 { print $2 }') under $work"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  } >"$f"
  # The CPU time the hypervisor gave to others meanwhile (steal, proc(5)): read again at
  # the end, for the report.
  head -1 /proc/stat >"$work/stat-start.txt"
}

# version TOOL TEXT: one line per tool for the report.
version() { printf '%s\t%s\n' "$1" "$2" >>"$work/versions.tsv"; }

make_rootfs() {
  "$src/tests/support/mkbusybox" "$work/rootfs"
  tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
  version busybox "$("$work/rootfs/bin/busybox" | head -1)"
}

# --- stack ---------------------------------------------------------------------------
stk() { "$stack_bin" --root "$work/stack/root" --run-root "$work/stack/run" "$@"; }

setup_stack() {
  mkdir -p "$work/stack/root" "$work/stack/run"
  version stack "$("$stack_bin" version 2>/dev/null | head -1 || echo "?")"
  stk image import busybench:latest "$work/rootfs.tar" >/dev/null
}

# stack_leftovers: cgroups stack left behind for this run's one-shot project (sbench<pid>,
# run --rm): said loudly (a stack bug: `run --rm` must leave nothing) and removed so
# the machine stays clean. Only our project names under stack's own "stack" groups.
stack_leftovers() {
  local left d
  # A stack a measurement left up (it failed or was interrupted): down by project name.
  for d in "$work"/stack/run/stacks/*/; do
    [ -d "$d" ] || continue
    say "stack $(basename "$d") was left up; taking it down"
    stk -p "$(basename "$d")" down >/dev/null 2>&1 || say "down of $(basename "$d") failed"
  done
  left=$(find /sys/fs/cgroup -depth -type d \( -path "*/stack/sbench$$" -o -path "*/stack/sbench$$/*" \) 2>/dev/null)
  [ -z "$left" ] && return 0
  say "stack left cgroups behind: $(echo "$left" | tr '\n' ' ')"
  echo "$left" | while read -r d; do rmdir "$d" 2>/dev/null || true; done
}

# stack up/down exist once the supervisor lands (issue: supervisor); until then the
# measurements that need them are skipped with this reason. CLI11 answers `up --help`
# with the top-level help and exit 0 while there is no `up`, so the usage line decides.
stack_has_up() { "$stack_bin" up --help 2>&1 | grep -q '^Usage: .*stack up'; }

# --- runc ----------------------------------------------------------------------------
setup_runc() {
  have runc || { skip runc all "runc not installed"; return 1; }
  local b=$work/runc/bundle
  mkdir -p "$b" "$work/runc/state"
  cp -a "$work/rootfs" "$b/rootfs"
  (cd "$b" && runc spec)
  # Not a terminal, our command, and a RELATIVE cgroup path: runc puts it beneath its
  # own cgroup per controller, never at a hierarchy's root.
  "$py" - "$b/config.json" "$$" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
c["linux"]["cgroupsPath"] = "stack-bench-runc-" + sys.argv[2]
json.dump(c, open(p, "w"), indent=1)
PY
  version runc "$(runc --version | head -1)"
}

runc_run() { runc --root "$work/runc/state" run -b "$work/runc/bundle" "stack-bench-$$"; }

# --- docker --------------------------------------------------------------------------
# dockerd on a private socket, data-root and exec-root; no iptables, no NAT, no default
# bridge, no ip_forward change; the cgroup parent is relative, so beneath dockerd's own
# cgroup per controller. The one network it gets is made by setup_docker (bridge name
# "sb<pid>") and removed by stop_docker.
dk() { docker -H "unix://$work/docker/d.sock" "$@"; }

setup_docker() {
  have dockerd || { skip docker all "docker.io (dockerd) not installed${smoke:+; --smoke installs nothing}"; return 1; }
  local d=$work/docker x
  mkdir -p "$d/root" "$d/exec"
  # dockerd also writes a few host paths whatever its roots; those that do not exist yet
  # are ours to remove after it stops.
  docker_made=()
  for x in /run/docker /run/containerd /etc/docker/key.json; do [ -e "$x" ] || docker_made+=("$x"); done
  dockerd -H "unix://$d/d.sock" --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/d.pid" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
    --cgroup-parent "stack-bench-docker-$$" --exec-opt native.cgroupdriver=cgroupfs \
    --log-level warn >"$d/dockerd.log" 2>&1 &
  docker_pid=$!
  if ! wait_until 30 dk version; then
    skip docker all "dockerd did not answer within 30 s: $(tail -3 "$d/dockerd.log" | tr '\n' ' ')"
    stop_docker
    return 1
  fi
  version docker "$(dk version --format 'docker.io {{.Server.Version}}, containerd {{(index .Server.Components 1).Version}}' 2>/dev/null || dk --version)"
  dk import "$work/rootfs.tar" busybench:latest >/dev/null
  dk network create -o com.docker.network.bridge.name="sb$$" stack-bench-net >/dev/null ||
    { say "docker: no bridge network, the with-network case is skipped"; docker_net=""; return 0; }
  docker_net=stack-bench-net
}

stop_docker() {
  [ -n "${docker_pid:-}" ] || return 0
  local x
  dk ps -aq 2>/dev/null | xargs -r docker -H "unix://$work/docker/d.sock" rm -f >/dev/null 2>&1 || true
  # A network's bridge (br-<id>) outlives a dockerd stopped while a container still held
  # it (seen after a timed-out compose up): the bridges of our networks go by name.
  local nets
  nets=$(dk network ls -q --filter type=custom 2>/dev/null || true)
  dk network prune -f >/dev/null 2>&1 || true
  stop_pid "$docker_pid" 30
  for x in $nets; do ip link del "br-${x:0:12}" 2>/dev/null || true; done
  wait "$docker_pid" 2>/dev/null || true
  docker_pid=""
  ip link del "sb$$" 2>/dev/null || true
  for x in "${docker_made[@]}"; do
    if [ -d "$x" ]; then find "$x" -depth -type d -empty -delete 2>/dev/null || true; else rm -f "$x"; fi
  done
}

# --- podman --------------------------------------------------------------------------
# Private storage, runroot, tmp dir and network config through CONTAINERS_CONF and
# CONTAINERS_STORAGE_CONF (podman-compose's podman calls inherit them); runc and
# cgroupfs as these machines need; nofile and nproc pinned low, since podman 4.3 as root
# raises both to 1048576 and, without CAP_SYS_RESOURCE here, runc's prlimit(2) on the
# container's init fails with EPERM (measured: nproc 30000 passes, 50000 fails). The cgroup parent is absolute in podman, so it is put under
# the memory controller's starting cgroup and checked to be beneath every controller's.
pm() { podman --cgroup-manager cgroupfs --runtime runc "$@"; }

podman_cgroup_parent() {
  local mem parent line path
  mem=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
  [ -n "$mem" ] || mem=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  parent=${mem%/}/stack-bench-podman-$$
  while IFS= read -r line; do
    path=${line#*:*:}
    case $parent in "${path%/}/"*) ;; *) return 1 ;; esac
  done </proc/self/cgroup
  echo "$parent"
}

# The directories of PARENT's path missing in some hierarchy (podman will make them),
# deepest first, for remove_cgroups.
podman_note_cgroup_dirs() {
  local h dir rel
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [ -e "$h/cgroup.procs" ] || continue
    rel=$(dirname "$1")
    while [ "$rel" != / ]; do
      dir=${h%/}$rel
      [ -d "$dir" ] || cgroup_made+=("$dir")
      rel=$(dirname "$rel")
    done
  done
}

# podman_network NAME: a CNI network of our own for podman (the default "podman" one, or
# a compose project's "<project>_default", which podman-compose then finds and reuses).
# Written by hand so it touches the host no more than docker's does: its own bridge
# "s<pid>p<n>", no gateway (the bridge plugin turns on ip_forward for a gateway), no
# masquerade and no firewall/portmap plugins (no iptables rules), IPAM state in our dir.
podman_network() {
  local f=$work/podman/net/$1.conflist n
  [ -e "$f" ] && return 0
  n=$(find "$work/podman/net" -name '*.conflist' | wc -l)
  podman_bridges+=("s$$p$n")
  cat >"$f" <<EOF
{ "cniVersion": "0.4.0", "name": "$1", "plugins": [ { "type": "bridge", "bridge": "s$$p$n",
  "isGateway": false, "ipMasq": false, "hairpinMode": false,
  "ipam": { "type": "host-local", "dataDir": "$work/podman/ipam",
    "ranges": [[ { "subnet": "10.213.$((100 + n)).0/24" } ]] } } ] }
EOF
}

setup_podman() {
  have podman || { skip podman all "podman not installed${smoke:+; --smoke installs nothing}"; return 1; }
  local p=$work/podman parent
  parent=$(podman_cgroup_parent) ||
    { skip podman all "no cgroup path lies beneath this shell's cgroup in every controller"; return 1; }
  mkdir -p "$p/root" "$p/run" "$p/tmp" "$p/net"
  cat >"$p/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$p/root"
runroot = "$p/run"
EOF
  cat >"$p/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
tmp_dir = "$p/tmp"
events_logger = "none"
[network]
network_backend = "cni"
network_config_dir = "$p/net"
EOF
  podman_network podman
  export CONTAINERS_CONF=$p/containers.conf CONTAINERS_STORAGE_CONF=$p/storage.conf
  podman_parent=$parent
  [ -e /var/lib/cni ] || cni_made=1 # libcni's result cache, not configurable in podman 4.3
  podman_note_cgroup_dirs "$parent"
  if ! pm import "$work/rootfs.tar" busybench:latest >"$work/last.out" 2>"$work/last.err"; then
    skip podman all "podman import failed: $(last_error)"
    unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF
    return 1
  fi
  version podman "$(podman --version), conmon $(conmon --version 2>/dev/null | head -1 | awk '{ print $3 }')"
}

stop_podman() {
  [ -n "${CONTAINERS_CONF:-}" ] || return 0
  pm rm -af -t 0 >/dev/null 2>&1 || true
  pm pod rm -af >/dev/null 2>&1 || true
  pm network prune -f >/dev/null 2>&1 || true
  pm rmi -af >/dev/null 2>&1 || true
  local b
  for b in "${podman_bridges[@]}"; do ip link del "$b" 2>/dev/null || true; done
  [ -n "$cni_made" ] && rm -rf /var/lib/cni
  umount_under "$work/podman"
  unset CONTAINERS_CONF CONTAINERS_STORAGE_CONF
}

# remove_cgroups: the (empty) cgroups the peers made for this run, named stack-bench-*-PID,
# deepest first, in every hierarchy.
remove_cgroups() {
  find /sys/fs/cgroup -depth -type d \( -path "*/stack-bench-*-$$" -o -path "*/stack-bench-*-$$/*" \) \
    -exec rmdir {} \; 2>/dev/null || true
  # podman's absolute parent made the memory group's path in the other hierarchies too.
  local d
  for d in "${cgroup_made[@]}"; do rmdir "$d" 2>/dev/null || true; done
  local left
  left=$(find /sys/fs/cgroup -type d -name "stack-bench-*-$$" 2>/dev/null)
  [ -z "$left" ] || say "cgroups left behind (not empty?): $left"
}
