// Healthchecks through the built binary (`up -d`, `up --wait`, `ps`), with temporary
// roots and a busybox image: probes run inside the containers on the supervisor's
// timers, service_healthy orders the start, a failing or slow check turns a container
// unhealthy and blocks its dependants, and down leaves nothing behind.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/stack_fixture.hpp"

using stack::testing::run;
using stack::testing::since;
using Clock = std::chrono::steady_clock;

namespace {

struct HealthFixture : stack::testing::StackFixture {
  HealthFixture() : StackFixture("hc") {}

  // The service's ps entry, {} if none.
  nlohmann::json ps(const std::string& service) const { return container(service); }

  // Polls ps until the service's Health is `want` (or the time is up); returns it.
  nlohmann::json wait_health(const std::string& service, const std::string& want, int seconds = 20) const {
    nlohmann::json c;
    auto end = Clock::now() + std::chrono::seconds(seconds);
    do {
      c = container(service);
      if (c.value("Health", "") == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (Clock::now() < end);
    return c;
  }
};

// A service that loops until stopped; `ready` commands run first.
std::string service(const std::string& name, const std::string& ready, const std::string& extra) {
  return "  " + name + ":\n    image: busybox:hc\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; " + ready +
         "while :; do sleep 0.1; done\"]\n" + extra;
}

}  // namespace

TEST_CASE("service_healthy orders three services; ps shows them healthy", "[health]") {
  HealthFixture fx;
  // db becomes ready after 0.6 s; api only once db is healthy, web once api is.
  fx.write(service("db", "sleep 0.6; touch /tmp/ready; ",
                   "    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]\n"
                   "      interval: 200ms\n      retries: 20\n") +
           service("api", "touch /tmp/ready; ",
                   "    healthcheck:\n      test: test -f /tmp/ready && echo api-ok\n      interval: 200ms\n"
                   "    depends_on:\n      db:\n        condition: service_healthy\n") +
           service("web", "",
                   "    healthcheck:\n      test: [\"CMD-SHELL\", \"true\"]\n      interval: 200ms\n"
                   "    depends_on:\n      api:\n        condition: service_healthy\n"));
  auto t0 = Clock::now();
  auto up = run(fx.cmd("up -d"));
  double t_up = since(t0);
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(up.out.find("Container " + fx.project + "-web-1  Started") != std::string::npos);
  // web was handed out only after db, then api, were healthy: 0.6 s + probes.
  CHECK(t_up >= 0.8);

  auto web = fx.wait_health("web", "healthy");
  auto db = fx.ps("db"), api = fx.ps("api");
  INFO(db.dump() << "\n" << api.dump() << "\n" << web.dump());
  CHECK(db["Health"] == "healthy");
  CHECK(api["Health"] == "healthy");
  CHECK(web["Health"] == "healthy");
  CHECK(db["State"] == "running");
  // Started in order, each a probe interval or more after the one before.
  CHECK(db["StartedAt"].get<std::string>() < api["StartedAt"].get<std::string>());
  CHECK(api["StartedAt"].get<std::string>() < web["StartedAt"].get<std::string>());
  auto table = run(fx.cmd("ps"));
  INFO(table.out);
  CHECK(table.out.find("STATUS") != std::string::npos);
  CHECK(table.out.find("(healthy)") != std::string::npos);
  CHECK(table.out.find(fx.project + "-db-1") != std::string::npos);
  WARN("up -d with two service_healthy steps took " << t_up << " s");
  fx.down_clean();
}

TEST_CASE("a failing check turns unhealthy after its retries and blocks the dependant", "[health]") {
  HealthFixture fx;
  fx.write(service("db", "",
                   "    healthcheck:\n      test: echo not-ready; exit 1\n      interval: 100ms\n      retries: 3\n") +
           service("web", "", "    depends_on:\n      db:\n        condition: service_healthy\n"));
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  CHECK(up.status == 1);
  CHECK(up.out.find("Container " + fx.project + "-db-1  Started") != std::string::npos);
  CHECK(up.out.find("Container " + fx.project + "-web-1  Error") != std::string::npos);
  CHECK(up.out.find("dependency failed to start: container db is unhealthy") != std::string::npos);
  auto db = fx.ps("db");
  INFO(db.dump());
  CHECK(db["Health"] == "unhealthy");
  CHECK(db["State"] == "running");  // unhealthy does not restart (compose)
  CHECK(db["RestartCount"] == 0);
  CHECK(fx.ps("web").empty());
  CHECK(run(fx.cmd("ps")).out.find("(unhealthy)") != std::string::npos);
  fx.down_clean();
}

TEST_CASE("a slow probe is killed at its timeout and counted; start_period holds failures back; up --wait fails",
          "[health]") {
  HealthFixture fx;
  // slow: each probe outlives its 300 ms timeout. late: fails at once, but inside a
  // 4 s start_period that does not count.
  fx.write(service("slow", "",
                   "    healthcheck:\n      test: sleep 7.77; true\n      interval: 100ms\n      timeout: 300ms\n"
                   "      retries: 2\n") +
           service("late", "",
                   "    healthcheck:\n      test: exit 1\n      interval: 100ms\n      start_period: 4s\n"
                   "      start_interval: 100ms\n      retries: 1\n"));
  auto t0 = Clock::now();
  auto up = run(fx.cmd("up --wait --wait-timeout 30"));
  double t_wait = since(t0);
  INFO(up.out);
  CHECK(up.status == 1);
  CHECK(up.out.find("Container " + fx.project + "-slow-1  Error") != std::string::npos);
  CHECK(up.out.find("stack: container " + fx.project + "-slow-1 is unhealthy") != std::string::npos);
  // Two timeouts, not two 7.77 s sleeps.
  CHECK(t_wait < 6);
  // A timed-out probe dies with its children: never more than the one running.
  for (int i = 0; i < 10; ++i) {
    auto n = run("pgrep -c -xf 'sleep 7.77'", false).out;
    CHECK(std::stoi(n.empty() ? "0" : n) <= 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto late = fx.ps("late");
  INFO(late.dump());
  if (since(t0) < 3.5) CHECK(late["Health"] == "starting");
  late = fx.wait_health("late", "unhealthy");
  CHECK(late["Health"] == "unhealthy");
  CHECK(since(t0) >= 4);
  WARN("up --wait failed after " << t_wait << " s");
  fx.down_clean();
}

TEST_CASE("up --wait returns 0 once services are healthy, running or completed", "[health]") {
  HealthFixture fx;
  fx.write(service("db", "sleep 0.5; touch /tmp/ready; ",
                   "    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]\n      interval: 200ms\n"
                   "      retries: 10\n") +
           service("web", "", "    depends_on:\n      job:\n        condition: service_completed_successfully\n") +
           "  job:\n    image: busybox:hc\n    command: [\"true\"]\n");
  auto t0 = Clock::now();
  auto up = run(fx.cmd("up --wait"));
  double t_wait = since(t0);
  INFO(up.out);
  CHECK(up.status == 0);
  CHECK(up.out.find("Container " + fx.project + "-db-1  Healthy") != std::string::npos);
  CHECK(up.out.find("Container " + fx.project + "-web-1  Healthy") != std::string::npos);
  CHECK(up.out.find("Container " + fx.project + "-job-1  Exited") != std::string::npos);
  CHECK(t_wait >= 0.5);
  CHECK(fx.ps("db")["Health"] == "healthy");
  CHECK(fx.ps("web")["Health"] == "");
  fx.down_clean();
}
