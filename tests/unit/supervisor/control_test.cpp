#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <thread>

#include "engine/supervisor/control_client.hpp"
#include "engine/supervisor/control_server.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;
using nlohmann::json;
using stack::UniqueFd;
using namespace std::chrono_literals;

namespace {

// A loop with a control server; run() serves until a "quit" request closes it.
struct Fixture {
  stack::testing::TempDir dir{"stack-sup-ctl"};
  std::string path = dir.path() + "/control.sock";
  uv_loop_t loop{};
  stack::UvOwned<ControlServer> server;
  std::vector<Responder> parked;
  std::function<void(Request&, Responder&)> extra;

  Fixture() {
    REQUIRE(uv_loop_init(&loop) == 0);
    auto s = ControlServer::create(&loop, path, [this](Request&& r, const Peer& peer, Responder resp) {
      if (r.method == "echo") return resp.reply(r.params);
      if (r.method == "whoami") return resp.reply({{"pid", peer.pid}, {"uid", peer.uid}});
      if (r.method == "quit") {
        resp.reply(json::object());
        server.reset();
        return;
      }
      if (r.method == "write") {  // writes params.text into every fd passed
        std::string t = r.params.value("text", "");
        json flags = json::array();
        for (auto& fd : r.fds) {
          flags.push_back(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);
          if (::write(fd.get(), t.data(), t.size()) != static_cast<ssize_t>(t.size())) return resp.fail({EIO, "write"});
        }
        return resp.reply({{"fds", r.fds.size()}, {"cloexec", flags}});
      }
      if (r.method == "tty") {  // what the server sees of a passed terminal
        if (r.fds.size() != 1) return resp.fail({EINVAL, "want one fd"});
        int fl = ::fcntl(r.fds[0].get(), F_GETFL);
        return resp.reply({{"isatty", ::isatty(r.fds[0].get()) == 1}, {"nonblock", (fl & O_NONBLOCK) != 0}});
      }
      if (r.method == "count") {
        for (int i = 0; i < 3; ++i) resp.event({{"n", i}});
        return resp.reply("done");
      }
      if (r.method == "park") {
        parked.push_back(resp);
        return;
      }
      if (extra) return extra(r, resp);
      resp.fail({ENOSYS, "unknown method '" + r.method + "'"});
    });
    REQUIRE(s);
    server = std::move(*s);
  }
  // Runs the loop while the client body runs in a thread; the body ends with "quit".
  // The loop runs on this thread, so Catch is only used by one thread at a time (the
  // client blocks while the server's handlers run). A failed REQUIRE in the client
  // still stops the server, then fails the test here.
  void serve(const std::function<void()>& client) {
    std::exception_ptr failed;
    std::thread t([&] {
      try {
        client();
      } catch (...) {
        failed = std::current_exception();
        if (auto c = ControlClient::connect(path)) (void)c->call("quit", json::object(), {}, nullptr, 5000ms);
      }
    });
    uv_run(&loop, UV_RUN_DEFAULT);
    t.join();
    if (failed) std::rethrow_exception(failed);
    server.reset();
    auto closed = stack::uv_close_loop(&loop);
    REQUIRE(closed);
  }
};

void quit(ControlClient& c) { REQUIRE(c.call("quit")); }

}  // namespace

TEST_CASE("the framer gives each line the fds that came with its last read") {
  ControlFramer f;
  std::vector<std::pair<std::string, std::vector<UniqueFd>>> lines;
  auto fds = [](int n) {
    std::vector<UniqueFd> v;
    for (int i = 0; i < n; ++i) v.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    return v;
  };
  REQUIRE(f.feed("a\nb\n", fds(1), lines));  // the read ended with b: b has the fd
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].second.empty());
  CHECK(lines[1].second.size() == 1);
  lines.clear();
  REQUIRE(f.feed("c\nd-first-half", fds(2), lines));  // the read ended inside d
  REQUIRE(f.feed("-second\n", {}, lines));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].first == "c");
  CHECK(lines[0].second.empty());
  CHECK(lines[1].first == "d-first-half-second");
  CHECK(lines[1].second.size() == 2);
  lines.clear();
  CHECK_FALSE(f.feed(std::string(kMaxControlLine + 1, 'x'), {}, lines));
}

TEST_CASE("requests get results, events and errors by id") {
  Fixture fx;
  fx.serve([&] {
    auto c = ControlClient::connect(fx.path);
    REQUIRE(c);
    auto r = c->call("echo", {{"x", 1}, {"s", "caf\xC3\xA9"}});
    REQUIRE(r);
    CHECK((*r)["x"] == 1);
    CHECK((*r)["s"] == "caf\xC3\xA9");
    auto who = c->call("whoami");
    REQUIRE(who);
    CHECK((*who)["pid"] == ::getpid());
    CHECK((*who)["uid"] == ::geteuid());
    std::vector<int> seen;
    r = c->call("count", json::object(), {}, [&](const json& e, std::vector<UniqueFd>&) { seen.push_back(e["n"]); });
    REQUIRE(r);
    CHECK(*r == "done");
    CHECK(seen == std::vector<int>{0, 1, 2});
    r = c->call("nope");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ENOSYS);
    CHECK(r.error().message == "unknown method 'nope'");
    // A line that is not a request gets an error without id, and the connection lives on.
    REQUIRE(c->send_line("this is not json\n"));
    auto m = c->receive(2000ms);
    REQUIRE(m);
    CHECK(m->body["id"].is_null());
    CHECK(m->body["error"]["message"].get<std::string>().find("invalid control request") != std::string::npos);
    REQUIRE(c->send_line("{\"id\":5}\n"));
    m = c->receive(2000ms);
    REQUIRE(m);
    CHECK(m->body["id"] == 5);
    quit(*c);
  });
}

TEST_CASE("file descriptors pass with SCM_RIGHTS to the request they came with") {
  Fixture fx;
  fx.serve([&] {
    auto c = ControlClient::connect(fx.path);
    REQUIRE(c);
    int p1[2], p2[2];
    REQUIRE(::pipe2(p1, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(p2, O_CLOEXEC) == 0);
    UniqueFd r1(p1[0]), w1(p1[1]), r2(p2[0]), w2(p2[1]);
    auto r = c->call("write", {{"text", "hello"}}, {w1.get(), w2.get()});
    REQUIRE(r);
    CHECK((*r)["fds"] == 2);
    CHECK((*r)["cloexec"] == json::array({1, 1}));  // received fds are O_CLOEXEC too
    char buf[16] = {};
    CHECK(::read(r1.get(), buf, sizeof buf) == 5);
    CHECK(std::string(buf) == "hello");
    CHECK(::read(r2.get(), buf, sizeof buf) == 5);

    // Pipelined: a request without fds, then one with, sent back to back.
    REQUIRE(c->send_line(encode_request(100, "write", {{"text", "a"}})));
    REQUIRE(c->send_line(encode_request(101, "write", {{"text", "b"}}), {w1.get()}));
    auto m1 = c->receive(2000ms);
    auto m2 = c->receive(2000ms);
    REQUIRE((m1 && m2));
    CHECK(m1->body["id"] == 100);
    CHECK(m1->body["result"]["fds"] == 0);
    CHECK(m2->body["id"] == 101);
    CHECK(m2->body["result"]["fds"] == 1);
    std::memset(buf, 0, sizeof buf);
    CHECK(::read(r1.get(), buf, sizeof buf) == 1);
    CHECK(std::string(buf) == "b");
    quit(*c);
  });
}

TEST_CASE("a terminal passes as it is: still a tty, its file status flags untouched") {
  Fixture fx;
  fx.serve([&] {
    UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    REQUIRE(master);
    int before = ::fcntl(master.get(), F_GETFL);
    auto c = ControlClient::connect(fx.path);
    REQUIRE(c);
    auto r = c->call("tty", json::object(), {master.get()});
    REQUIRE(r);
    CHECK((*r)["isatty"] == true);
    CHECK((*r)["nonblock"] == false);  // the open file description is shared with us
    CHECK(::fcntl(master.get(), F_GETFL) == before);
    quit(*c);
  });
}

TEST_CASE("a reply after the client left goes nowhere; a too long line drops the client") {
  Fixture fx;
  fx.serve([&] {
    {
      auto c = ControlClient::connect(fx.path);
      REQUIRE(c);
      REQUIRE(c->send_line(encode_request(1, "park", json::object())));
      auto e = c->call("echo", 1);  // the park request has reached the server
      REQUIRE(e);
    }  // the client disconnects with its request unanswered
    auto big = ControlClient::connect(fx.path);
    REQUIRE(big);
    REQUIRE(big->send_line(std::string(kMaxControlLine + 10, 'x')));
    auto m = big->receive(5000ms);
    REQUIRE(m);
    CHECK(m->body["error"]["message"].get<std::string>().find("longer than") != std::string::npos);
    auto gone = big->receive(5000ms);
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code == ECONNRESET);

    auto c = ControlClient::connect(fx.path);
    REQUIRE(c);
    fx.extra = [&](Request&, Responder& r) {
      REQUIRE(fx.parked.size() == 1);
      CHECK_FALSE(fx.parked[0].connected());
      fx.parked[0].reply("late");  // harmless
      r.reply(true);
    };
    REQUIRE(c->call("late"));
    quit(*c);
  });
}

TEST_CASE("a stale socket file is replaced; a live one is refused") {
  stack::testing::TempDir dir("stack-sup-ctl");
  std::string path = dir.path() + "/control.sock";
  {  // a socket file nobody listens on, as a killed supervisor leaves it
    UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  auto s1 = ControlServer::create(&loop, path, [](Request&&, const Peer&, Responder r) { r.reply(1); });
  REQUIRE(s1);
  auto s2 = ControlServer::create(&loop, path, [](Request&&, const Peer&, Responder r) { r.reply(2); });
  REQUIRE_FALSE(s2);
  CHECK(s2.error().code == EADDRINUSE);
  s1->reset();
  REQUIRE(stack::uv_close_loop(&loop));
  CHECK(::access(path.c_str(), F_OK) != 0);  // closing the server removed its socket
  auto none = ControlClient::connect(path);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ENOENT);
}
