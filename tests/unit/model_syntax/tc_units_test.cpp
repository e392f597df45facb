#include <catch2/catch.hpp>
#include <string>

#include "engine/model/tc_units.hpp"

using namespace stack::model;

namespace {

std::uint64_t rate(const char* s) {
  auto r = parse_rate(s);
  if (!r) FAIL(r.error().message);
  return *r;
}
std::uint32_t size(const char* s) {
  auto r = parse_tc_size(s);
  if (!r) FAIL(r.error().message);
  return *r;
}
std::string rate_error(const char* s) {
  auto r = parse_rate(s);
  if (r) FAIL("accepted rate " << s << " as " << *r);
  return r.error().message;
}
std::string size_error(const char* s) {
  auto r = parse_tc_size(s);
  if (r) FAIL("accepted size " << s << " as " << *r);
  return r.error().message;
}

}  // namespace

TEST_CASE("tc units: rates in bits with SI steps, as tc reads them", "[tc_units]") {
  CHECK(rate("8") == 8);  // a bare number is bits per second
  CHECK(rate("1000") == 1000);
  CHECK(rate("100bit") == 100);
  CHECK(rate("10kbit") == 10000);
  CHECK(rate("10mbit") == 10000000);
  CHECK(rate("2gbit") == 2000000000);
  CHECK(rate("1tbit") == 1000000000000);
  CHECK(rate("1.5mbit") == 1500000);
  CHECK(rate("0.5kbit") == 500);
  CHECK(rate(".25mbit") == 250000);
  CHECK(rate("007mbit") == 7000000);
}

TEST_CASE("tc units: rates with binary steps", "[tc_units]") {
  CHECK(rate("1kibit") == 1024);
  CHECK(rate("1mibit") == 1048576);
  CHECK(rate("1gibit") == 1073741824);
  CHECK(rate("1tibit") == 1099511627776);
  CHECK(rate("0.5mibit") == 524288);
}

TEST_CASE("tc units: bps units are BYTES per second (x8)", "[tc_units]") {
  CHECK(rate("1bps") == 8);
  CHECK(rate("125bps") == 1000);
  CHECK(rate("1kbps") == 8000);
  CHECK(rate("1mbps") == 8000000);
  CHECK(rate("1gbps") == 8000000000);
  CHECK(rate("1tbps") == 8000000000000);
  CHECK(rate("1kibps") == 8192);
  CHECK(rate("1mibps") == 8388608);
  CHECK(rate("1gibps") == 8589934592);
  CHECK(rate("1tibps") == 8796093022208);
}

TEST_CASE("tc units: units are case-insensitive like tc's strcasecmp", "[tc_units]") {
  CHECK(rate("10Mbit") == 10000000);
  CHECK(rate("10MBIT") == 10000000);
  CHECK(rate("1MBps") == 8000000);
  CHECK(rate("1KiBps") == 8192);
  CHECK(size("32KB") == 32768);
  CHECK(size("1M") == 1048576);
}

TEST_CASE("tc units: bad rates are refused naming the value", "[tc_units]") {
  CHECK(rate_error("10mbitz") == "invalid rate \"10mbitz\": unknown unit \"mbitz\"");
  CHECK(rate_error("10 mbit") == "invalid rate \"10 mbit\": unknown unit \" mbit\"");
  CHECK(rate_error("10kb") == "invalid rate \"10kb\": unknown unit \"kb\"");  // a size unit
  CHECK(rate_error("0") == "invalid rate \"0\": must be greater than zero");
  CHECK(rate_error("0mbit") == "invalid rate \"0mbit\": must be greater than zero");
  CHECK(rate_error("0.0kbit") == "invalid rate \"0.0kbit\": must be greater than zero");
  CHECK(rate_error("-5mbit") == "invalid rate \"-5mbit\": must be greater than zero");
  CHECK(rate_error("") == "invalid rate \"\": empty");
  CHECK(rate_error("mbit") == "invalid rate \"mbit\": not a number (e.g. 10mbit)");
  CHECK(rate_error(".") == "invalid rate \".\": not a number (e.g. 10mbit)");
  CHECK(rate_error("1.2.3mbit") == "invalid rate \"1.2.3mbit\": unknown unit \".3mbit\"");
  CHECK(rate_error("1e6") == "invalid rate \"1e6\": unknown unit \"e6\"");
  CHECK(rate_error("+5mbit") == "invalid rate \"+5mbit\": not a number (e.g. 10mbit)");
  CHECK(rate_error("4bit") == "invalid rate \"4bit\": less than 8bit (one byte per second)");
  CHECK(rate_error("99999999999999999999") == "invalid rate \"99999999999999999999\": too many digits");
  CHECK(rate_error("99999999tbps") == "invalid rate \"99999999tbps\": too large");
}

TEST_CASE("tc units: sizes in bytes with binary steps, as tc's get_size", "[tc_units]") {
  CHECK(size("1500") == 1500);  // a bare number is bytes
  CHECK(size("1500b") == 1500);
  CHECK(size("32k") == 32768);
  CHECK(size("32kb") == 32768);
  CHECK(size("2m") == 2097152);
  CHECK(size("2mb") == 2097152);
  CHECK(size("1g") == 1073741824);
  CHECK(size("1gb") == 1073741824);
  CHECK(size("8kbit") == 1024);  // kbit sizes: 1024 bits = 128 bytes
  CHECK(size("1mbit") == 131072);
  CHECK(size("1gbit") == 134217728);
  CHECK(size("1.5k") == 1536);
}

TEST_CASE("tc units: bad sizes are refused naming the value", "[tc_units]") {
  CHECK(size_error("32kib") == "invalid size \"32kib\": unknown unit \"kib\"");
  CHECK(size_error("32kbps") == "invalid size \"32kbps\": unknown unit \"kbps\"");
  CHECK(size_error("0") == "invalid size \"0\": must be greater than zero");
  CHECK(size_error("-1k") == "invalid size \"-1k\": must be greater than zero");
  CHECK(size_error("kb") == "invalid size \"kb\": not a number (e.g. 32kb)");
  CHECK(size_error("4g") == "invalid size \"4g\": too large (more than 4294967295 bytes)");
  CHECK(size("4294967295") == 4294967295U);
}

TEST_CASE("tc units: normalised text parses back to the same value", "[tc_units]") {
  CHECK(format_rate(10000000) == "10000000bit");
  CHECK(format_tc_size(32768) == "32768b");
  for (const char* r : {"1.5mbit", "3kibps", "1tibit", "12345", "7gbps"}) CHECK(rate(format_rate(rate(r)).c_str()) == rate(r));
  for (const char* s : {"1.5k", "8kbit", "4095m", "1"}) CHECK(size(format_tc_size(size(s)).c_str()) == size(s));
}
