#include "models/duration.h"

#include <cmath>

namespace gilsim {

static int64_t clamp_round(double v) {
  if (!(v > 0.0)) return 0;  // also maps NaN to 0
  if (v >= static_cast<double>(kMaxDurationNs)) return kMaxDurationNs;
  return std::llround(v);
}

Time DurationSpec::draw(Rng& rng, Time tick) const {
  switch (kind) {
    case Kind::kFixed: return Time::ns(a);
    case Kind::kTicks: return Time::ns(a * tick.count());
    case Kind::kUniform: return Time::ns(a == b ? a : rng.uniform_int(a, b));
    case Kind::kExp: return Time::ns(clamp_round(rng.exponential(static_cast<double>(a))));
    case Kind::kNormal:
      return Time::ns(clamp_round(rng.normal(static_cast<double>(a), static_cast<double>(b))));
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
