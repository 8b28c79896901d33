#include "models/histogram.h"

#include <algorithm>
#include <bit>

namespace gilsim {

// Values below kSub have a bucket each; above, bucket = (octave, top 3 bits below the leading 1).
int LatencyHistogram::bucket_of(int64_t v) {
  if (v < kSub) return static_cast<int>(v < 0 ? 0 : v);
  const int octave = 63 - std::countl_zero(static_cast<uint64_t>(v));  // >= 3
  const int sub = static_cast<int>((v >> (octave - 3)) & (kSub - 1));
  return (octave - 2) * kSub + sub;
}

int64_t LatencyHistogram::bucket_low(int b) {
  if (b < kSub) return b;
  const int octave = b / kSub + 2;
  const int sub = b % kSub;
  return (int64_t{kSub} + sub) << (octave - 3);
}

int64_t LatencyHistogram::bucket_high(int b) { return b < kSub ? b + 1 : bucket_low(b + 1); }

void LatencyHistogram::record(int64_t v) {
  if (v < 0) v = 0;
  const int b = bucket_of(v);
  if (b < kSub) {
    ++small_[b];
  } else if (counts_.empty() || b < first_ || b >= first_ + static_cast<int>(counts_.size())) {
    grow(b);
  }
  if (b >= kSub) ++counts_[static_cast<size_t>(b - first_)];
  if (count_ == 0 || v < min_) min_ = v;
  if (count_ == 0 || v > max_) max_ = v;
  ++count_;
  sum_ += v;
}

// Widens the buckets to cover `b`, into storage of exactly that size: a histogram lives as long as
// its thread, and a vector's doubling would leave up to half of it unused (docs/performance.md,
// memory per thread). A histogram grows at most once per bucket of its span, mostly early.
void LatencyHistogram::grow(int b) {
  const int lo = counts_.empty() ? b : std::min(first_, b);
  const int hi = counts_.empty() ? b + 1 : std::max(first_ + static_cast<int>(counts_.size()), b + 1);
  std::vector<uint32_t> wider(static_cast<size_t>(hi - lo), 0);
  for (size_t i = 0; i < counts_.size(); ++i) wider[static_cast<size_t>(first_ - lo) + i] = counts_[i];
  counts_.swap(wider);
  first_ = lo;
}

int64_t LatencyHistogram::percentile(int pct) const {
  if (count_ == 0) return 0;
  // The smallest value with at least ceil(pct% of count) values at or below it.
  uint64_t rank = (count_ * static_cast<uint64_t>(pct) + 99) / 100;
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int b = 0; b < kSub; ++b) {
    seen += small_[b];
    if (seen >= rank) return b < min_ ? min_ : (b > max_ ? max_ : b);
  }
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int b = first_ + static_cast<int>(i);
      const int64_t lo = bucket_low(b), hi = bucket_high(b);
      int64_t mid = lo + (hi - lo - 1) / 2;
      if (mid < min_) mid = min_;
      if (mid > max_) mid = max_;
      return mid;
    }
  }
  return max_;
}

}  // namespace gilsim
