#include <catch2/catch.hpp>

#include "models/expect.h"

using namespace gilsim;
using nlohmann::ordered_json;

namespace {
std::map<std::string, ordered_json> reports() {
  std::map<std::string, ordered_json> r;
  r["py3"] = ordered_json::parse(R"({"speedup": 0.71, "makespan_ns": 900, "threads": [{"name": "cpu"}, {"name": "io",
      "gil_latency_ns": {"p99": 4980000}}], "ideal_speedup": null, "gil": {"switches": 10}})");
  r["nogil"] = ordered_json::parse(R"({"speedup": 1.0, "makespan_ns": 300, "threads": []})");
  return r;
}
}  // namespace

TEST_CASE("expect: comparisons of references and literals, with time units") {
  const auto r = reports();
  CHECK(check_expectation("py3.speedup >= 0.7", r).holds);
  CHECK_FALSE(check_expectation("py3.speedup >= 0.9", r).holds);
  CHECK(check_expectation("nogil.makespan_ns < py3.makespan_ns", r).holds);
  CHECK(check_expectation("py3.threads[io].gil_latency_ns.p99 < 5ms", r).holds);
  CHECK_FALSE(check_expectation("py3.threads[io].gil_latency_ns.p99 < 2ms", r).holds);
  CHECK(check_expectation("py3.threads[1].gil_latency_ns.p99 == 4.98ms", r).holds);
  CHECK(check_expectation("py3.gil.switches != 0", r).holds);
  CHECK(check_expectation("py3.speedup<1", r).holds);
  CHECK(check_expectation("py3.speedup >= 0.9", r).detail == "py3.speedup = 0.71");
}

TEST_CASE("expect: malformed expressions and missing values are syntax errors with a column") {
  const auto r = reports();
  CHECK_THROWS_WITH(check_expectation("py3.speedup >> 1", r), "in \"py3.speedup >> 1\" at column 14: expected a number or a reference such as py3.speedup");
  CHECK_THROWS_WITH(check_expectation("py9.speedup > 1", r), Catch::Contains("\"py9\" is not one of the compared policies"));
  CHECK_THROWS_WITH(check_expectation("py3.sped > 1", r), Catch::Contains("the report has no \"sped\" here"));
  CHECK_THROWS_WITH(check_expectation("py3.threads[db].gil_latency_ns.p99 > 1", r), Catch::Contains("no item \"db\" in \"threads\""));
  CHECK_THROWS_WITH(check_expectation("py3.ideal_speedup > 1", r), Catch::Contains("null (undefined for this run)"));
  CHECK_THROWS_WITH(check_expectation("py3.speedup", r), Catch::Contains("expected a comparison"));
  CHECK_THROWS_WITH(check_expectation("py3.speedup > 1 junk", r), Catch::Contains("unexpected text"));
}
