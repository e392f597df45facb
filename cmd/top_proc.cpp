#include "cmd/top_proc.hpp"

#include <pwd.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "engine/base/file.hpp"

namespace stack::cli {

std::optional<ProcStat> parse_proc_pid_stat(std::string_view text) {
  auto lp = text.find('('), rp = text.rfind(')');
  if (lp == std::string_view::npos || rp == std::string_view::npos || rp < lp) return std::nullopt;
  ProcStat p;
  p.pid = static_cast<pid_t>(std::atoi(std::string(text.substr(0, lp)).c_str()));
  p.comm = std::string(text.substr(lp + 1, rp - lp - 1));
  // After ')': field 3 (state) onward; ppid is 4, tty_nr 7, utime 14, stime 15, starttime 22.
  std::istringstream in{std::string(text.substr(rp + 1))};
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  if (f.size() < 20) return std::nullopt;
  bool ok = true;
  auto at = [&](int field) {
    const std::string& w = f[static_cast<std::size_t>(field - 3)];
    int64_t v = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    ok = ok && ec == std::errc() && end == w.data() + w.size();
    return v;
  };
  p.ppid = static_cast<pid_t>(at(4));
  p.tty_nr = static_cast<int>(at(7));
  p.utime = static_cast<uint64_t>(at(14));
  p.stime = static_cast<uint64_t>(at(15));
  p.starttime = static_cast<uint64_t>(at(22));
  if (!ok) return std::nullopt;
  return p;
}

std::optional<uid_t> parse_status_euid(std::string_view text) {
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string key;
    unsigned long real = 0, effective = 0;
    if (f >> key && key == "Uid:" && f >> real >> effective) return static_cast<uid_t>(effective);
  }
  return std::nullopt;
}

std::string format_cpu_time(uint64_t seconds) {
  char buf[48];
  uint64_t days = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
  if (days) std::snprintf(buf, sizeof buf, "%llu-%02llu:%02llu:%02llu", static_cast<unsigned long long>(days),
                          static_cast<unsigned long long>(h), static_cast<unsigned long long>(m),
                          static_cast<unsigned long long>(s));
  else std::snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(h),
                     static_cast<unsigned long long>(m), static_cast<unsigned long long>(s));
  return buf;
}

std::string format_start_time(std::time_t start, std::time_t now) {
  std::tm st{}, nt{};
  ::localtime_r(&start, &st);
  ::localtime_r(&now, &nt);
  char buf[32];
  if (now - start < 24 * 3600) std::strftime(buf, sizeof buf, "%H:%M", &st);
  else if (st.tm_year == nt.tm_year) std::strftime(buf, sizeof buf, "%b%d", &st);
  else std::strftime(buf, sizeof buf, "%Y", &st);
  return buf;
}

std::string tty_name(int tty_nr) {
  if (tty_nr == 0) return "?";
  auto dev = static_cast<dev_t>(static_cast<unsigned>(tty_nr));
  unsigned maj = major(dev), min = minor(dev);
  // devices.txt: 136-143 Unix98 pty slaves; 4 virtual consoles (0-63) and serial ports (64+).
  if (maj >= 136 && maj <= 143) return "pts/" + std::to_string((maj - 136) * 256 + min);
  if (maj == 4 && min < 64) return "tty" + std::to_string(min);
  if (maj == 4) return "ttyS" + std::to_string(min - 64);
  return "?";
}

std::string command_line(std::string_view cmdline, const std::string& comm) {
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.remove_suffix(1);
  if (cmdline.empty()) return "[" + comm + "]";
  std::string out(cmdline);
  for (char& c : out)
    if (c == '\0') c = ' ';
  return out;
}

unsigned cpu_usage_percent(uint64_t cpu_ticks, double seconds_alive, long clock_ticks) {
  if (seconds_alive <= 0 || clock_ticks <= 0) return 0;
  double pct = static_cast<double>(cpu_ticks) / static_cast<double>(clock_ticks) / seconds_alive * 100.0;
  return static_cast<unsigned>(pct);
}

namespace {

std::string user_name(uid_t uid) {
  passwd pw{}, *found = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return pw.pw_name;
  return std::to_string(uid);
}

}  // namespace

Result<std::vector<std::string>> read_process(pid_t pid, std::time_t now) {
  std::string dir = "/proc/" + std::to_string(pid);
  auto stat_text = read_file(dir + "/stat");
  if (!stat_text) return unexpected(stat_text.error());
  auto st = parse_proc_pid_stat(*stat_text);
  if (!st) return fail("cannot parse '" + dir + "/stat'");
  auto status = read_file(dir + "/status");
  if (!status) return unexpected(status.error());
  auto cmdline = read_file(dir + "/cmdline");
  if (!cmdline) return unexpected(cmdline.error());
  auto host = read_file("/proc/stat");
  if (!host) return unexpected(host.error());
  long hz = ::sysconf(_SC_CLK_TCK);
  auto boot = parse_boot_time(*host).value_or(0);
  double started = static_cast<double>(boot) + static_cast<double>(st->starttime) / static_cast<double>(hz);
  uint64_t cpu = st->utime + st->stime;
  return std::vector<std::string>{user_name(parse_status_euid(*status).value_or(0)),
                                  std::to_string(st->pid),
                                  std::to_string(st->ppid),
                                  std::to_string(cpu_usage_percent(cpu, static_cast<double>(now) - started, hz)),
                                  format_start_time(static_cast<std::time_t>(started), now),
                                  tty_name(st->tty_nr),
                                  format_cpu_time(cpu / static_cast<uint64_t>(hz)),
                                  command_line(*cmdline, st->comm)};
}

}  // namespace stack::cli
