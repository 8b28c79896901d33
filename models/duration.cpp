#include "models/duration.h"

#include <cmath>
#include <cstdio>

namespace gilsim {

static int64_t clamp_round(double v) {
  if (!(v > 0.0)) return 0;  // also maps NaN to 0
  if (v >= static_cast<double>(kMaxDurationNs)) return kMaxDurationNs;
  return std::llround(v);
}

std::string check_quantiles(const std::vector<QuantilePoint>& points) {
  if (points.size() < 2) return "a quantile table needs at least two points, [0, low] and [100, high]";
  if (points.front().percent != 0.0) return "the first point must be at percent 0";
  if (points.back().percent != 100.0) return "the last point must be at percent 100";
  for (size_t i = 1; i < points.size(); ++i) {
    if (!(points[i].percent > points[i - 1].percent))
      return "percents must increase (point " + std::to_string(i) + ")";
    if (points[i].ns < points[i - 1].ns) return "values must not decrease (point " + std::to_string(i) + ")";
  }
  return "";
}

double DurationSpec::inverse_cdf(const std::vector<QuantilePoint>& pts, double percent) {
  size_t i = 1;
  while (i + 1 < pts.size() && pts[i].percent < percent) ++i;
  const QuantilePoint& lo = pts[i - 1];
  const QuantilePoint& hi = pts[i];
  const double f = (percent - lo.percent) / (hi.percent - lo.percent);
  const double clamped = f < 0.0 ? 0.0 : (f > 1.0 ? 1.0 : f);
  return static_cast<double>(lo.ns) + clamped * static_cast<double>(hi.ns - lo.ns);
}

DurationSpec DurationSpec::quantiles(std::vector<QuantilePoint> points) {
  DurationSpec d;
  d.kind = Kind::kQuantiles;
  d.a = clamp_round(inverse_cdf(points, 50.0));
  d.table = std::make_shared<const std::vector<QuantilePoint>>(std::move(points));
  return d;
}

Time DurationSpec::typical(Time tick) const {
  switch (kind) {
    case Kind::kTicks: return Time::ns(a * tick.count());
    case Kind::kUniform: return Time::ns(a + (b - a) / 2);
    default: return Time::ns(a);
  }
}

Time DurationSpec::upper_bound(Time tick) const {
  switch (kind) {
    case Kind::kTicks: return Time::ns(a * tick.count());
    case Kind::kUniform: return Time::ns(b);
    case Kind::kQuantiles: return Time::ns(table->back().ns);
    case Kind::kExp:
    case Kind::kNormal: return Time::max();
    case Kind::kFixed: break;
  }
  return Time::ns(a);
}

Time DurationSpec::draw(Rng& rng, Time tick) const {
  switch (kind) {
    case Kind::kFixed: return Time::ns(a);
    case Kind::kTicks: return Time::ns(a * tick.count());
    case Kind::kUniform: return Time::ns(a == b ? a : rng.uniform_int(a, b));
    case Kind::kExp: return Time::ns(clamp_round(rng.exponential(static_cast<double>(a))));
    case Kind::kNormal:
      return Time::ns(clamp_round(rng.normal(static_cast<double>(a), static_cast<double>(b))));
    case Kind::kQuantiles: return Time::ns(clamp_round(inverse_cdf(*table, 100.0 * rng.uniform01())));
  }
  return Time::zero();
}

std::string DurationSpec::str() const {
  switch (kind) {
    case Kind::kFixed: return format_duration(a);
    case Kind::kTicks: return std::to_string(a) + " ticks";
    case Kind::kUniform: return "uniform(" + format_duration(a) + ", " + format_duration(b) + ")";
    case Kind::kExp: return "exp(" + format_duration(a) + ")";
    case Kind::kNormal: return "normal(" + format_duration(a) + ", " + format_duration(b) + ")";
    case Kind::kQuantiles: {
      std::string s = "quantiles(";
      for (size_t i = 0; i < table->size(); ++i) {
        char pct[32];
        std::snprintf(pct, sizeof pct, "%g", (*table)[i].percent);
        s += (i ? ", p" : "p") + std::string(pct) + " " + format_duration((*table)[i].ns);
      }
      return s + ")";
    }
  }
  return "?";
}

bool parse_duration_string(const std::string& s, int64_t& out_ns, std::string& why) {
  size_t i = 0;
  const size_t n = s.size();
  auto bad = [&](const char* reason) {
    why = std::string(reason) + " (expected a number and a unit: ns, us, ms or s, e.g. \"1.5ms\")";
    return false;
  };
  if (n == 0) return bad("empty duration");
  if (s[0] == '-') return bad("negative duration");
  uint64_t whole = 0;
  size_t digits = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    whole = whole * 10 + static_cast<unsigned>(s[i] - '0');
    if (whole > static_cast<uint64_t>(kMaxDurationNs)) return bad("duration too large (at most 2^53 ns, about 104 days)");
    ++i;
    ++digits;
  }
  std::string frac;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') frac += s[i++];
    if (frac.empty()) return bad("no digits after the decimal point");
  }
  if (digits == 0) return bad("no digits");
  const std::string unit = s.substr(i);
  int64_t scale;
  int scale_digits;
  if (unit == "ns") scale = 1, scale_digits = 0;
  else if (unit == "us") scale = 1000, scale_digits = 3;
  else if (unit == "ms") scale = 1000000, scale_digits = 6;
  else if (unit == "s") scale = 1000000000, scale_digits = 9;
  else return bad(unit.empty() ? "missing unit" : ("unknown unit \"" + unit + "\"").c_str());
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (static_cast<int>(frac.size()) > scale_digits) return bad("finer than one nanosecond");
  if (whole > static_cast<uint64_t>(kMaxDurationNs / scale)) return bad("duration too large (at most 2^53 ns, about 104 days)");
  uint64_t total = whole * static_cast<uint64_t>(scale);
  int64_t f = 0;
  for (char c : frac) f = f * 10 + (c - '0');
  for (int k = static_cast<int>(frac.size()); k < scale_digits; ++k) f *= 10;
  total += static_cast<uint64_t>(f);
  if (total > static_cast<uint64_t>(kMaxDurationNs))
    return bad("duration too large (at most 2^53 ns, about 104 days)");
  out_ns = static_cast<int64_t>(total);
  return true;
}

std::string format_duration(int64_t ns) {
  if (ns != 0 && ns % 1000000000 == 0) return std::to_string(ns / 1000000000) + "s";
  if (ns != 0 && ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
  if (ns != 0 && ns % 1000 == 0) return std::to_string(ns / 1000) + "us";
  return std::to_string(ns) + "ns";
}

}  // namespace gilsim
