#include "engine/supervisor/log_reader.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "engine/supervisor/log_format.hpp"

namespace stack::supervisor {
namespace {

bool file_id(const std::string& path, dev_t& dev, ino_t& ino) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  dev = st.st_dev;
  ino = st.st_ino;
  return true;
}

// Reads fd from offset to EOF, appending complete lines; keeps the rest in pending.
Result<void> read_lines(int fd, const std::string& path, uint64_t& offset, std::string& pending,
                        std::vector<std::string>& lines) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("failed to read log file '" + path + "'");
    if (n == 0) return {};
    offset += static_cast<uint64_t>(n);
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      lines.emplace_back(pending, start, nl - start);
    pending.erase(0, start);
  }
}

Result<void> read_whole(const std::string& path, std::vector<std::string>& lines) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return {};  // rotated away meanwhile
    return fail_errno("failed to open log file '" + path + "'");
  }
  uint64_t off = 0;
  std::string pending;  // a closed rotated file ends with a newline; a torn tail is dropped
  return read_lines(fd.get(), path, off, pending, lines);
}

}  // namespace

std::vector<std::string> rotated_files(const std::string& live_path) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    std::string p = live_path + "." + std::to_string(i);
    if (::access(p.c_str(), F_OK) != 0) break;
    out.push_back(p);
  }
  std::reverse(out.begin(), out.end());
  out.push_back(live_path);
  return out;
}

Result<std::vector<LogSource>> list_log_sources(const std::string& logs_dir, const std::string& project) {
  std::vector<LogSource> out;
  DIR* d = ::opendir(logs_dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return fail_errno("failed to list logs directory '" + logs_dir + "'");
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    LogSource s;
    s.container = name;
    s.path = logs_dir + "/" + name + "/" + name + "-json.log";
    if (::access(s.path.c_str(), F_OK) != 0) continue;
    std::string prefix = project + "-";
    s.display = name.compare(0, prefix.size(), prefix) == 0 ? name.substr(prefix.size()) : name;
    auto dash = s.display.rfind('-');
    bool numbered = dash != std::string::npos && dash + 1 < s.display.size() &&
                    s.display.find_first_not_of("0123456789", dash + 1) == std::string::npos;
    s.service = numbered ? s.display.substr(0, dash) : s.display;
    out.push_back(std::move(s));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.container < b.container; });
  return out;
}

Result<void> LogCursor::read_all(std::vector<std::string>& lines) {
  auto files = rotated_files(path_);
  files.pop_back();
  for (const auto& f : files) STACK_TRY(read_whole(f, lines));
  return open_live(lines);
}

Result<void> LogCursor::open_live(std::vector<std::string>& lines) {
  fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  offset_ = 0;
  pending_.clear();
  if (!fd_) {
    if (errno == ENOENT) return {};  // not written yet, or mid-rotation: next time
    return fail_errno("failed to open log file '" + path_ + "'");
  }
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return fail_errno("failed to stat log file '" + path_ + "'");
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return read_lines(fd_.get(), path_, offset_, pending_, lines);
}

Result<void> LogCursor::drain(std::vector<std::string>& lines) {
  if (!fd_) return {};
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return fail_errno("failed to stat log file '" + path_ + "'");
  if (static_cast<uint64_t>(st.st_size) < offset_) {  // truncated in place (max-file 1)
    offset_ = 0;
    pending_.clear();
  }
  return read_lines(fd_.get(), path_, offset_, pending_, lines);
}

Result<void> LogCursor::read_new(std::vector<std::string>& lines) {
  STACK_TRY(drain(lines));
  dev_t dev = 0;
  ino_t ino = 0;
  if (!file_id(path_, dev, ino)) return {};  // mid-rotation; the old fd is drained
  if (fd_ && dev == dev_ && ino == ino_) return {};
  if (fd_) {
    // Rotated: our inode is now <path>.k; the files rotated after it are .k-1 ... .1.
    auto files = rotated_files(path_);
    files.pop_back();
    std::size_t ours = files.size();
    for (std::size_t i = 0; i < files.size(); ++i) {
      dev_t d = 0;
      ino_t n = 0;
      if (file_id(files[i], d, n) && d == dev_ && n == ino_) ours = i;
    }
    // Not found: it was deleted past max-file and everything rotated is newer.
    std::size_t first = ours == files.size() ? 0 : ours + 1;
    for (std::size_t i = first; i < files.size(); ++i) STACK_TRY(read_whole(files[i], lines));
  }
  return open_live(lines);
}

void select_lines(const std::vector<std::string>& raw, std::size_t index, const LogQuery& q,
                  std::vector<LogLine>& out, std::size_t* skipped) {
  std::size_t begin = 0;
  if (q.tail && raw.size() > *q.tail) begin = raw.size() - *q.tail;
  for (std::size_t i = begin; i < raw.size(); ++i) {
    auto r = parse_log_line(raw[i]);
    if (!r) {
      if (skipped) ++*skipped;
      continue;
    }
    if (q.since_ns && r->time_ns < *q.since_ns) continue;
    if (q.until_ns && r->time_ns > *q.until_ns) continue;
    LogLine l;
    l.source = index;
    l.stream = std::move(r->stream);
    l.time_ns = r->time_ns;
    l.newline = !r->log.empty() && r->log.back() == '\n';
    if (l.newline) r->log.pop_back();
    l.text = std::move(r->log);
    out.push_back(std::move(l));
  }
}

Result<std::vector<LogLine>> read_logs(const std::vector<LogSource>& sources, const LogQuery& q) {
  std::vector<LogLine> out;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    std::vector<std::string> raw;
    LogCursor c(sources[i].path);
    STACK_TRY_CTX(c.read_all(raw), "reading the logs of " + sources[i].container);
    select_lines(raw, i, q, out);
  }
  std::stable_sort(out.begin(), out.end(), [](const LogLine& a, const LogLine& b) { return a.time_ns < b.time_ns; });
  return out;
}

}  // namespace stack::supervisor
