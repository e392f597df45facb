// Catch2 v2 main for every test binary. A test that lacks a capability calls
// stack::testing::skip(), which exits 77: ctest counts that as skipped
// (SKIP_RETURN_CODE), never as passed.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
