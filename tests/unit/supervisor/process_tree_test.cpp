#include <catch2/catch.hpp>

#include "engine/supervisor/process_tree.hpp"

using namespace stack::supervisor;

TEST_CASE("the parent pid of /proc/<pid>/stat, also with odd command names") {
  CHECK(parse_stat_ppid("42 (sh) S 7 42 42 0 -1") == 7);
  CHECK(parse_stat_ppid("42 (a) b) (c) R 1234 1 1") == 1234);
  CHECK(parse_stat_ppid("42 (sleep) Z 0") == 0);
  CHECK_FALSE(parse_stat_ppid("42 (sh"));
  CHECK_FALSE(parse_stat_ppid("42 (sh) S x"));
}

TEST_CASE("descendants: children, then theirs; other trees are left alone") {
  std::multimap<pid_t, pid_t> children{{1, 10}, {10, 11}, {10, 12}, {12, 13}, {1, 20}, {20, 21}};
  CHECK(descendants_of(10, children) == std::vector<pid_t>{11, 12, 13});
  CHECK(descendants_of(21, children).empty());
}
