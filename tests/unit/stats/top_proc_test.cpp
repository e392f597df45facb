// ps -ef's columns from /proc text, as `stack top` prints them.
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "cmd/top_proc.hpp"

using namespace stack::cli;

TEST_CASE("/proc/<pid>/stat with a comm holding spaces and parentheses", "[top]") {
  std::string text =
      "4242 (my (odd) cmd) S 4200 4242 4242 34816 4242 4194560 100 0 0 0 250 150 0 0 20 0 1 0 123456 "
      "1000000 200 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  auto st = parse_proc_pid_stat(text);
  REQUIRE(st);
  CHECK(st->pid == 4242);
  CHECK(st->comm == "my (odd) cmd");
  CHECK(st->ppid == 4200);
  CHECK(st->tty_nr == 34816);
  CHECK(st->utime == 250);
  CHECK(st->stime == 150);
  CHECK(st->starttime == 123456);
  CHECK(!parse_proc_pid_stat("4242 (cut"));
  CHECK(!parse_proc_pid_stat("4242 (x) S 1 2"));
}

TEST_CASE("uid, boot time, tty, times and command line", "[top]") {
  CHECK(parse_status_euid("Name:\tsh\nUid:\t0\t1000\t1000\t1000\nGid:\t0\t0\t0\t0\n") == 1000u);
  CHECK(!parse_status_euid("Name:\tsh\n"));
  CHECK(parse_boot_time("cpu 1 2 3\nbtime 1764670000\n") == 1764670000);
  CHECK(tty_name(0) == "?");
  CHECK(tty_name(static_cast<int>(makedev(136, 3))) == "pts/3");
  CHECK(tty_name(static_cast<int>(makedev(4, 1))) == "tty1");
  CHECK(tty_name(static_cast<int>(makedev(4, 64))) == "ttyS0");
  CHECK(format_cpu_time(0) == "00:00:00");
  CHECK(format_cpu_time(3725) == "01:02:05");
  CHECK(format_cpu_time(2 * 86400 + 61) == "2-00:01:01");
  CHECK(command_line(std::string("sh\0-c\0sleep 5\0", 15), "sh") == "sh -c sleep 5");
  CHECK(command_line("", "kworker/0:1") == "[kworker/0:1]");
  CHECK(cpu_usage_percent(50, 1.0, 100) == 50);
  CHECK(cpu_usage_percent(50, 0.0, 100) == 0);
}

TEST_CASE("start time: clock time today, month and day this year, else the year", "[top]") {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  std::time_t now = 1764670000;  // 2025-12-02 10:06:40 UTC
  CHECK(format_start_time(now - 3600, now) == "09:06");
  CHECK(format_start_time(now - 40 * 86400, now) == "Oct23");
  CHECK(format_start_time(now - 400 * 86400, now) == "2024");
}
