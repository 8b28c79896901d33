#pragma once
/// Durations as scenarios write them: fixed, in ticks, or drawn from a distribution.

#include <cstdint>
#include <string>

#include "sim/rng.h"
#include "sim/time.h"

namespace gilsim {

/// The largest duration a scenario may write: 2^53 ns (about 104 days), so every value is exact
/// as a double too and sums of many phases stay far from int64 overflow.
inline constexpr int64_t kMaxDurationNs = int64_t{1} << 53;

/// One duration as written in a scenario. Fixed and tick durations are exact; distributions are
/// drawn from the owning thread's RNG stream and rounded to whole nanoseconds.
struct DurationSpec {
  enum class Kind : uint8_t { kFixed, kTicks, kUniform, kExp, kNormal };
  Kind kind = Kind::kFixed;
  int64_t a = 0;  ///< fixed value, tick count, uniform low, exp mean, normal mean
  int64_t b = 0;  ///< uniform high, normal sd

  static DurationSpec fixed(Time t) { return {Kind::kFixed, t.count(), 0}; }
  static DurationSpec uniform(Time lo, Time hi) { return {Kind::kUniform, lo.count(), hi.count()}; }

  /// A value of this duration; `tick` converts tick counts. Never negative.
  Time draw(Rng& rng, Time tick) const;
  /// True when every draw is the same value (fixed or ticks).
  bool is_exact() const { return kind == Kind::kFixed || kind == Kind::kTicks; }
  /// A short human form ("5ms", "uniform(20us, 60us)").
  std::string str() const;
};

/// Parses "1.5ms", "20us", "300ns", "2s" exactly. Returns false with `why` set on a bad string.
bool parse_duration_string(const std::string& s, int64_t& out_ns, std::string& why);
/// "1.5ms"-style text for a nanosecond count: the largest unit that keeps it exact.
std::string format_duration(int64_t ns);

}  // namespace gilsim
