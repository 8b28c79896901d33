#pragma once
/// Durations as scenarios write them: fixed, in ticks, or drawn from a distribution.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "sim/time.h"

namespace gilsim {

/// The largest duration a scenario may write: 2^53 ns (about 104 days), so every value is exact
/// as a double too and sums of many phases stay far from int64 overflow.
inline constexpr int64_t kMaxDurationNs = int64_t{1} << 53;

/// One point of a quantile table: `percent` of the draws are at most `ns`.
struct QuantilePoint {
  double percent;
  int64_t ns;
};

/// A measured distribution as a piecewise-linear inverse CDF: percents from 0 to 100, increasing;
/// values non-decreasing. Returns an empty string when `points` is valid, else why not.
std::string check_quantiles(const std::vector<QuantilePoint>& points);

/// One duration as written in a scenario. Fixed and tick durations are exact; distributions are
/// drawn from the owning stream (a thread's, the OS's, the GIL policy's) and rounded to whole
/// nanoseconds.
struct DurationSpec {
  enum class Kind : uint8_t { kFixed, kTicks, kUniform, kExp, kNormal, kQuantiles };
  Kind kind = Kind::kFixed;
  int64_t a = 0;  ///< fixed value, tick count, uniform low, exp mean, normal mean, quantiles median
  int64_t b = 0;  ///< uniform high, normal sd
  /// quantiles: the table (shared by copies; never empty for that kind).
  std::shared_ptr<const std::vector<QuantilePoint>> table;

  static DurationSpec fixed(Time t) { return {Kind::kFixed, t.count(), 0, nullptr}; }
  static DurationSpec uniform(Time lo, Time hi) { return {Kind::kUniform, lo.count(), hi.count(), nullptr}; }
  /// A quantile table; `points` must pass check_quantiles.
  static DurationSpec quantiles(std::vector<QuantilePoint> points);
  /// The value at `percent` (0..100) of a quantile table, interpolated linearly.
  static double inverse_cdf(const std::vector<QuantilePoint>& points, double percent);

  /// A value of this duration; `tick` converts tick counts. Never negative.
  Time draw(Rng& rng, Time tick) const;
  /// The median for fixed, uniform and quantile durations (the mean for exp and normal);
  /// `tick` converts tick counts. For policies and reports that need one representative figure.
  Time typical(Time tick) const;
  /// The largest value a draw can take; Time::max() for exponential and normal durations
  /// (unbounded). `tick` converts tick counts.
  Time upper_bound(Time tick) const;
  /// A short human form ("5ms", "uniform(20us, 60us)", "quantiles(p0 4us, p50 6.3us, p100 14us)").
  std::string str() const;
};

/// Parses "1.5ms", "20us", "300ns", "2s" exactly. Returns false with `why` set on a bad string.
bool parse_duration_string(const std::string& s, int64_t& out_ns, std::string& why);
/// "1.5ms"-style text for a nanosecond count: the largest unit that keeps it exact.
std::string format_duration(int64_t ns);

}  // namespace gilsim
