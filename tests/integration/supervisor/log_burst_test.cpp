// A burst of about 90 MB (1,000,000 lines) through the pump with rotation: what is kept is the newest
// lines, contiguous and in order across the rotated files, and `logs` reads them so.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "engine/base/file.hpp"
#include "engine/supervisor/log_pump.hpp"
#include "engine/supervisor/log_reader.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;

TEST_CASE("90 MB in a burst, rotated at 16 MiB x 3: the newest lines, none lost inside, in order") {
  stack::testing::TempDir dir("stack-sup-burst");
  REQUIRE(stack::make_dirs(dir.path() + "/logs/p-big-1"));
  std::string path = dir.path() + "/logs/p-big-1/p-big-1-json.log";
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::shared_ptr<LogFile> file(std::move(*LogFile::open(path, {16u << 20, 3})));
  auto flusher = LogFlusher::create(&loop, nullptr);
  REQUIRE(flusher);
  (*flusher)->watch(file);
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  std::vector<stack::Error> errors;
  auto pump = LogPump::create(&loop, stack::UniqueFd(p[0]), file, "stdout",
                              {[&](const stack::Error& e) { errors.push_back(e); }, nullptr});
  REQUIRE(pump);
  constexpr int kLines = 1'000'000;
  const std::string pad(80, 'x');
  std::thread writer([&, w = stack::UniqueFd(p[1])] {
    std::string chunk;
    for (int i = 0; i < kLines; ++i) {
      chunk += std::to_string(i) + " " + pad + "\n";
      if (chunk.size() > 1'000'000 || i == kLines - 1) {
        for (std::size_t off = 0; off < chunk.size();) {
          ssize_t n = ::write(w.get(), chunk.data() + off, chunk.size() - off);
          if (n <= 0) return;
          off += static_cast<std::size_t>(n);
        }
        chunk.clear();
      }
    }
  });
  auto t0 = std::chrono::steady_clock::now();
  uv_run(&loop, UV_RUN_DEFAULT);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  writer.join();
  CHECK(errors.empty());
  CHECK((*pump)->lines() == kLines);
  pump->reset();
  flusher->reset();
  REQUIRE(stack::uv_close_loop(&loop));
  WARN("1,000,000 lines (89 MB of output) pumped and rotated in " << ms << " ms");

  CHECK(rotated_files(path).size() == 3);
  auto lines = read_logs({{"p-big-1", "big-1", "big", path}}, {});
  REQUIRE(lines);
  REQUIRE(!lines->empty());
  CHECK(lines->back().text == std::to_string(kLines - 1) + " " + pad);
  int first = std::stoi(lines->front().text);
  CHECK(first > 0);  // the oldest went with rotation
  for (std::size_t i = 0; i < lines->size(); ++i)
    if ((*lines)[i].text != std::to_string(first + static_cast<int>(i)) + " " + pad)
      FAIL("line " << i << " after " << first << " is " << (*lines)[i].text.substr(0, 20));
}
