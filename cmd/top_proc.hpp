#pragma once
// One process as `ps -ef` shows it (UID PID PPID C STIME TTY TIME CMD), the columns of
// docker compose top. Parsers take the text of /proc files (style rule 11); read_process
// is the thin reader. Unit-tested in tests/unit/stats.
#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/boot_time.hpp"
#include "engine/base/result.hpp"

namespace stack::cli {

// The fields of /proc/<pid>/stat that ps -ef needs (proc(5)); times in clock ticks.
struct ProcStat {
  pid_t pid = 0, ppid = 0;
  std::string comm;
  int tty_nr = 0;
  uint64_t utime = 0, stime = 0, starttime = 0;
};
// The comm may hold spaces and parentheses: the fields start after the LAST ')'.
std::optional<ProcStat> parse_proc_pid_stat(std::string_view text);
// The effective uid of /proc/<pid>/status ("Uid: real effective saved fs").
std::optional<uid_t> parse_status_euid(std::string_view text);
using stack::parse_boot_time;  // engine/base/boot_time.hpp: /proc/stat's btime

// ps's TIME: cumulative CPU time as [DD-]HH:MM:SS.
std::string format_cpu_time(uint64_t seconds);
// ps's STIME: "HH:MM" if started within 24 hours of now, else "MonDD" in the same year,
// else the year (local time).
std::string format_start_time(std::time_t start, std::time_t now);
// ps's TTY: "?" for none, pts/N, ttyN, ttySN; "?" for other devices.
std::string tty_name(int tty_nr);
// The NUL-separated /proc/<pid>/cmdline as one line; "[comm]" when empty (kernel threads,
// zombies), as ps shows them.
std::string command_line(std::string_view cmdline, const std::string& comm);
// ps's C: integer percent of one CPU over the process's lifetime.
unsigned cpu_usage_percent(uint64_t cpu_ticks, double seconds_alive, long clock_ticks);

// Reads /proc for pid; the row is UID PID PPID C STIME TTY TIME CMD.
Result<std::vector<std::string>> read_process(pid_t pid, std::time_t now);
inline const std::vector<std::string> kTopTitles = {"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"};

}  // namespace stack::cli
