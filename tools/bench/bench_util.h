#pragma once
// What the native benchmarks share: the clock, pinning, a spin of register-only work whose
// length the machine's iteration time converts from nanoseconds, and quantiles. Linux only.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <vector>

inline int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

/// Binds the calling thread to `cpu`; false when the machine refuses.
inline bool pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

/// `work`'s result, stored once per call so that the loop is not optimized away; one word the
/// threads share (only one thread at a time runs `work` where the benchmarks use it).
inline std::atomic<uint64_t> sink{1};

/// `n` iterations of a register-only LCG step.
inline void work(uint64_t n) {
  uint64_t x = sink.load(std::memory_order_relaxed);
  for (uint64_t i = 0; i < n; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  sink.store(x, std::memory_order_relaxed);
}

/// Nanoseconds per iteration of `work` on this machine (20 million iterations timed).
inline double calibrate_iter() {
  const int64_t t = now_ns();
  work(20000000);
  return static_cast<double>(now_ns() - t) / 20000000.0;
}

/// The `p`th percentile of samples already sorted ascending (0 when there are none).
inline int64_t pct_sorted(const std::vector<int64_t>& v, int p) {
  return v.empty() ? 0 : v[(v.size() - 1) * static_cast<size_t>(p) / 100];
}

/// The `p`th percentile of `v` (a sorted copy).
inline int64_t pct(std::vector<int64_t> v, int p) {
  std::sort(v.begin(), v.end());
  return pct_sorted(v, p);
}
