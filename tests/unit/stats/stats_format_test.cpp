// docker stats' arithmetic and text: CPU % from two samples, memory without the
// inactive page cache, go-units sizes, the table and JSON row shapes.
#include <catch2/catch.hpp>

#include "cmd/stats_format.hpp"

using namespace stack::cli;

namespace {

StatsSample sample(uint64_t cpu_ns, uint64_t system_ns, uint32_t cpus) {
  StatsSample s;
  s.name = "demo-web-1";
  s.cpu_usage_ns = cpu_ns;
  s.system_cpu_ns = system_ns;
  s.online_cpus = cpus;
  return s;
}

}  // namespace

TEST_CASE("cpu percent is the container's share of the host's time times the CPUs", "[stats]") {
  // Half a core on a 2-CPU host for one second: the host counts 2 s of CPU time.
  CHECK(cpu_percent(sample(0, 0, 2), sample(500'000'000, 2'000'000'000, 2)) == Approx(50.0));
  // Two full cores: 200 %, as docker shows it.
  CHECK(cpu_percent(sample(1'000, 1'000, 2), sample(2'000'001'000, 2'000'001'000, 2)) == Approx(200.0));
  CHECK(cpu_percent(sample(10, 10, 4), sample(10, 20, 4)) == 0.0);   // no CPU used
  CHECK(cpu_percent(sample(10, 10, 4), sample(20, 10, 4)) == 0.0);   // no host delta
  CHECK(cpu_percent(sample(50, 10, 4), sample(20, 30, 4)) == 0.0);   // counter went back
}

TEST_CASE("memory usage leaves out the inactive file cache", "[stats]") {
  StatsSample s;
  s.memory_usage = 100 << 20;
  s.memory_inactive_file = 30 << 20;
  s.memory_limit = 140 << 20;
  CHECK(memory_no_cache(s) == 70 << 20);
  CHECK(memory_percent(s) == Approx(50.0));
  s.memory_inactive_file = 200 << 20;  // more cache than usage: docker keeps the usage
  CHECK(memory_no_cache(s) == 100 << 20);
  s.memory_limit = 0;
  CHECK(memory_percent(s) == 0.0);
}

TEST_CASE("sizes as go-units prints them", "[stats]") {
  CHECK(binary_size(0) == "0B");
  CHECK(binary_size(1023) == "1023B");
  CHECK(binary_size(1536) == "1.5KiB");
  CHECK(binary_size(64.0 * 1024 * 1024) == "64MiB");
  CHECK(binary_size(1.2345678 * 1024 * 1024 * 1024) == "1.235GiB");
  CHECK(decimal_size(0) == "0B");
  CHECK(decimal_size(999) == "999B");
  CHECK(decimal_size(1234) == "1.23kB");
  CHECK(decimal_size(4'000'000) == "4MB");
  CHECK(decimal_size(12'345'678'901.0) == "12.3GB");
}

TEST_CASE("host CPU time and memory from /proc", "[stats]") {
  std::string stat = "cpu  100 2 30 400 5 6 7 8 9 10\ncpu0 50 1 15 200 2 3 3 4 4 5\nbtime 1700000000\n";
  // user..steal = 100+2+30+400+5+6+7+8 = 558 ticks at 100 Hz = 5.58 s.
  CHECK(parse_proc_stat_ns(stat, 100) == 5'580'000'000ULL);
  CHECK(!parse_proc_stat_ns("intr 1 2 3\n", 100));
  CHECK(parse_meminfo_total("MemTotal:       24684228 kB\nMemFree: 1 kB\n") == 24684228ULL * 1024);
  CHECK(!parse_meminfo_total("MemFree: 1 kB\n"));
}

TEST_CASE("a row has docker stats' JSON keys and values", "[stats]") {
  StatsSample before = sample(0, 0, 2), now = sample(250'000'000, 1'000'000'000, 2);
  now.memory_usage = 3 << 20;
  now.memory_limit = 64 << 20;
  now.net_rx_bytes = 1234;
  now.net_tx_bytes = 56;
  now.net_rx_packets = 12;
  now.net_tx_packets = 1;
  now.io_read_bytes = 0;
  now.io_write_bytes = 10'000'000;
  now.pids = 3;
  auto row = stats_row(now, &before);
  CHECK(row["CPUPerc"] == "50.00%");
  CHECK(row["MemUsage"] == "3MiB / 64MiB");
  CHECK(row["MemPerc"] == "4.69%");
  CHECK(row["NetIO"] == "1.23kB / 56B");
  CHECK(row["NetPackets"] == "12 / 1");
  CHECK(row["BlockIO"] == "0B / 10MB");
  CHECK(row["PIDs"] == "3");
  CHECK(row["Name"] == "demo-web-1");
  CHECK(row["Container"] == "demo-web-1");
  CHECK(stats_row(now, nullptr)["CPUPerc"] == "0.00%");  // one sample: no rate yet

  auto table = stats_table({row});
  CHECK(table ==
        "NAME         CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O   PIDS\n"
        "demo-web-1   50.00%    3MiB / 64MiB        4.69%     1.23kB / 56B   0B / 10MB   3\n");
  CHECK(row["NetLimit"] == "");

  // x-bandwidth on a link: NetLimit, and a last column when any row has one.
  now.net_limit = "8mbit / -, 2mbit / 3mbit";
  auto limited = stats_row(now, &before);
  CHECK(limited["NetLimit"] == "8mbit / -, 2mbit / 3mbit");
  CHECK(stats_table({row, limited}) ==
        "NAME         CPU %     MEM USAGE / LIMIT   MEM %     NET I/O        BLOCK I/O   PIDS      NET LIMIT\n"
        "demo-web-1   50.00%    3MiB / 64MiB        4.69%     1.23kB / 56B   0B / 10MB   3         \n"
        "demo-web-1   50.00%    3MiB / 64MiB        4.69%     1.23kB / 56B   0B / 10MB   3         8mbit / -, 2mbit / 3mbit\n");
  CHECK(sample_from_json(to_json(now)).net_limit == now.net_limit);
}

TEST_CASE("a sample survives the control socket's JSON", "[stats]") {
  StatsSample s = sample(1, 2, 3);
  s.service = "web";
  s.memory_inactive_file = 7;
  s.net_tx_bytes = 9;
  s.net_tx_packets = 4;
  auto back = sample_from_json(to_json(s));
  CHECK(back.name == s.name);
  CHECK(back.service == "web");
  CHECK(back.cpu_usage_ns == 1);
  CHECK(back.system_cpu_ns == 2);
  CHECK(back.online_cpus == 3);
  CHECK(back.memory_inactive_file == 7);
  CHECK(back.net_tx_bytes == 9);
  CHECK(back.net_tx_packets == 4);
}
