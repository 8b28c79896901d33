#include <catch2/catch.hpp>

#include "models/duration.h"
#include "tools/bench/tail_end.h"

using namespace gilsim;

static int64_t ns_of(const std::string& s) {
  int64_t v = -1;
  std::string why;
  REQUIRE(parse_duration_string(s, v, why));
  return v;
}

static std::string error_of(const std::string& s) {
  int64_t v;
  std::string why;
  REQUIRE_FALSE(parse_duration_string(s, v, why));
  return why;
}

TEST_CASE("durations: units and decimals parse exactly") {
  CHECK(ns_of("300ns") == 300);
  CHECK(ns_of("15us") == 15000);
  CHECK(ns_of("1.5ms") == 1500000);
  CHECK(ns_of("2s") == 2000000000);
  CHECK(ns_of("0.000000001s") == 1);
  CHECK(ns_of("0us") == 0);
  CHECK(ns_of("1.250ms") == 1250000);
}

TEST_CASE("durations: malformed, negative, sub-nanosecond and huge values are refused") {
  CHECK_THAT(error_of("-1ms"), Catch::Contains("negative"));
  CHECK_THAT(error_of("5"), Catch::Contains("missing unit"));
  CHECK_THAT(error_of("5 ms"), Catch::Contains("unknown unit"));
  CHECK_THAT(error_of("1.5ns"), Catch::Contains("finer than one nanosecond"));
  CHECK_THAT(error_of("99999999999999999999s"), Catch::Contains("too large"));
  CHECK_THAT(error_of("200000000s"), Catch::Contains("too large"));
  CHECK_THAT(error_of("ms"), Catch::Contains("no digits"));
  CHECK_THAT(error_of("1.ms"), Catch::Contains("decimal point"));
  CHECK_THAT(error_of(""), Catch::Contains("empty"));
}

TEST_CASE("durations: fixed and tick durations draw exactly; distributions stay in range") {
  Rng r(5);
  CHECK(DurationSpec::fixed(Time::us(7)).draw(r, Time::ns(25)) == Time::us(7));
  CHECK((DurationSpec{DurationSpec::Kind::kTicks, 300, 0, nullptr}).draw(r, Time::ns(20)) == Time::ns(6000));
  const auto u = DurationSpec::uniform(Time::us(20), Time::us(60));
  for (int i = 0; i < 1000; ++i) {
    const Time t = u.draw(r, Time::zero());
    REQUIRE(t >= Time::us(20));
    REQUIRE(t <= Time::us(60));
  }
  const DurationSpec n{DurationSpec::Kind::kNormal, 10, 1000, nullptr};  // clamped at 0
  for (int i = 0; i < 1000; ++i) REQUIRE(n.draw(r, Time::zero()) >= Time::zero());
}

TEST_CASE("durations: formatting picks the largest exact unit") {
  CHECK(format_duration(5000000) == "5ms");
  CHECK(format_duration(1500000) == "1500us");
  CHECK(format_duration(7) == "7ns");
  CHECK(format_duration(0) == "0ns");
}

TEST_CASE("durations: a quantile table is a piecewise-linear inverse CDF") {
  // System: the 2.7.18 wake-up latency table. Expectation: exact values at the points, linear in
  // between, and draws whose empirical percentiles match the table.
  const std::vector<QuantilePoint> pts = {{0, 4060}, {10, 6203}, {50, 6297}, {90, 6437}, {99, 12937}, {100, 14492}};
  CHECK(check_quantiles(pts).empty());
  CHECK(DurationSpec::inverse_cdf(pts, 0) == 4060.0);
  CHECK(DurationSpec::inverse_cdf(pts, 50) == 6297.0);
  CHECK(DurationSpec::inverse_cdf(pts, 95) == 6437.0 + (12937.0 - 6437.0) * 5.0 / 9.0);
  CHECK(DurationSpec::inverse_cdf(pts, 100) == 14492.0);
  const DurationSpec d = DurationSpec::quantiles(pts);
  CHECK(d.typical(Time::zero()) == Time::ns(6297));
  CHECK(d.str() == "quantiles(p0 4060ns, p10 6203ns, p50 6297ns, p90 6437ns, p99 12937ns, p100 14492ns)");
  Rng r(3);
  int below_p10 = 0, above_p90 = 0;
  for (int i = 0; i < 100000; ++i) {
    const Time t = d.draw(r, Time::zero());
    REQUIRE(t >= Time::ns(4060));
    REQUIRE(t <= Time::ns(14492));
    below_p10 += t < Time::ns(6203);
    above_p90 += t > Time::ns(6437);
  }
  CHECK(below_p10 > 9500);
  CHECK(below_p10 < 10500);
  CHECK(above_p90 > 9500);
  CHECK(above_p90 < 10500);
  Rng a(11), b(11);
  for (int i = 0; i < 100; ++i) REQUIRE(d.draw(a, Time::zero()) == d.draw(b, Time::zero()));
}

TEST_CASE("durations: malformed quantile tables are refused with the reason") {
  CHECK(check_quantiles({{0, 5}}) == "a quantile table needs at least two points, [0, low] and [100, high]");
  CHECK(check_quantiles({{1, 5}, {100, 6}}) == "the first point must be at percent 0");
  CHECK(check_quantiles({{0, 5}, {99, 6}}) == "the last point must be at percent 100");
  CHECK(check_quantiles({{0, 5}, {50, 6}, {50, 7}, {100, 8}}) == "percents must increase (point 2)");
  CHECK(check_quantiles({{0, 5}, {50, 4}, {100, 8}}) == "values must not decrease (point 1)");
  CHECK(check_quantiles({{0, 5}, {50, 5}, {100, 5}}).empty());  // a step is allowed
}

TEST_CASE("a measured table's last point gives the last segment the mean of its samples") {
  // tools/bench/tail_end.h. Samples: 9,990 of 1000, 9 of 2000, one of 3,000,000 (a stall).
  // Expectation: from the index of p99.9 (9,989: value 1000) the 11 samples average
  // (1000 + 9 x 2000 + 3,000,000) / 11 = 274,454.5; the end point 2 x mean - 1000 = 547,909 ns,
  // so that a linear segment from 1000 averages the same; clamped to the maximum
  // when the tail sits near it, and to the start when every tail sample equals it.
  std::vector<int64_t> v(9990, 1000);
  v.insert(v.end(), 9, 2000);
  v.push_back(3000000);
  const long from = static_cast<long>(static_cast<double>(v.size() - 1) * 99.9 / 100.0);
  REQUIRE(from == 9989);
  CHECK(tail_end(v.data(), static_cast<long>(v.size()), from) == 547909);
  const std::vector<int64_t> top = {1, 10, 10, 10};  // mean above index 1 is 10: end 19, clamped to 10
  CHECK(tail_end(top.data(), 4, 1) == 10);
  const std::vector<int64_t> flat = {5, 5, 5};
  CHECK(tail_end(flat.data(), 3, 1) == 5);
}

TEST_CASE("durations: the largest value a draw can take") {
  CHECK(DurationSpec::fixed(Time::us(7)).upper_bound(Time::zero()) == Time::us(7));
  CHECK(DurationSpec::uniform(Time::us(6), Time::us(10)).upper_bound(Time::zero()) == Time::us(10));
  CHECK(DurationSpec::quantiles({{0, 2000}, {49.3, 8000}, {100, 20000}}).upper_bound(Time::zero()) == Time::us(20));
  DurationSpec ticks;
  ticks.kind = DurationSpec::Kind::kTicks;
  ticks.a = 100;
  CHECK(ticks.upper_bound(Time::ns(9)) == Time::ns(900));
  DurationSpec e;
  e.kind = DurationSpec::Kind::kExp;
  e.a = 1000;
  CHECK(e.upper_bound(Time::zero()) == Time::max());
  DurationSpec n;
  n.kind = DurationSpec::Kind::kNormal;
  n.a = 1000;
  n.b = 10;
  CHECK(n.upper_bound(Time::zero()) == Time::max());
}
