#include "engine/supervisor/logs_command.hpp"

#include <algorithm>
#include <charconv>

#include "engine/supervisor/log_follow.hpp"
#include "engine/supervisor/log_format.hpp"

namespace stack::supervisor {
namespace {

Result<std::vector<LogSource>> selected_sources(const LogsRequest& r) {
  auto all = list_log_sources(r.logs_dir, r.project);
  if (!all || r.services.empty()) return all;
  std::vector<LogSource> out;
  for (auto& s : *all)
    if (std::find(r.services.begin(), r.services.end(), s.service) != r.services.end()) out.push_back(std::move(s));
  return out;
}

void print_lines(LogPrinter& p, const std::vector<LogSource>& sources, const std::vector<LogLine>& lines,
                 const LogWrite& write) {
  for (const auto& l : lines) {
    std::string text = p.format(l, sources[l.source].display);
    if (!text.empty()) write(text, l.stream == "stderr");
  }
}

Result<void> follow(const LogsRequest& r, LogPrinter& printer, const LogWrite& write) {
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  if (rc < 0) return fail_uv(rc, "failed to create an event loop");
  bool done = false;
  LogFollower::Callbacks cb;
  cb.discover = [&] { return selected_sources(r); };
  cb.on_lines = [&](const std::vector<LogSource>& sources, const std::vector<LogLine>& lines) {
    for (const auto& s : sources) printer.add(s.display);
    print_lines(printer, sources, lines, write);
  };
  cb.on_error = [&](const Error& e) { write("stack: " + e.message + "\n", true); };
  cb.on_done = [&] { done = true; };
  Result<void> result;
  {
    auto f = LogFollower::create(&loop, r.query, cb, r.poll_ms);
    if (!f) {
      result = unexpected(f.error());
    } else {
      while (!done && (!r.keep_following || r.keep_following())) uv_run(&loop, UV_RUN_ONCE);
    }
  }
  std::string rest = printer.flush();
  if (!rest.empty()) write(rest, false);
  auto closed = uv_close_loop(&loop);
  if (result && !closed) return closed;
  return result;
}

}  // namespace

Result<LogQuery> make_log_query(const std::string& tail, const std::string& since, const std::string& until,
                                int64_t now) {
  LogQuery q;
  if (!tail.empty() && tail != "all") {
    std::size_t n = 0;
    auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), n);
    // docker treats a negative tail as "all".
    if (tail[0] == '-' && tail.size() > 1 && tail.find_first_not_of("0123456789", 1) == std::string::npos) return q;
    if (ec != std::errc() || end != tail.data() + tail.size())
      return fail("invalid --tail value '" + tail + "': want a number or \"all\"");
    q.tail = n;
  }
  if (!since.empty()) {
    auto t = parse_time_arg(since, now);
    if (!t) return unexpected(t.error().wrap("--since"));
    q.since_ns = *t;
  }
  if (!until.empty()) {
    auto t = parse_time_arg(until, now);
    if (!t) return unexpected(t.error().wrap("--until"));
    q.until_ns = *t;
  }
  return q;
}

Result<void> run_logs(const LogsRequest& r, const LogWrite& write) {
  LogPrinter printer(r.print);
  if (r.follow) return follow(r, printer, write);
  auto sources = selected_sources(r);
  if (!sources) return unexpected(sources.error());
  for (const auto& s : *sources) printer.add(s.display);
  auto lines = read_logs(*sources, r.query);
  if (!lines) return unexpected(lines.error());
  print_lines(printer, *sources, *lines, write);
  std::string rest = printer.flush();
  if (!rest.empty()) write(rest, false);
  return {};
}

}  // namespace stack::supervisor
