#pragma once
/// Simulated time: a strong type over int64 nanoseconds, exact constructors, no doubles inside.

#include <compare>
#include <cstdint>
#include <limits>

namespace gilsim {

/// A point in simulated time or a duration, in integer nanoseconds.
class Time {
public:
  constexpr Time() = default;
  static constexpr Time ns(int64_t v) { return Time(v); }
  static constexpr Time us(int64_t v) { return Time(v * 1000); }
  static constexpr Time ms(int64_t v) { return Time(v * 1000000); }
  static constexpr Time s(int64_t v) { return Time(v * 1000000000); }
  static constexpr Time zero() { return Time(0); }
  /// The largest representable time: "never".
  static constexpr Time max() { return Time(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t count() const { return v_; }
  constexpr bool is_max() const { return v_ == std::numeric_limits<int64_t>::max(); }

  constexpr Time operator+(Time o) const { return Time(v_ + o.v_); }
  constexpr Time operator-(Time o) const { return Time(v_ - o.v_); }
  constexpr Time& operator+=(Time o) { v_ += o.v_; return *this; }
  constexpr Time& operator-=(Time o) { v_ -= o.v_; return *this; }
  constexpr Time operator*(int64_t k) const { return Time(v_ * k); }
  constexpr auto operator<=>(const Time&) const = default;

  /// a + b, saturating at max() instead of overflowing (both non-negative).
  static constexpr Time sat_add(Time a, Time b) {
    return (b.v_ > max().v_ - a.v_) ? max() : Time(a.v_ + b.v_);
  }

private:
  constexpr explicit Time(int64_t v) : v_(v) {}
  int64_t v_ = 0;
};

constexpr Time min(Time a, Time b) { return a < b ? a : b; }
constexpr Time max(Time a, Time b) { return a < b ? b : a; }

}  // namespace gilsim
