#pragma once
// The last point of a measured quantile table. gilsim draws linearly between two points, so the
// segment from the last percentile below 100 to p100 gives its draws the mean of its two ends.
// With p100 at the maximum, one sample of milliseconds among a million (a vCPU descheduled by
// the host) would make every draw in that segment average half of it: a hundred times what the
// samples there weigh. The end point written instead makes the segment's mean the mean of the
// samples above that percentile, within [that percentile's value, the maximum].
#include <algorithm>
#include <cstdint>

// `a`: n samples sorted ascending; `from`: index of the last percentile below 100.
inline int64_t tail_end(const int64_t* a, long n, long from) {
  if (n <= 0) return 0;
  from = std::clamp(from, 0L, n - 1);
  long double sum = 0;
  for (long i = from; i < n; ++i) sum += static_cast<long double>(a[i]);
  const long double mean = sum / static_cast<long double>(n - from);
  const long double end = 2 * mean - static_cast<long double>(a[from]);
  return std::clamp(static_cast<int64_t>(end + 0.5L), a[from], a[n - 1]);
}
