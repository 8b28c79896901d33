#include <catch2/catch.hpp>

#include "models/duration.h"

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
  CHECK((DurationSpec{DurationSpec::Kind::kTicks, 300, 0}).draw(r, Time::ns(20)) == Time::ns(6000));
  const auto u = DurationSpec::uniform(Time::us(20), Time::us(60));
  for (int i = 0; i < 1000; ++i) {
    const Time t = u.draw(r, Time::zero());
    REQUIRE(t >= Time::us(20));
    REQUIRE(t <= Time::us(60));
  }
  const DurationSpec n{DurationSpec::Kind::kNormal, 10, 1000};  // clamped at 0
  for (int i = 0; i < 1000; ++i) REQUIRE(n.draw(r, Time::zero()) >= Time::zero());
}

TEST_CASE("durations: formatting picks the largest exact unit") {
  CHECK(format_duration(5000000) == "5ms");
  CHECK(format_duration(1500000) == "1500us");
  CHECK(format_duration(7) == "7ns");
  CHECK(format_duration(0) == "0ns");
}
