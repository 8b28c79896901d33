#pragma once
/// Portable random numbers: splitmix64 to seed, xoshiro256** to draw, and our own distributions so
/// that every compiler and standard library draws the same values.

#include <cstdint>
#include <string_view>

namespace gilsim {

/// One step of splitmix64 (Steele, Lea, Flood 2014): advances `state` and returns a mixed value.
uint64_t splitmix64(uint64_t& state);

/// A 64-bit hash of a string (FNV-1a folded through splitmix64), stable across platforms.
uint64_t stable_hash(std::string_view s);

/// log(x), x > 0, and cos(x), x in [0, 2 pi), from exactly rounded operations only: the same
/// bits on every machine, unlike libm's.
double det_log(double x);
double det_cos(double x);

/// xoshiro256** 1.0 (Blackman, Vigna) with distributions written here, not taken from <random>.
class Rng {
public:
  /// A stream seeded from `seed` through splitmix64.
  explicit Rng(uint64_t seed = 0);
  /// The stream for (`seed`, `stream`): streams of one seed are independent of each other, so
  /// adding a thread does not change the draws of the others.
  static Rng stream(uint64_t seed, uint64_t stream);

  uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform01();
  /// Uniform integer in [lo, hi] (inclusive), without modulo bias.
  int64_t uniform_int(int64_t lo, int64_t hi);
  /// Exponential with the given mean (inverse transform).
  double exponential(double mean);
  /// Normal (Box-Muller, one value per call).
  double normal(double mean, double sd);

private:
  uint64_t s_[4];
};

}  // namespace gilsim
