// Value checks that need a list of names: signals (signal(7)), resource limits
// (getrlimit(2)), capabilities (capabilities(7)). Refusing a typo here beats a failed
// container start later.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "engine/model/normalize.hpp"

namespace stack::model {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

bool small_number(std::string_view s, int lo, int hi) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v >= lo && v <= hi;
}

}  // namespace

bool valid_signal(const std::string& name) {
  static const std::set<std::string> names = {
      "HUP",  "INT",  "QUIT", "ILL",  "TRAP", "ABRT", "IOT",    "BUS",    "FPE",  "KILL",  "USR1", "SEGV",
      "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",  "URG",
      "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR",  "SYS",  "RTMIN", "RTMAX"};
  if (small_number(name, 1, 64)) return true;
  std::string n = upper(name);
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  if (names.count(n)) return true;
  // RTMIN+n / RTMAX-n, as docker's signal parser accepts them
  for (const char* base : {"RTMIN+", "RTMAX-"}) {
    if (n.rfind(base, 0) == 0 && small_number(n.substr(6), 1, 30)) return true;
  }
  return false;
}

bool valid_ulimit(const std::string& name) {
  static const std::set<std::string> names = {"core",   "cpu",      "data",   "fsize", "locks",
                                              "memlock", "msgqueue", "nice",   "nofile", "nproc",
                                              "rss",    "rtprio",   "rttime", "sigpending", "stack", "as"};
  return names.count(name) != 0;
}

bool valid_capability(const std::string& name) {
  static const std::set<std::string> names = {
      "ALL",         "CHOWN",          "DAC_OVERRIDE",   "DAC_READ_SEARCH", "FOWNER",      "FSETID",
      "KILL",        "SETGID",         "SETUID",         "SETPCAP",         "LINUX_IMMUTABLE",
      "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",  "NET_RAW",         "IPC_LOCK",    "IPC_OWNER",
      "SYS_MODULE",  "SYS_RAWIO",      "SYS_CHROOT",     "SYS_PTRACE",      "SYS_PACCT",   "SYS_ADMIN",
      "SYS_BOOT",    "SYS_NICE",       "SYS_RESOURCE",   "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",
      "LEASE",       "AUDIT_WRITE",    "AUDIT_CONTROL",  "SETFCAP",         "MAC_OVERRIDE", "MAC_ADMIN",
      "SYSLOG",      "WAKE_ALARM",     "BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",     "BPF",
      "CHECKPOINT_RESTORE"};
  std::string n = upper(name);
  if (n.rfind("CAP_", 0) == 0) n = n.substr(4);
  return names.count(n) != 0;
}

}  // namespace stack::model
