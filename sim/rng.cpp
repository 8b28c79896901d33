#include "sim/rng.h"

#include <cmath>

namespace gilsim {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t stable_hash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return splitmix64(h);
}

Rng::Rng(uint64_t seed) {
  uint64_t st = seed;
  for (auto& w : s_) w = splitmix64(st);
}

Rng Rng::stream(uint64_t seed, uint64_t stream) {
  uint64_t st = seed;
  uint64_t a = splitmix64(st);
  uint64_t b = stream * 0xd1342543de82ef95ULL + 1;
  return Rng(a ^ splitmix64(b));
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// The distributions use these instead of <cmath>'s log and cos: libm picks its implementation
// at run time by CPU features (an FMA variant on some machines), and versions differ, so its last
// bit is not the same everywhere. These use only + - * / and exact scaling, which IEEE 754 makes
// identical on every conforming machine (the build turns off FMA contraction).

/// Natural logarithm of x > 0: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
/// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| < 0.172, by its series (error below 1e-16).
double det_log(double x) {
  int e;
  double m = std::frexp(x, &e);  // exact: m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;
    --e;
  }
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  double term = s, sum = 0;
  for (int k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= s2;
  }
  return 2 * sum + e * 0.69314718055994530942;
}

/// Cosine of x in [0, 2 pi): reduced to [0, pi/4] by symmetry, then its Taylor series.
double det_cos(double x) {
  const double pi = 3.14159265358979323846;
  double sign = 1;
  if (x > pi) x = 2 * pi - x;  // cos is symmetric about pi
  if (x > pi / 2) {
    x = pi - x;
    sign = -1;
  }
  bool use_sin = false;
  if (x > pi / 4) {
    x = pi / 2 - x;  // cos(x) = sin(pi/2 - x)
    use_sin = true;
  }
  const double x2 = x * x;
  double term = use_sin ? x : 1.0, sum = 0;
  for (int k = use_sin ? 1 : 0; k < 30; k += 2) {
    sum += term;
    term *= -x2 / ((k + 1) * (k + 2));
  }
  return sign * sum;
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(next());
  const uint64_t n = span + 1;
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n);  // reject the biased tail
  uint64_t x;
  do {
    x = next();
  } while (x >= limit);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % n);
}

double Rng::exponential(double mean) { return -mean * det_log(1.0 - uniform01()); }

double Rng::normal(double mean, double sd) {
  double u1 = uniform01();
  const double u2 = uniform01();
  if (u1 <= 0.0) u1 = 0x1.0p-53;
  return mean + sd * std::sqrt(-2.0 * det_log(u1)) * det_cos(6.283185307179586 * u2);
}

}  // namespace gilsim
