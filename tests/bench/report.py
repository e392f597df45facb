#!/usr/bin/python3
"""Writes docs/performance.md (and the up/down plot) from one run of tests/bench/run.

Input (in --work): results.tsv (section, case, tool, median, min, max, runs, note),
skips.tsv (tool, what, reason), versions.tsv (tool, version), machine.txt (key=value).
Standard library only; the plot is drawn by gnuplot when it is installed.
"""
import argparse
import os
import shutil
import subprocess
import sys


def stolen_percent(work):
    """Steal over all CPU time between the run's start and end (/proc/stat's first line), or None."""
    try:
        a = [int(x) for x in open(os.path.join(work, "stat-start.txt")).read().split()[1:]]
        b = [int(x) for x in open(os.path.join(work, "stat-end.txt")).read().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(a) < 8 or len(b) < 8:
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is
    # already counted in user, so the total is the first eight.
    total = sum(b[:8]) - sum(a[:8])
    return 100.0 * (b[7] - a[7]) / total if total > 0 else None


def read_tsv(path, width):
    rows = []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= width - 1:
                rows.append(parts + [""] * (width - len(parts)))
    return rows


class Results:
    def __init__(self, work):
        self.rows = [
            dict(section=r[0], case=r[1], tool=r[2], med=float(r[3]), lo=float(r[4]), hi=float(r[5]),
                 runs=int(r[6]), note=r[7])
            for r in read_tsv(os.path.join(work, "results.tsv"), 8)
        ]
        self.skips = read_tsv(os.path.join(work, "skips.tsv"), 3)
        self.versions = read_tsv(os.path.join(work, "versions.tsv"), 2)
        self.machine = {}
        for line in open(os.path.join(work, "machine.txt"), encoding="utf-8"):
            k, _, v = line.rstrip("\n").partition("=")
            self.machine[k] = v

    def get(self, section, case, tool):
        for r in self.rows:
            if (r["section"], r["case"], r["tool"]) == (section, case, tool):
                return r
        return None

    def section(self, name):
        return [r for r in self.rows if r["section"] == name]


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def cell(text):
    """Text for a markdown table cell (a bare | would end it)."""
    return text.replace("|", "\\|")


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "—"


ONESHOT_TOOLS = ["floor", "floor+overlay", "stack", "runc", "docker", "podman"]


def oneshot_table(res):
    out = ["| network | tool | median ms | min–max ms | runs | stack ÷ tool | note |",
           "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for case, label in (("none", "none"), ("net", "default")):
        stack = res.get("oneshot", case, "stack")
        for tool in ONESHOT_TOOLS:
            r = res.get("oneshot", case, tool)
            if not r:
                continue
            rat = "1×" if tool == "stack" else ratio(stack["med"], r["med"]) if stack else "—"
            out.append(f"| {label} | {tool} | {ms(r['med'])} | {ms(r['lo'])}–{ms(r['hi'])} | {r['runs']} "
                       f"| {rat} | {cell(r['note'])} |")
    return out


def slope(points):
    """Least-squares seconds per extra service over (N, seconds) points."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    den = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / den if den else None


def updown_tables(res):
    tools = [t for t in ("stack", "docker", "podman") if any(r["tool"] == t for r in res.section("up"))]
    ns = sorted({int(r["case"]) for r in res.section("up")})
    if not tools:
        return ["No tool was measured (see the skipped list)."]
    label = {"stack": "stack", "docker": "docker-compose", "podman": "podman-compose"}
    out = ["| N | tool | up -d median s | min–max s | down median s | min–max s | runs | up: tool ÷ stack |",
           "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n in ns:
        stack = res.get("up", str(n), "stack")
        for t in tools:
            up, down = res.get("up", str(n), t), res.get("down", str(n), t)
            if not up or not down:
                continue
            rat = "1×" if t == "stack" else ratio(up["med"], stack["med"]) if stack else "—"
            out.append(f"| {n} | {label[t]} | {up['med']:.3f} | {up['lo']:.3f}–{up['hi']:.3f} | {down['med']:.3f} "
                       f"| {down['lo']:.3f}–{down['hi']:.3f} | {up['runs']} | {rat} |")
    out += ["", "Cost of each extra service (least-squares slope of the medians over N):", "",
            "| tool | up -d ms/service | down ms/service |", "| --- | ---: | ---: |"]
    for t in tools:
        su = slope([(int(r["case"]), r["med"]) for r in res.section("up") if r["tool"] == t])
        sd = slope([(int(r["case"]), r["med"]) for r in res.section("down") if r["tool"] == t])
        out.append(f"| {label[t]} | {ms(su) if su is not None else '—'} | {ms(sd) if sd is not None else '—'} |")
    return out


def plot(res, work, png):
    """up and down medians against N, one line per tool; False when it cannot be drawn."""
    gp = shutil.which("gnuplot")
    tools = [t for t in ("stack", "docker", "podman") if any(r["tool"] == t for r in res.section("up"))]
    if not gp or not tools:
        return False
    label = {"stack": "stack", "docker": "docker-compose", "podman": "podman-compose"}
    cmds = ["set terminal pngcairo size 900,560 font 'sans,10'", f"set output '{png}'",
            "set title 'up -d and down of N busybox services (median)'", "set xlabel 'services (N)'",
            "set ylabel 'seconds'", "set logscale y", "set key top left", "set grid"]
    series = []
    for i, t in enumerate(tools):
        for kind, dash in (("up", 1), ("down", 2)):
            data = os.path.join(work, f"plot.{kind}.{t}.dat")
            with open(data, "w", encoding="utf-8") as f:
                for r in sorted((r for r in res.section(kind) if r["tool"] == t), key=lambda r: int(r["case"])):
                    f.write(f"{r['case']} {r['med']:.6f}\n")
            series.append(f"'{data}' using 1:2 with linespoints lc {i + 1} dt {dash} pt 7 "
                          f"title '{label[t]} {kind}{' -d' if kind == 'up' else ''}'")
    cmds.append("plot " + ", ".join(series))
    r = subprocess.run([gp], input="\n".join(cmds), text=True, capture_output=True)
    if r.returncode != 0:
        print(f"report: gnuplot failed: {r.stderr.strip()}", file=sys.stderr)
        return False
    return True


def simple_table(res, section, unit):
    rows = res.section(section)
    if not rows:
        return None
    out = [f"| tool | what | {unit} (median) | min–max | runs | note |", "| --- | --- | ---: | ---: | ---: | --- |"]
    out += [f"| {r['tool']} | {cell(r['case'])} | {r['med']:g} | {r['lo']:g}–{r['hi']:g} | {r['runs']} | "
            f"{cell(r['note'])} |" for r in rows]
    return out


def restart_table(res):
    rows = res.section("restart")
    if not rows:
        return None
    out = ["| tool | median ms | min–max ms | restarts | note |", "| --- | ---: | ---: | ---: | --- |"]
    out += [f"| {r['tool']} | {ms(r['med'])} | {ms(r['lo'])}–{ms(r['hi'])} | {r['runs']} | {cell(r['note'])} |"
            for r in rows]
    return out


def targets(res):
    """Issue 8's targets against this run's figures: one row each, met or missed."""
    g = res.get
    rows = []

    def row(target, measured, ok):
        verdict = "—" if ok is None else ("met" if ok else "**missed**")
        rows.append(f"| {target} | {measured} | {verdict} |")

    s30, d30 = g("up", "30", "stack"), g("up", "30", "docker")
    if s30 and d30:
        r = d30["med"] / s30["med"]
        row("`up -d` of 30 services ≥ 60× faster than docker-compose",
            f"{r:.0f}× ({s30['med']:.3f} s vs {d30['med']:.3f} s)", r >= 60)
    else:
        row("`up -d` of 30 services ≥ 60× faster than docker-compose", "not measured", None)
    su = slope([(int(r["case"]), r["med"]) for r in res.section("up") if r["tool"] == "stack"])
    row("each extra service ≤ 5 ms (`up -d`)", f"{ms(su)} ms" if su is not None else "not measured",
        None if su is None else su <= 0.005)
    sn, fl = g("oneshot", "net", "stack"), g("oneshot", "none", "floor")
    if sn and fl:
        r = sn["med"] / fl["med"]
        links = sn["note"].replace("container links: ", "")
        row("one container with network within 4× of the floor",
            f"{r:.1f}× ({ms(sn['med'])} vs {ms(fl['med'])} ms; container links: {links})", r <= 4)
    st, rc = g("oneshot", "none", "stack"), g("oneshot", "none", "runc")
    if st and rc:
        row("one container without network faster than runc", f"{ms(st['med'])} vs {ms(rc['med'])} ms",
            st["med"] < rc["med"])
    sd30 = g("down", "30", "stack")
    row("`down` of 30 services ≤ 0.2 s", f"{sd30['med']:.3f} s" if sd30 else "not measured",
        None if not sd30 else sd30["med"] <= 0.2)
    sl, fl_log, pm_log = g("logs", "MB/s", "stack"), g("logs", "MB/s", "floor"), g("logs", "MB/s", "podman")
    if sl and fl_log:
        row("log capture ≥ 50 % of the floor", f"{100 * sl['med'] / fl_log['med']:.0f}% "
            f"({sl['med']:g} vs {fl_log['med']:g} MB/s)", sl["med"] >= 0.5 * fl_log["med"])
    wr_log = g("logs", "MB/s", "writer")
    if sl and pm_log:
        row("log capture ≥ 3× conmon", f"{sl['med'] / pm_log['med']:.1f}× ({sl['med']:g} vs {pm_log['med']:g} MB/s"
            + (f"; 3× is {3 * pm_log['med']:.0f}, the writer alone into /dev/null {wr_log['med']:g}" if wr_log else "")
            + ")", sl["med"] >= 3 * pm_log["med"])
    s_cpu, pm_cpu = g("logs", "supervisor CPU s", "stack"), g("logs", "conmon CPU s", "podman")
    fl_cpu = g("logs", "cat CPU s", "floor")
    if s_cpu and pm_cpu and s_cpu["med"] > 0:
        row("log capture ≥ 3× conmon, per CPU second (the same bytes for less CPU; a second reading "
            "of the target, since the pipe bounds the first)",
            f"{pm_cpu['med'] / s_cpu['med']:.1f}× ({s_cpu['med']:g} vs {pm_cpu['med']:g} s of CPU"
            + (f"; the floor's cat: {fl_cpu['med']:g} s" if fl_cpu else "") + ")",
            pm_cpu["med"] >= 3 * s_cpu["med"])
    for r in res.section("rss"):
        if r["tool"] != "stack" or not r["case"].startswith("supervisor N="):
            continue
        n = int(r["case"].split("=")[1])
        limit = 8192 + 100 * n
        row(f"supervisor RSS ≤ 8 MB + 100 KB per service (N = {n}: ≤ {limit} KiB)", f"{r['med']:g} KiB",
            r["med"] <= limit)
    sr = g("restart", "exit to start", "stack")
    dr = g("restart", "exit to start", "docker")
    if sr:
        row("restart latency (exit to next start; no numeric target)",
            f"{ms(sr['med'])} ms" + (f" (docker: {ms(dr['med'])} ms, 100 ms of it its built-in delay)" if dr else ""), None)
    if not rows:
        return []
    return ["| target | this run | verdict |", "| --- | --- | --- |"] + rows


def read_strace(path):
    """strace -c -w output: [(syscall, seconds, calls)] in its order (most time first)."""
    rows = []
    if not os.path.exists(path):
        return rows
    for line in open(path, encoding="utf-8"):
        f = line.split()
        if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
            rows.append((f[-1], float(f[1]), int(f[3])))
    return rows


# Calls whose wall time in strace -c is waiting, not work: a thread parked on a futex or
# in epoll_wait, a parent in waitid/wait4 or reading its child's sync socket.
WAITS = {"futex", "epoll_wait", "epoll_pwait", "wait4", "waitid", "poll", "ppoll", "select", "pselect6",
         "recvfrom", "recvmsg", "read", "accept4", "clock_nanosleep", "nanosleep"}


def profile_section(work):
    """The strace -c -w table of one `stack run --rm` (wall time per system call)."""
    rows = {name: (sec, calls) for name, sec, calls in read_strace(os.path.join(work, "profile.txt"))}
    if not rows:
        return []
    table = [f"| {name} | {sec * 1000:.1f} | {calls} |" for name, sec, calls in read_strace(os.path.join(work, "profile.txt"))[:12]]
    total = sum(v[0] for v in rows.values())
    sync = sum(rows.get(k, (0, 0))[0] for k in ("fsync", "fdatasync", "sync", "syncfs"))
    umount = rows.get("umount2", (0, 0))[0]
    mount = rows.get("mount", (0, 0))[0]
    out = ["", "### Where stack's one-shot time goes", "",
           "One `stack run --rm` (network none) under `strace -f -c -w`: wall time spent inside each",
           "system call, all threads and children (a parent waiting on its child counts too; strace",
           "slows every call, so only the shares count).",
           "", "| system call | ms | calls |", "| --- | ---: | ---: |"] + table + [""]
    if total:
        out += [f"Of {total * 1000:.0f} ms inside system calls, fsync/fdatasync take {100 * sync / total:.0f}% "
                f"({rows.get('fdatasync', (0, 0))[1] + rows.get('fsync', (0, 0))[1]} calls), umount2 "
                f"{100 * umount / total:.0f}% (the overlay rootfs, mounted `volatile` so that its unmount "
                f"syncs nothing) and the {rows.get('mount', (0, 0))[1]} mounts {100 * mount / total:.0f}%. "
                "runc's bundle is a plain directory (no overlay) and the floor keeps no state: the "
                "overlay, the journal and the cgroup are what stack does that they do not."]
    out += ["", "Measured apart with `perf trace` (2026-12-03, this hybrid host). Three waits are gone from "
            "both one-shot figures since the run before. (1) The container process joined its v1 groups "
            "through `cgroup.procs`, whose write waits one RCU grace period (7-12 ms, spread 15-56 ms): it "
            "now joins through each v1 hierarchy's `tasks` file (a single-threaded process moving itself "
            "skips `cgroup_threadgroup_rwsem`: 0.1 ms for seven hierarchies) and is cloned into the "
            "hybrid host's cgroup2 group with `CLONE_INTO_CGROUP`. (2) With a network, the supervisor "
            "deleted each exited run's host veth on its loop, and that netlink call waits for RCU in the "
            "kernel's netdev teardown (19 ms): the next run's join waited behind it, so runs back to back "
            "took 34 ms against 21 ms with a pause between them; the delete now runs on the loop's thread "
            "pool (same minute: 34.9±10 -> 18±2.5 ms). (3) Loading Docker's seccomp program cost the "
            "kernel 1.6 ms (it emulates the program for every syscall number to build its cache); laid out "
            "as a binary search it costs 0.4 ms (run without network, same minute: 23.3±4.9 -> "
            "19.8±2.0 ms). Docker's profile, which libseccomp took ~13 ms to compile, is read from "
            "`<root>/cache/seccomp`; the importer's eleven libraries are not loaded by `stack` (~1.6 ms "
            "of every start)."]
    cg = os.path.join(work, "callgrind.tsv")
    if os.path.exists(cg):
        v = dict(line.split("\t") for line in open(cg, encoding="utf-8").read().split("\n") if "\t" in line)
        tot, ld, mn = (int(v.get(k, 0)) for k in ("total", "loader", "main"))
        if tot:
            out += ["", f"User space is small: valgrind's callgrind counts {tot / 1e6:.1f} M instructions for "
                    f"the whole `stack run --rm` process ({100 * ld / tot:.0f}% of them in the dynamic loader "
                    f"relocating its shared libraries, {100 * mn / tot:.0f}% in main: loading the stack file, "
                    "planning, waiting), a few milliseconds of CPU. The rest of the wall time is the "
                    "kernel's: namespaces, mounts, cgroup directories, and the child's setup."]
    return out


def profile_up_section(work):
    """strace -c -w of the supervisor while a later up adds 29 services."""
    rows = read_strace(os.path.join(work, "profile-up.txt"))
    if not rows:
        return []
    work_rows = [r for r in rows if r[0] not in WAITS]
    busy = sum(r[1] for r in work_rows)
    out = ["", "### Where `up`'s time goes", "",
           "The supervisor of a one-service stack under `strace -f -c -w -p` (its threads and the",
           "containers' setup children) while a second `up -d` adds 29 services: wall time inside",
           "each system call, per added service. Waiting calls (futex, epoll_wait, the parent's",
           "read of its child's sync socket, …) are left out; strace slows every call, so only",
           "the shares count.", "", "| system call | ms per service | calls per service | share |",
           "| --- | ---: | ---: | ---: |"]
    for name, sec, calls in work_rows[:14]:
        out.append(f"| {name} | {sec * 1000 / 29:.2f} | {calls / 29:.1f} | {100 * sec / busy:.0f}% |")
    out += ["", f"In all {busy * 1000 / 29:.1f} ms of non-waiting system calls per service under strace."]
    return out


def args_log_mb(res):
    return getattr(res, "log_mb", "?")


def findings(res):
    """Sentences that read the figures; only what this run measured."""
    out = []
    g = res.get
    st, fl, fo, rc = g("oneshot", "none", "stack"), g("oneshot", "none", "floor"), \
        g("oneshot", "none", "floor+overlay"), g("oneshot", "none", "runc")
    if st and fl:
        out.append(f"- One container without a network: stack takes {ms(st['med'])} ms, "
                   f"{st['med'] / fl['med']:.1f}× the bare-unshare floor ({ms(fl['med'])} ms)"
                   + (f" and {st['med'] / fo['med']:.1f}× the floor with an overlay mount" if fo else "") + ".")
    if st and rc:
        verdict = "faster than" if st["med"] < rc["med"] else "slower than"
        out.append(f"- stack is {verdict} `runc run` without a network ({ms(st['med'])} vs {ms(rc['med'])} ms; "
                   "target: faster).")
    for tool in ("docker", "podman"):
        p = g("oneshot", "none", tool)
        if st and p:
            out.append(f"- `{tool} run --rm --network none` takes {ms(p['med'])} ms: "
                       f"{p['med'] / st['med']:.1f}× stack's time.")
    sn = g("oneshot", "net", "stack")
    if sn and fl:
        out.append(f"- stack with its default network: {ms(sn['med'])} ms, {sn['med'] / fl['med']:.1f}× the floor "
                   f"(target: within 4×); the container saw {sn['note'].replace('container links: ', '') or '?'}.")
        if "eth" not in sn["note"]:
            out.append("  `stack run` does not wire a veth yet, so this is NOT yet the with-network figure "
                       "the target means; docker's and podman's rows are real bridged networks.")
    for tool in ("docker", "podman"):
        u30 = g("up", "30", tool)
        s30 = g("up", "30", "stack")
        if u30 and s30:
            out.append(f"- `up -d` of 30 services: stack is {u30['med'] / s30['med']:.0f}× faster than "
                       f"{tool}-compose (target vs docker-compose: ≥ 60×).")
    d30, s30 = g("up", "30", "docker"), g("up", "30", "stack")
    if d30 and fo:
        per = d30["med"] / 60 / 30
        out.append(f"- What the up target asks: 60× docker-compose's {d30['med']:.2f} s for 30 services is "
                   f"{d30['med'] / 60 * 1000:.0f} ms, {per * 1000:.1f} ms per service. The floor with an overlay "
                   f"(new pid, mount, net, uts and ipc namespaces, /proc and one overlay mount; nothing else) "
                   f"takes {ms(fo['med'])} ms per container, so even containers made at the floor, one after "
                   f"another, would give {d30['med'] / (30 * fo['med']):.0f}×. stack makes containers on every "
                   "core (libuv's pool makes each container while the loop prepares the next, since 2026-12-03)"
                   + (f" and takes {s30['med'] / 30 * 1000:.0f} ms per service" if s30 else "")
                   + "; what is left is CPU, and the loop, which does a serial part of every container. "
                   "A system-wide `perf record -F 10000` of an up of 30 (2026-12-04, after a8bd712 and "
                   "62346ab): of 308 ms of CPU on the two cores, the supervisor's loop thread took 69 ms (2.3 "
                   "ms per container: the veth pair over netlink 0.7 ms, which waits on the kernel's RTNL lock "
                   "with every network namespace being made; cgroup and log directories 0.4; JSON, the stack "
                   "file and the rest in user space 0.7), the containers' own processes (busybox sh and sleep, "
                   "the same work for every tool) 67 ms, each child before its exec 56 ms (its 51 mounts 14 ms, "
                   "loading the seccomp program 6 ms, the exec 4 ms), libuv's pool 52 ms (overlay mounts, "
                   "namespaces), and 38 ms were idle, most of them in the first 50 ms. Later that day: nft "
                   "(16.5 ms, ~10 of them with both cores idle while the kernel commits) runs on a thread of "
                   "its own while the first containers are made, and the first veth waits for it (032faa0, "
                   "21b1562); a veth gets one queue of each kind, which spares two expedited RCU grace periods "
                   "under RTNL (22e2939); a service's replicas start as soon as they are made instead of after "
                   "every service's cgroups (6053db6); a veth takes 7 netlink requests instead of 13 (0ad4933) "
                   "and a container's cgroup 9 mkdirs instead of 25 (5c4fdd0). Idle CPU during the up went "
                   "from ~60 to 20-40 ms (/proc/stat); the loop remains the serial path: ~1.2 ms per container "
                   "to make its cgroups, log and spec, then ~1.3 ms for its veth while the pool clones the next "
                   "ones. Tried and measured slower: the veths made on the pool thread right after each clone "
                   "(~118 against ~106 ms; a pool thread waiting on RTNL makes no container). "
                   "A second day of it (2026-12-04 evening, `perf record -a -F 2999` over 10 ups of 30, "
                   "summing sample periods): the up is CPU-bound. About 185-191 ms of CPU per up, the two "
                   "cores' whole wall time but 9-12 ms of idle, all of it in the first 20 ms: the "
                   "supervisor and each child before its exec 116-119 ms (the loop thread 39-45, libuv's pool "
                   "35: network namespaces 10.6 of it, each ~0.35 ms, a third of that registering `lo`; the "
                   "children 38: 51 mounts, the seccomp program's JIT, mknod), and the containers' own "
                   "busybox `sh` and `sleep` 45 ms: 0.56 ms of user time per process, nearly all of it just "
                   "after `cpuid` instructions in static glibc's start-up (its cache-size probing; on this VM "
                   "each `cpuid` exits to the hypervisor), the same for every tool. So reordering gives "
                   "nothing (the loop at nice -10 did not change the up's time; neither did skipping the heap "
                   "trims); only less CPU or fewer waits on the serial path do. Timestamps in the supervisor "
                   "showed those waits: up's apply request waited 2.4 ms behind libuv making its pool on the "
                   "first state.json write (now made before the networks, 22be479), and the loop waited up to "
                   "11 ms for a short-lived thread to open each container's netlink socket (now a setns on "
                   "the loop's thread and back, 7bef6de). Less CPU on the loop: the addresses of the first "
                   "containers leased in one IPAM write instead of 30 (f994cbf), the project's config form "
                   "made once per apply instead of once per service (5f3ae2c), and Docker's seccomp profile "
                   "one shared object instead of one built and compared per container (240c44f): the loop's "
                   "user time 16.3 -> 12.4 ms per up of 30, its CPU 44.7 -> 38.7 ms. "
                   "A third day (2026-12-04 night, `perf record -a -g` over 10 ups, 194 ms of CPU per up): the "
                   "supervisor's system calls 98 ms (clone3 with its namespaces 15, of which network "
                   "namespaces 10; mount 14.7; mkdir 10.8, half of it cgroup directories, half ext4 ones, whose "
                   "inode allocator skips the inodes the previous round's `down` freed seconds before "
                   "(recently_deleted(), 3.6 ms); veths over netlink 9.9; seccomp(2) 7.4), its user time 20 "
                   "(a quarter of it malloc and free), the containers' processes 46, idle 13. Cut since: the "
                   "seccomp program is laid out as a binary search over ranges of syscall numbers (1,233 -> "
                   "295 instructions, loading it in each container 0.21 -> 0.08 ms: b06dc29); a bind mount "
                   "takes a remount only to set flags (device nodes and the /etc files: 51 -> 42 mount calls "
                   "per container, b8be714); the cpuset groups above a container's pass cpus and mems on "
                   "(cgroup.clone_children: one read instead of four file operations per container on the "
                   "loop, b9fa350); the CLI starts the supervisor with posix_spawn instead of fork (ed2abcf). "
                   "Tried and measured as no change (same-minute alternating rounds): the supervisor's "
                   "autogroup at nice -10 (the containers' processes then get less CPU while it works), and "
                   "libuv's pool at 2, 3 or 6 threads. A fourth day (2026-12-05): the serial start, from the "
                   "CLI's exec to the first container's clone, is ~14 ms with one core mostly idle (two "
                   "process starts, each ~0.7 ms of static-glibc-style cpuid probing in ld.so on this VM, "
                   "the stack file parsed three times, 60 reads of repositories.json, the bridge, an fsync "
                   "of the IPAM ledger 0.5-1.3 ms, nft's start); the loop built state.json ~8 times per up. "
                   "Cut: the subnet lease without fsync (c44ed6a), state.json at most once per 25 ms "
                   "(a12c6bb), one read of the image index per resolve pass and the first apply taking the "
                   "project the supervisor loaded at start (5c64006): up of 30 82.9 -> 79.5 ms, supervisor "
                   "CPU 64.6 -> 59.1 ms (16 alternating rounds). Tried and dropped: the mount-point files of "
                   "/etc made in the upper dir before the overlay mount (no copy-up of /etc): 0.02-0.04 ms "
                   "per container.")
    fl_log, pm_log = g("logs", "MB/s", "floor"), g("logs", "MB/s", "podman")
    if fl_log and pm_log:
        out.append(f"- Log capture: podman's conmon (k8s-file) reaches {pm_log['med']:g} MB/s, "
                   f"{100 * pm_log['med'] / fl_log['med']:.0f}% of the pipe-to-file floor ({fl_log['med']:g} MB/s).")
        wr_log = g("logs", "MB/s", "writer")
        if 3 * pm_log["med"] > fl_log["med"]:
            out.append(f"- The target ≥ 3× conmon asks for {3 * pm_log['med']:.0f} MB/s, "
                       f"{3 * pm_log['med'] / fl_log['med']:.1f}× the floor: more than `cat` gets out of the same "
                       "pipe, so no reader of it can meet that here; ≥ 50 % of the floor is the target that "
                       "measures the supervisor."
                       + (f" The writer itself, with nobody reading (stdout /dev/null), makes {wr_log['med']:g} MB/s"
                          + (": less than 3× conmon, so not even a capture that cost nothing could meet it."
                             if wr_log["med"] < 3 * pm_log["med"] else ".") if wr_log else ""))
    sl, cpu = g("logs", "MB/s", "stack"), g("logs", "supervisor CPU s", "stack")
    fl_cpu, pm_cpu = g("logs", "cat CPU s", "floor"), g("logs", "conmon CPU s", "podman")
    if cpu and fl_cpu and pm_cpu:
        out.append(f"- Log capture per CPU second: moving the {args_log_mb(res)} MB from the pipe into a file "
                   f"took the floor's `cat` {fl_cpu['med']:g} s of CPU, conmon {pm_cpu['med']:g} s and the "
                   f"supervisor {cpu['med']:g} s, the supervisor writing 1.7 bytes per byte read (cat 1.0). "
                   f"3× conmon is {pm_cpu['med'] / 3:.2f} s"
                   + (", less than the floor's own copier needs" if pm_cpu["med"] / 3 < fl_cpu["med"] else "")
                   + ". What it is made of (perf, warm page cache): the copy into the page cache ~23%, "
                   "the pipe reads ~10%, ext4's and the page allocator's per-folio work ~15%, wake-ups "
                   "~8%, the splitter and encoder ~20% (one pass per line finds the newline and whether "
                   "it needs escaping, 32 bytes a block with AVX2, since 0da662d). In minutes when the "
                   "VM's host has taken free memory back, large page-cache folios cost up to 10× more "
                   "(first touch): since 8f616bd a slow large write switches the file to 32 KiB writes "
                   "for 64 MiB (0.44-0.46 s instead of 1.1-3.1 s per capture in such minutes). "
                   "The user-space part alone (splitter, encoder, buffer copies; 500 MB into /dev/null) "
                   "is 0.085-0.088 s of user time: the rest is the kernel's per-byte work. Tried on "
                   "2026-12-05 and not kept: writes cut at 256 KiB boundaries of the file (one large "
                   "folio per write instead of ~7.6) took 0.58-2.6 s against 0.42-2.3 s alternating, "
                   "since large folios come from the memory the host took back; an AVX-512BW scan, "
                   "0.003 s less; O_DIRECT, which in dd costs the same system time as buffered writes "
                   "(0.19 vs 0.17 s for 850 MB) at a quarter of the speed.")
    if sl and fl_log:
        out.append(f"- Log capture: stack's supervisor reaches {sl['med']:g} MB/s, "
                   f"{100 * sl['med'] / fl_log['med']:.0f}% of the floor"
                   + (f", using {cpu['med']:g} s of CPU for {args_log_mb(res)} MB" if cpu else "") + ". "
                   "It writes 1.7 bytes for each byte read (a 100-byte line is a 170-byte json-file record "
                   "with its stream and time), and most of its CPU is the kernel's: the pipe's reads and the "
                   "file's writes. From commit bb0f7cb a busy pipe was read once a millisecond (about 1,000 "
                   "wake-ups for 200 MB instead of 24,000-37,000, each a context switch: 45% less CPU), and "
                   "from aae844a the encoder takes 27 ns for a 100-byte line (63-70 before: a whole-line SSE2 "
                   "check, one append for a line that needs no escape; another ~20%), and from 59b5630 every "
                   "2 ms into a 512 KiB buffer (600-800 wake-ups for 300 MB: another ~10%); on 2026-12-02 the same "
                   "500 MB took user 0.4 s and system 0.5-0.9 s, and 3.5 s before the encoder cached the "
                   "per-read time. The system part moves run to run with the VM, not the code: the same "
                   "binary took 0.19 to 0.79 s of system time for 300 MB (2026-12-04), two thirds of it in "
                   "copy_folio_from_iter_atomic, the first write into each new page-cache page, which this "
                   "VM backs on first touch (perf of one capture on 2026-12-04: 70% of the supervisor's CPU "
                   "there, the JSON encoder 5%). Hence the rounds: the floor, conmon and stack in turn, so that "
                   "each meets the page cache in the same phase, and medians of five.")
    sv = sorted(((int(r["case"].split("=")[1]), r["med"]) for r in res.section("rss")
                 if r["tool"] == "stack" and r["case"].startswith("supervisor N=")))
    priv = dict(sorted(((int(r["case"].split("=")[1]), r["med"]) for r in res.section("rss")
                        if r["tool"] == "stack" and r["case"].startswith("supervisor private N="))))
    if len(sv) >= 2:
        per = (sv[-1][1] - sv[0][1]) / (sv[-1][0] - sv[0][0])
        out.append(f"- The supervisor's RSS: {sv[0][1]:g} KiB with {sv[0][0]} service(s), about {per:.0f} KiB more "
                   "per service" + (f"; {priv[sv[0][0]]:g} KiB of the base are its own (RssAnon), the rest are "
                                    "file pages shared with every other stack process" if sv[0][0] in priv else "")
                   + ".")
    if sv:
        out.append("- What the base is made of (smaps of a one-service supervisor, 2026-12-03, after the "
                   "libraries were built in): 6.4 MB of file pages mapped from the page cache, which VmRSS "
                   "counts in full although the CLI and every other supervisor map the same ones: the "
                   "stack-supervisor binary's code 4.2 MB (text 5.0 MB, with libstdc++, yaml-cpp, libnl, "
                   "libuv, libseccomp, libcap, spdlog and fmt in it), libc 1.7, libm 0.3, ld.so 0.2; and "
                   "0.5 MB private: the heap 0.3 MB (trimmed after start-up), thread stacks, relocated data. "
                   "Three steps on 2026-12-03 took 5.8 MB off (12.7 MB in the run before them): the image "
                   "importer became a program of its own (stack-import: libarchive with ICU, libxml2, nettle "
                   "and five compressors, 1.7 MB, and ~1.6 ms at every process start), so did the supervisor "
                   "(stack-supervisor: only the __supervisor command, text 3.9 MB instead of 4.9), and every "
                   "library but glibc was linked in from Debian's static archives, with --gc-sections "
                   "(9.4 -> 6.8 MB: the shared libstdc++, spdlog, libnl and the rest were 3.7 MB, the "
                   "binary grew by 0.9 MB; an earlier try that left spdlog and fmt shared still loaded the "
                   "shared libstdc++ through them and gained nothing). Dropping the code pages after "
                   "start-up (MADV_DONTNEED) would only move the accounting (one more `up` faults them "
                   "back; the kernel maps 64 KiB around each page touched). The binary's pages are touched "
                   "nearly all over (3.8 of 5.0 MB), since start-up runs code from every part: the "
                   "supervisor loads the stack file itself (YAML, interpolation, the model and the CLI "
                   "parser: ~0.8 MB of the resident code), so what would take more off is the CLI handing "
                   "it the loaded project (the model as JSON), after which yaml-cpp and the model's loader "
                   "are never touched.")
        out.append("- Per service (57 KiB at 100 services, 2026-12-02) the heap holds mostly the container's "
                   "spec, kept for `exec`, which held its own copy of Docker's seccomp profile as data "
                   "(21 KiB) until 240c44f made it one object shared by all containers.")
    rss = g("rss", "KiB per container", "conmon")
    if rss:
        out.append(f"- Each container under podman costs a conmon of {rss['med']:g} KiB RSS "
                   "(stack's target: ≤ 100 KB per service on top of one ≤ 8 MB supervisor).")
    return out


def document(res, args, have_plot):
    m = res.machine
    L = ["# Performance", "",
         "Generated by `tests/bench/run` (issue 8) — do not edit by hand; run the bench again.",
         "Every figure below comes from ONE run on ONE machine, all tools side by side, on the same",
         "busybox rootfs (`tests/support/mkbusybox`, imported into each tool). Times are wall clock",
         "from the tool's exec to its exit, taken by the script (bash `EPOCHREALTIME`), "
         f"median of {args.runs} runs after one warm-up run for one-shot containers and of "
         f"{args.updown_runs} rounds after one warm-up round for up/down, and of the log capture's rounds "
         "(the floor, conmon and stack in turn) after one warm-up round.", ""]
    if args.smoke:
        L += ["**Smoke run** (`--smoke`): tiny sizes, few runs; the figures only prove the script works.", ""]
    L += ["## Machine", ""]
    L += [f"- {k}: {v}" for k, v in m.items()]
    # The run writes it before the report; a report drawn again later keeps the run's.
    end_load = os.path.join(args.work, "load-end.txt")
    end = open(end_load if os.path.exists(end_load) else "/proc/loadavg").read().split()[:3]
    L += [f"- load at the end: {' '.join(end)}"]
    steal = stolen_percent(args.work)
    if steal is not None:
        L += [f"- CPU time stolen by the hypervisor during the run: {steal:.1f}% (`steal` of /proc/stat)"]
    load = m.get("load", "0").split()[0]
    try:
        busy = float(load) > 1.5
    except ValueError:
        busy = False
    if steal is not None and steal > 5:
        L += ["", f"The hypervisor took {steal:.0f}% of this machine's CPU time during the run (other "
              "guests were busy): every figure is slower than on a quiet host, the peers' too, and "
              "min–max ranges are wide; ratios taken within one run are the meaningful part."]
    elif busy:
        L += ["", "The machine was shared with other jobs during the measurement (see the load),",
              "so absolute figures are noisy and min–max ranges are wide; ratios taken within",
              "one run are the meaningful part."]
    L += ["", "## Versions", ""]
    L += [f"- {t}: {v}" for t, v in res.versions]
    L += ["", "## 1. One container, one-shot (`true`)", "",
          "Commands: `stack run --rm SVC` (stack file with `network_mode: none`, or the default),",
          "`docker run --rm [--network none | --network <bridge net>] IMG true`, `podman run --rm",
          "[--network none] IMG true`, `runc run` of an OCI bundle (`runc spec`, no network",
          "namespace setup beyond lo), floor `unshare -pfmnui --mount-proc true` and the same",
          "running `mount -t overlay` of the rootfs.", ""]
    L += oneshot_table(res)
    L += ["", "`stack ÷ tool` above 1× means stack took longer than that tool.", ""]
    L += profile_section(args.work)
    L += ["", "## 2. `up -d` and `down` of N services", "",
          "The same generated compose file for every tool: N busybox services whose PID 1 is",
          "`sh -c \"trap 'exit 0' TERM; sleep … & wait\"` on the default network. `up` is timed",
          "until every service runs (checked with `ps`), `down` until all are gone. podman-compose",
          "1.0.3 sleeps 1 s after each `podman run` it issues (its `run(..., sleep=1)`): that is",
          "part of what a user waits for, so it is part of its figure.", ""]
    L += updown_tables(res)
    L += profile_up_section(args.work)
    if have_plot:
        L += ["", "![up -d and down time against N](performance-up-down.png)"]
    else:
        L += ["", "(No plot: gnuplot is missing or nothing was measured.)"]
    L += ["", "## 3. Log capture", "",
          f"{args.log_mb} MB of 100-byte lines (`yes <99 chars> | head -c …` in busybox). The floor is",
          "the same writer piped into `cat > file`; podman's figure is `run -d` to `wait` with",
          "conmon writing a k8s-file log (payload bytes checked). The three run in turn, round after",
          "round, so that the VM's page cache is in the same phase for each (it backs a page on first",
          "touch, which is most of a capture's system time).", ""]
    L += simple_table(res, "logs", "value") or ["Nothing measured."]
    L += ["", "stack's figure is timed from `up -d` until the service's json-file log holds every",
          "line (the whole pipeline: container start, the supervisor's pipe reads, JSON encoding,",
          "batched writes); the supervisor CPU is its user+system time over that span.", "",
          "## 4. Memory", "",
          "stack: VmRSS of the stack's one supervisor with N sleeping services up (the same",
          "compose file as section 2); podman: VmRSS of each container's conmon.", ""]
    L += simple_table(res, "rss", "KiB") or ["Nothing measured."]
    L += ["", "## 5. Restart latency", "",
          "A service whose command exits at once, under an always-restart policy; the time",
          "from each exit to the next start, from the tool's own event stream (nanosecond",
          "stamps). stack: `deploy.restart_policy: {condition: any, delay: 0s}` (its backoff at",
          "the floor), consecutive restarts of one service; docker: `--restart always`, whose",
          "restart manager waits 100 ms before a first restart and doubles it after, so one",
          "first restart per container.", ""]
    L += restart_table(res) or ["Nothing measured."]
    L += ["", "## 6. Bandwidth shaping (`x-bandwidth`)", ""]
    L += bandwidth_section()
    L += ["", "## Targets (issue 8)", ""]
    L += targets(res) or ["Nothing measured."]
    L += ["", "## What the figures say", ""]
    L += findings(res) or ["- Nothing to compare in this run."]
    L += ["", "## Not measured, and why", ""]
    L += [f"- {t} — {w}: {r}" for t, w, r in res.skips] or ["- Everything was measured."]
    L += ["", "## How to run", "",
          "As root: `tests/bench/run [--runs N] [--updown-runs N] [--out DIR] [--stack PATH]`.",
          "It installs the missing peers from Debian (docker.io, docker-compose, podman,",
          "podman-compose, containernetworking-plugins, runc, gnuplot-nox), starts dockerd on a",
          "private socket, data-root and exec-root (no iptables, no NAT, no default bridge, no",
          "ip_forward change, cgroups beneath its own), runs podman on private storage with its",
          "own CNI networks (no gateway, no masquerade, no firewall rules), and removes all of it",
          "at the end. `--smoke` (ctest `bench_smoke`, label `bench`) does N=3 and 2 runs with",
          "whatever is installed.", "",
          "## Raw results", "",
          "section, case, tool, median, min, max, runs, note (seconds; MB/s or KiB where named):", "",
          "```"] + [line.rstrip("\n") for line in open(os.path.join(args.work, "results.tsv"), encoding="utf-8")] + [
          "```", ""]
    return "\n".join(L)


def bandwidth_section():
    """The shaping accuracy the integration tests measured, quoted from docs/bandwidth.md
    (its "Shaping accuracy (summary)" paragraph), so the two pages never disagree."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "bandwidth.md")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return ["docs/bandwidth.md is missing."]
    head = "## Shaping accuracy (summary)"
    if head not in text:
        return ["docs/bandwidth.md has no accuracy summary."]
    para = text.split(head, 1)[1].strip().split("\n\n", 1)[0]
    return ["Measured by the integration tests (`tests/integration/bandwidth`, `stack_bandwidth`), not",
            "by this script; quoted from [bandwidth.md](bandwidth.md#shaping-accuracy-summary):", ""] + \
        ["> " + line for line in para.splitlines()]


def keep_inputs(work, keep):
    """A copy of the run's inputs, so the report can be drawn again (`--work KEEP`)."""
    os.makedirs(keep, exist_ok=True)
    for name in ("results.tsv", "skips.tsv", "versions.tsv", "machine.txt", "profile.txt", "profile-up.txt",
                 "callgrind.tsv", "load-end.txt", "stat-start.txt", "stat-end.txt"):
        if os.path.exists(os.path.join(work, name)):
            shutil.copy(os.path.join(work, name), keep)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--updown-runs", type=int, required=True)
    ap.add_argument("--log-mb", type=int, required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--keep", help="copy the run's inputs here too")
    args = ap.parse_args()
    if args.keep:
        keep_inputs(args.work, args.keep)
    res = Results(args.work)
    res.log_mb = args.log_mb
    have_plot = plot(res, args.work, os.path.join(args.out, "performance-up-down.png"))
    with open(os.path.join(args.out, "performance.md"), "w", encoding="utf-8") as f:
        f.write(document(res, args, have_plot))


if __name__ == "__main__":
    main()
