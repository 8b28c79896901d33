#pragma once
/// A log-linear histogram of non-negative nanosecond values: 8 buckets per power of two (at most
/// 1/16 relative error at a bucket's midpoint), exact count, sum, min and max. Its buckets cover
/// only the powers of two seen so far, so a thread whose waits span a few decades costs a few
/// hundred bytes.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gilsim {

class LatencyHistogram {
public:
  void record(int64_t v);
  uint64_t count() const { return count_; }
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  /// Exact mean (0 when empty).
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  /// The value at percentile `pct` (0-100): the midpoint of the bucket holding that rank, clamped
  /// to [min, max], so a histogram of equal values gives that value exactly.
  int64_t percentile(int pct) const;

private:
  static constexpr int kSub = 8;  ///< buckets per power of two
  static int bucket_of(int64_t v);
  static int64_t bucket_low(int b);
  static int64_t bucket_high(int b);  ///< exclusive
  void grow(int b);
  uint32_t small_[kSub] = {};         ///< values 0..7, one bucket each (uncontended takes are 0)
  std::vector<uint32_t> counts_;      ///< buckets [first_, first_ + counts_.size()), all >= kSub
  int first_ = 0;
  uint64_t count_ = 0;
  __extension__ __int128 sum_ = 0;  ///< cannot overflow: 2^53 ns values, 2^64 of them
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace gilsim
