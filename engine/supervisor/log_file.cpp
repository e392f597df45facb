#include "engine/supervisor/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace stack::supervisor {
namespace {

// A buffer that grew past kKeep in a burst is given back once two flushes in a row are
// small: a service that logged a lot at start and then little keeps no 256 KiB+ buffer.
// One small flush is no sign of quiet: a burst's reads end in one (the rest of a read
// after the 256 KiB writes), and freeing there made the next read fault in a new buffer
// (malloc maps blocks this large anew): ~2,500 page faults in a 500 MB capture.
constexpr std::size_t kKeep = 64 * 1024;
constexpr std::size_t kQuietFlush = 16 * 1024;
constexpr std::size_t kTailScan = 256 * 1024;     // longer than any encoded line

int64_t thread_cpu_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

Result<UniqueFd> open_log(const std::string& path, bool truncate) {
  int flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (truncate ? O_TRUNC : 0);
  UniqueFd fd(::open(path.c_str(), flags, 0640));
  if (!fd) return fail_errno("failed to open log file '" + path + "'");
  return fd;
}

// The size up to the end of the last whole line.
Result<uint64_t> whole_lines_size(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno("failed to stat log file '" + path + "'");
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return uint64_t{0};
  std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(size, kTailScan));
  std::string tail(n, '\0');
  if (::pread(fd, tail.data(), n, static_cast<off_t>(size - n)) != static_cast<ssize_t>(n))
    return fail_errno("failed to read the end of log file '" + path + "'");
  auto nl = tail.rfind('\n');
  if (nl == std::string::npos) return n == size ? uint64_t{0} : size;
  return size - n + nl + 1;
}

}  // namespace

std::size_t WritePacer::piece(std::size_t left) const { return cold_left_ > 0 ? std::min(left, kColdPiece) : left; }

bool WritePacer::times(std::size_t piece) const { return cold_left_ == 0 && piece >= kProbe; }

void WritePacer::wrote(std::size_t bytes, int64_t cpu_ns) {
  if (cpu_ns >= 0) {
    if (bytes >= kProbe && cpu_ns > kColdNsPerKiB * static_cast<int64_t>(bytes / 1024)) cold_left_ = kColdSpan;
    return;
  }
  cold_left_ -= std::min<uint64_t>(cold_left_, bytes);
}

Result<uint64_t> parse_log_size(const std::string& s) {
  if (s == "-1") return uint64_t{0};
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return fail("invalid size '" + s + "'");
  double v = std::strtod(s.substr(0, i).c_str(), nullptr);
  std::string unit;
  for (char c : s.substr(i))
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 'b') unit.pop_back();
  if (unit.size() > 1 && unit.back() == 'i') unit.pop_back();
  static const std::string kUnits = "bkmgtp";
  std::size_t power = unit.empty() ? 0 : kUnits.find(unit);
  if (unit.size() > 1 || power == std::string::npos) return fail("invalid size '" + s + "': unknown unit");
  return static_cast<uint64_t>(std::llround(v * std::pow(1024.0, static_cast<double>(power))));
}

Result<std::optional<LogFileOptions>> parse_log_options(const std::string& driver,
                                                        const std::map<std::string, std::string>& options) {
  if (driver == "none") return std::optional<LogFileOptions>{};
  if (!driver.empty() && driver != "json-file")
    return fail("logging driver '" + driver + "' is not supported (json-file and none are)");
  LogFileOptions o;
  for (const auto& [key, value] : options) {
    if (key == "max-size") {
      auto sz = parse_log_size(value);
      if (!sz) return unexpected(sz.error().wrap("logging option max-size"));
      o.max_size = *sz;
    } else if (key == "max-file") {
      char* end = nullptr;
      long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 1 || n > 1000)
        return fail("logging option max-file: invalid value '" + value + "': want a number from 1");
      o.max_file = static_cast<int>(n);
    } else if (key == "compress") {
      if (value != "false") return fail("logging option compress=" + value + " is not supported");
    } else {
      return fail("unknown logging option '" + key + "' for the json-file driver (max-size, max-file, compress)");
    }
  }
  if (o.max_file > 1 && o.max_size == 0) return fail("logging option max-file needs max-size");
  return std::optional<LogFileOptions>{o};
}

Result<std::unique_ptr<LogFile>> LogFile::open(std::string path, LogFileOptions options) {
  auto fd = open_log(path, false);
  if (!fd) return unexpected(fd.error());
  auto good = whole_lines_size(fd->get(), path);
  if (!good) return unexpected(good.error());
  struct stat st {};
  if (::fstat(fd->get(), &st) == 0 && static_cast<uint64_t>(st.st_size) != *good &&
      ::ftruncate(fd->get(), static_cast<off_t>(*good)) != 0)
    return fail_errno("failed to cut the torn last line of log file '" + path + "'");
  return std::unique_ptr<LogFile>(new LogFile(std::move(path), options, std::move(*fd), *good));
}

Result<void> LogFile::append(std::string_view text, bool newline, std::string_view stream, int64_t time_ns,
                             bool plain) {
  // Rotate before writing to a full file, as Docker does: the newest line always
  // stays in the live file, also with max-file 1.
  if (options_.max_size > 0 && size_ + buffer_.size() >= options_.max_size) {
    auto r = flush();
    if (r) r = rotate();
    if (!r) {
      ++dropped_lines_;
      return r;
    }
  }
  encode_log_line(text, newline, stream, time_ns, buffer_, plain);
  ++buffered_lines_;
  if (buffer_.size() >= kBatch) return flush();
  return {};
}

Result<void> LogFile::flush() {
  std::size_t off = 0;
  while (off < buffer_.size()) {
    std::size_t piece = pacer_.piece(buffer_.size() - off);
    const bool timed = pacer_.times(piece);
    const int64_t t0 = timed ? thread_cpu_ns() : 0;
    ssize_t n = ::write(fd_.get(), buffer_.data() + off, piece);
    if (n > 0) pacer_.wrote(static_cast<std::size_t>(n), timed ? thread_cpu_ns() - t0 : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      // Cut what reached the file of this batch: no torn line stays behind.
      if (off > 0 && ::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) size_ += off;
      dropped_lines_ += buffered_lines_;
      buffer_.clear();
      buffered_lines_ = 0;
      return fail_errno(e, "failed to write log file '" + path_ + "'");
    }
    off += static_cast<std::size_t>(n);
  }
  size_ += buffer_.size();
  bool small = buffer_.size() < kQuietFlush;
  if (small && small_flush_ && buffer_.capacity() > kKeep) std::string().swap(buffer_);
  small_flush_ = small;
  buffer_.clear();
  buffered_lines_ = 0;
  return {};
}

Result<void> LogFile::rotate() {
  if (options_.max_file <= 1) {
    if (::ftruncate(fd_.get(), 0) != 0) return fail_errno("failed to truncate log file '" + path_ + "'");
    size_ = 0;
    return {};
  }
  // Oldest first, so that nothing is overwritten before it moved on.
  for (int i = options_.max_file - 1; i >= 1; --i) {
    std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
    std::string to = path_ + "." + std::to_string(i);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
      return fail_errno("failed to rotate log file '" + from + "' to '" + to + "'");
  }
  auto fd = open_log(path_, true);
  if (!fd) return unexpected(fd.error());
  fd_ = std::move(*fd);
  size_ = 0;
  return {};
}

}  // namespace stack::supervisor
