#include <catch2/catch.hpp>

#include "engine/supervisor/dependency.hpp"

using namespace stack::supervisor;
using C = DependCondition;
using V = std::vector<std::string>;

namespace {

DependencyGraph graph(std::vector<ServiceDeps> s) {
  auto g = DependencyGraph::build(std::move(s));
  REQUIRE(g);
  return std::move(*g);
}

// db (healthcheck) <- api (healthy) <- web (started); cache alone;
// migrate <- api (completed successfully).
std::vector<ServiceDeps> stack3() {
  return {
      {"db", true, {}},
      {"migrate", false, {{"db", C::kHealthy, true}}},
      {"api", true, {{"db", C::kHealthy, true}, {"migrate", C::kCompletedSuccessfully, true}}},
      {"web", false, {{"api", C::kStarted, true}}},
      {"cache", false, {}},
  };
}

std::set<std::string> all(const DependencyGraph& g) { return *g.closure({}); }

}  // namespace

TEST_CASE("depends_on conditions parse") {
  CHECK(*parse_depend_condition("service_started") == C::kStarted);
  CHECK(*parse_depend_condition("") == C::kStarted);
  CHECK(*parse_depend_condition("service_healthy") == C::kHealthy);
  CHECK(*parse_depend_condition("service_completed_successfully") == C::kCompletedSuccessfully);
  CHECK_FALSE(parse_depend_condition("service_ready"));
}

TEST_CASE("the graph refuses unknown services, cycles and health waits without a healthcheck") {
  auto unknown = DependencyGraph::build({{"a", false, {{"x", C::kStarted, true}}}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message == "service 'a' depends on undefined service 'x'");
  CHECK(DependencyGraph::build({{"a", false, {{"x", C::kStarted, false}}}}));  // optional: dropped
  auto cycle = DependencyGraph::build({{"a", false, {{"b", C::kStarted, true}}},
                                       {"b", false, {{"c", C::kStarted, true}}},
                                       {"c", false, {{"a", C::kStarted, true}}},
                                       {"d", false, {}}});
  REQUIRE_FALSE(cycle);
  CHECK(cycle.error().message == "dependency cycle between services: a, b, c");
  auto self = DependencyGraph::build({{"a", false, {{"a", C::kStarted, true}}}});
  CHECK_FALSE(self);
  auto nohc = DependencyGraph::build({{"a", false, {}}, {"b", false, {{"a", C::kHealthy, true}}}});
  REQUIRE_FALSE(nohc);
  CHECK(nohc.error().message.find("has no healthcheck") != std::string::npos);
  CHECK_FALSE(DependencyGraph::build({{"a", false, {}}, {"a", false, {}}}));
}

TEST_CASE("orders are stable: dependencies first to start, last to stop") {
  auto g = graph(stack3());
  CHECK(g.start_order() == V{"cache", "db", "migrate", "api", "web"});
  CHECK(g.stop_order() == V{"web", "api", "migrate", "db", "cache"});
  CHECK(*g.closure({"web"}) == std::set<std::string>{"web", "api", "db", "migrate"});
  CHECK(*g.closure({"cache"}) == std::set<std::string>{"cache"});
  CHECK_FALSE(g.closure({"nope"}));
}

TEST_CASE("services start in parallel where independent, each after its conditions") {
  auto g = graph(stack3());
  StartScheduler s(g, all(g));
  CHECK(s.ready() == V{"cache", "db"});
  CHECK(s.ready().empty());  // handed out once
  s.started("cache");
  s.started("db");
  CHECK(s.ready().empty());  // db is not healthy yet
  s.healthy("db");
  CHECK(s.ready() == V{"migrate"});
  s.started("migrate");
  CHECK(s.ready().empty());  // api waits for migrate to complete
  s.exited("migrate", 0, false);
  CHECK(s.ready() == V{"api"});
  CHECK_FALSE(s.finished());
  s.started("api");
  CHECK(s.ready() == V{"web"});
  CHECK(s.finished());
  CHECK(s.blocked().empty());
}

TEST_CASE("a failed dependency blocks its dependants, with the reason, transitively") {
  auto g = graph(stack3());
  StartScheduler s(g, all(g));
  CHECK(s.ready() == V{"cache", "db"});
  s.started("db");
  s.unhealthy("db");
  CHECK(s.ready().empty());
  CHECK(s.finished());
  CHECK(s.blocked().at("migrate") == "dependency failed to start: container db is unhealthy");
  CHECK(s.blocked().at("api") == "dependency failed to start: container db is unhealthy");
  CHECK(s.blocked().at("web").find("dependency failed to start: api: ") == 0);
}

TEST_CASE("completion and exits: exit codes, restarts, and exits before healthy") {
  auto g = graph(stack3());
  {
    StartScheduler s(g, all(g));
    s.ready();
    s.started("db");
    s.healthy("db");
    s.ready();
    s.started("migrate");
    s.exited("migrate", 1, true);  // restarting: keep waiting
    CHECK(s.ready().empty());
    CHECK(s.blocked().empty());
    s.exited("migrate", 2, false);
    CHECK(s.ready().empty());
    CHECK(s.blocked().at("api") == "service \"migrate\" didn't complete successfully: exit 2");
  }
  {
    StartScheduler s(g, all(g));
    s.ready();
    s.started("db");
    s.exited("db", 1, false);
    s.ready();
    CHECK(s.blocked().at("migrate") == "dependency failed to start: container db exited (1)");
  }
  {
    StartScheduler s(g, all(g));
    s.ready();
    s.failed("db", "failed to mount overlay");
    s.ready();
    CHECK(s.blocked().at("migrate") == "dependency failed to start: failed to mount overlay");
    CHECK(s.finished());
  }
}

TEST_CASE("required: false starts the dependant anyway; a service outside the run counts as met") {
  auto g = graph({{"db", true, {}}, {"app", false, {{"db", C::kHealthy, false}}}});
  StartScheduler s(g, all(g));
  CHECK(s.ready() == V{"db"});
  s.started("db");
  CHECK(s.ready().empty());  // still waits while db may become healthy
  s.unhealthy("db");
  CHECK(s.ready() == V{"app"});
  CHECK(s.blocked().empty());

  StartScheduler only(g, {"app"});  // `up --no-deps app`, or db already up
  CHECK(only.ready() == V{"app"});
}

TEST_CASE("services stop in reverse: each after everything that depends on it") {
  auto g = graph(stack3());
  StopScheduler s(g, all(g));
  CHECK(s.ready() == V{"cache", "web"});
  CHECK(s.ready().empty());
  s.stopped("web");
  CHECK(s.ready() == V{"api"});
  s.stopped("api");
  CHECK(s.ready() == V{"migrate"});
  s.stopped("migrate");
  CHECK(s.ready() == V{"db"});
  s.stopped("db");
  CHECK_FALSE(s.finished());
  s.stopped("cache");
  CHECK(s.finished());
}

TEST_CASE("a stop run stops dependants first, independents together, and skips what is down") {
  auto g = graph(stack3());
  std::set<std::string> down{"migrate"};  // exited long ago: counts as stopped at once
  V calls;
  StopRun run(g, all(g), [&](const std::string& s) { calls.push_back(s); }, [&](const std::string& s) {
    return down.count(s) > 0;
  });
  run.pump();
  CHECK(calls == V{"cache", "web"});
  down.insert("cache");
  run.pump();
  CHECK(calls == V{"cache", "web"});  // db still waits for api, api for web
  down.insert("web");
  run.pump();
  CHECK(calls == V{"cache", "web", "api"});
  down.insert("api");
  run.pump();
  CHECK(calls == V{"cache", "web", "api", "migrate", "db"});  // migrate was down: db follows in the same pump
  CHECK_FALSE(run.finished());
  down.insert("db");
  run.pump();
  CHECK(run.finished());
  CHECK(run.stopping() == calls);

  // Names outside the graph (an orphan's service) have no dependants and no dependencies.
  V orphan_calls;
  StopRun orphans(g, {"gone", "db"}, [&](const std::string& s) { orphan_calls.push_back(s); },
                  [](const std::string&) { return false; });
  orphans.pump();
  CHECK(orphan_calls == V{"db", "gone"});
}
