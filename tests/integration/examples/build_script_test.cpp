// examples/images/build tells "cannot build here" (exit 3, with the reason) apart from a
// failure, so the image test can skip honestly on a machine without the Debian archive.
#include <catch2/catch.hpp>

#include "tests/integration/examples/examples.hpp"

using stack::examples_test::Sandbox;
using stack::examples_test::sh_quote;

TEST_CASE("images/build: an unreachable archive is 'cannot build here', not a failure") {
  stack::testing::require_root();
  Sandbox sb;
  // An empty cache forces a build; port 9 (discard) on loopback refuses the connection.
  std::string cache = sb.root() + "/cache";
  auto r = sb.build_images("--cache " + sh_quote(cache) + " --mirror http://127.0.0.1:9/debian");
  INFO(r.out);
  CHECK(r.status == 3);
  CHECK(r.out.find("cannot build here: the Debian archive http://127.0.0.1:9/debian/dists/bookworm/Release is not "
                   "reachable") != std::string::npos);
  CHECK(r.out.find("busybox:local imported") != std::string::npos);
}

TEST_CASE("images/build: usage errors exit 2") {
  Sandbox sb;
  auto r = sb.build_images("--bogus");
  INFO(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("unknown argument '--bogus'") != std::string::npos);
}
