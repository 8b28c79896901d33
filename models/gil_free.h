#pragma once
/// Policies without a shared GIL: free-threaded CPython (PEP 703, PEP 779) and multiprocessing,
/// where every thread runs in a process of its own with its own interpreter and GIL.

#include "models/gil_policy.h"

namespace gilsim {

struct FreeParams {
  int64_t overhead_ppm = 0;  ///< nogil: bytecode costs this much more (parts per million)
  Time spawn;                ///< processes: start-up plus argument transfer per process
};

/// No lock at all: threads run Python code in parallel. Used by `nogil` (with its single-thread
/// overhead) and by `processes` (each thread alone in its interpreter, so its GIL never
/// contends; the process start-up is the price).
class FreeGil final : public GilPolicy {
public:
  explicit FreeGil(const FreeParams& p) : p_(p) {}
  bool uses_gil() const override { return false; }
  int64_t bytecode_overhead_ppm() const override { return p_.overhead_ppm; }
  Time spawn_cost() const override { return p_.spawn; }
  void attach(GilHost&, int) override {}
  void take(int) override {}
  void drop(int, DropReason) override {}
  Time budget(int) const override { return Time::max(); }
  void executed(int, Time) override {}
  void check(int) override {}
  void step(int, uint8_t) override {}

private:
  FreeParams p_;
};

}  // namespace gilsim
