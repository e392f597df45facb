#include "engine/state/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <set>
#include <string_view>

#include "engine/base/file.hpp"

namespace stack::state {
namespace {

// Appends one line: the record must be readable by any later process before the side
// effect it describes (style.md rule 7; why not fsync'd: journal.hpp). O_APPEND makes
// each write land whole at the end even when two processes append.
Result<void> append_line(int fd, const std::string& path, const nlohmann::json& j) {
  std::string line = j.dump() + "\n";
  if (::flock(fd, LOCK_EX) != 0) return fail_errno("failed to lock journal '" + path + "'");
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::flock(fd, LOCK_UN);
      return fail_errno(e, "failed to append to journal '" + path + "'");
    }
    off += static_cast<size_t>(n);
  }
  ::flock(fd, LOCK_UN);
  return {};
}

struct Parsed {
  std::vector<Record> pending;
  uint64_t max_id = 0;
};

// A torn last line is what a crash in the middle of an append leaves: ignore it.
// Anything unreadable before the last line means the file was damaged: report it.
Result<Parsed> parse(std::string_view text, const std::string& path) {
  Parsed out;
  std::vector<Record> added;
  std::set<uint64_t> finished;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    bool last = nl == std::string_view::npos;
    std::string_view line = text.substr(pos, last ? std::string_view::npos : nl - pos);
    pos = last ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    bool ok = j.is_object() && j.contains("op") && j.contains("id") && j["id"].is_number_unsigned();
    if (!ok) {
      if (last) break;
      return fail(path + ":" + std::to_string(line_no) + ": corrupt journal record");
    }
    uint64_t id = j["id"].get<uint64_t>();
    out.max_id = std::max(out.max_id, id);
    if (j["op"] == "add") {
      added.push_back(Record{id, j.value("kind", ""), j.value("data", nlohmann::json::object())});
    } else if (j["op"] == "done") {
      finished.insert(id);
    }
  }
  for (auto& r : added)
    if (!finished.count(r.id)) out.pending.push_back(std::move(r));
  return out;
}

}  // namespace

Result<Journal> Journal::open(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) STACK_TRY(make_dirs(path.substr(0, slash), 0700));
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("failed to open journal '" + path + "'");
  auto text = read_file(path);
  if (!text) return unexpected(text.error());
  auto parsed = parse(*text, path);
  if (!parsed) return unexpected(parsed.error());
  // Cut a torn tail so that the next append starts on a line of its own.
  size_t whole = text->find_last_of('\n') == std::string::npos ? 0 : text->find_last_of('\n') + 1;
  if (whole < text->size() && ::ftruncate(fd.get(), static_cast<off_t>(whole)) != 0)
    return fail_errno("failed to cut the torn end of journal '" + path + "'");
  return Journal(path, std::move(fd), parsed->max_id + 1);
}

Result<uint64_t> Journal::add(const std::string& kind, nlohmann::json data) {
  uint64_t id = next_id_++;
  STACK_TRY(append_line(fd_.get(), path_, {{"op", "add"}, {"id", id}, {"kind", kind}, {"data", std::move(data)}}));
  return id;
}

Result<void> Journal::done(uint64_t id) {
  return append_line(fd_.get(), path_, {{"op", "done"}, {"id", id}});
}

Result<std::vector<Record>> Journal::pending() const {
  auto text = read_file(path_);
  if (!text) return unexpected(text.error());
  auto parsed = parse(*text, path_);
  if (!parsed) return unexpected(parsed.error());
  return std::move(parsed->pending);
}

Result<void> replay(Journal& journal, const std::map<std::string, Undo>& undo) {
  auto records = journal.pending();
  if (!records) return unexpected(records.error());
  Result<void> first;
  for (auto it = records->rbegin(); it != records->rend(); ++it) {
    std::string what = "undoing " + it->kind + " #" + std::to_string(it->id);
    auto handler = undo.find(it->kind);
    Result<void> r = handler == undo.end() ? Result<void>(fail("no undo for this kind")) : handler->second(*it);
    if (r) r = journal.done(it->id);
    if (!r && first) first = unexpected(r.error().wrap(what));
  }
  return first;
}

}  // namespace stack::state
