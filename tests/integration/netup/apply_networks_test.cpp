// A later `up` that adds a network: the network is made while the stack runs, the
// services whose networks changed are recreated onto it (compose's behaviour), the
// others keep running; a network whose definition changed is refused, nothing changed.
#include "tests/integration/netup/netup_fixture.hpp"

using netup::run;

TEST_CASE("a later up adds a network and recreates the services moved onto it", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("an");
  std::string db = std::string("  db:\n    image: busybox:nu\n    command: ") + netup::kIdle + "\n";
  fx.write(p, "services:\n" + db + "  web:\n    image: busybox:nu\n    command: " + netup::httpd("from-web") + "\n");
  auto up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  int db_pid = fx.container(p, "db").value("Pid", 0), web_pid = fx.container(p, "web").value("Pid", 0);
  REQUIRE(db_pid > 0);

  auto v2 = [&](const std::string& front) {
    return "services:\n" + db + "  web:\n    image: busybox:nu\n    command: " + netup::httpd("from-web") +
                   "\n    networks: [default, front]\n" + R"Y(  fr:
    image: busybox:nu
    networks: [front]
    depends_on: [web]
    command:
      - sh
      - -c
      - |
        )Y" + netup::kGet + R"Y(
        for i in $$(seq 50); do [ "$$(get web)" = from-web ] && break; sleep 0.1; done
        echo "web=$$(get web)"
        nslookup -timeout=1 db > /dev/null 2>&1 || echo "dns-db=none"
networks:
)Y" + front;
  };
  fx.write(p, v2("  front: {}\n"));
  up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(up.out.find(p + "-web-1  Recreated") != std::string::npos);
  CHECK(fx.container(p, "db").value("Pid", 0) == db_pid);
  CHECK(fx.container(p, "web").value("Pid", 0) != web_pid);
  CHECK(fx.track() == 2 + 4);  // default and front; db, fr one veth each, web two
  CHECK(!fx.gateway(p + "_front").empty());
  auto out = fx.logs_when_exited(p, "fr");
  INFO(out);
  CHECK(netup::value_of(out, "web") == "from-web");
  CHECK(netup::value_of(out, "dns-db") == "none");  // db is not on front
  auto in_web = run(fx.cmd(p, "exec -T web ip -o -4 addr show eth1"));
  INFO(in_web.out);
  std::string front_ip = fx.leased(p + "_front", p + "-web-1");
  REQUIRE(!front_ip.empty());
  front_ip.pop_back();
  CHECK(in_web.out.find("inet " + front_ip + "/") != std::string::npos);

  // front changes its definition: refused, nothing stops.
  web_pid = fx.container(p, "web").value("Pid", 0);
  fx.write(p, v2("  front:\n    internal: true\n"));
  auto refused = run(fx.cmd(p, "up -d"));
  INFO(refused.out);
  CHECK(refused.status != 0);
  CHECK(refused.out.find("network " + p + "_front (key front) changed") != std::string::npos);
  CHECK(fx.container(p, "web").value("Pid", 0) == web_pid);
  CHECK(fx.container(p, "db").value("Pid", 0) == db_pid);
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(fx.leftovers() == "");
}

// The leak check can fail: a link under a name the stack file could make (a veth pair
// here, made and deleted by the test) is reported, though no name contains the project.
TEST_CASE("the leak check finds links by the hashed names a stack file can make", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("lk");
  fx.write(p, "services:\n  web:\n    image: busybox:nu\n    deploy: {replicas: 2}\n    networks: [default, side]\n"
              "networks:\n  side: {}\n");
  std::string veth = stack::net::veth_name(p + "-web-2", p + "_side"), bridge = stack::net::bridge_name(p + "_side");
  REQUIRE(fx.links.count(veth) == 1);
  REQUIRE(fx.links.count(bridge) == 1);
  REQUIRE(fx.links.count(stack::net::ifb_name(veth)) == 1);
  std::string peer = "nuleak" + std::to_string(::getpid() % 100000);
  REQUIRE(run("ip link add " + veth + " type veth peer name " + peer).status == 0);
  std::string seen = fx.leftovers();
  run("ip link del " + veth);
  CHECK(seen.find("link " + veth + "\n") != std::string::npos);
  CHECK(seen.find(p) == std::string::npos);  // nothing else of the project: it never ran
  CHECK(fx.leftovers() == "");
}
