#pragma once
/// Python 2.7 tick GIL on Linux (CPython 2.7 Python/ceval.c, Python/thread_pthread.h with
/// USE_SEMAPHORES; glibc nptl sem_post/sem_wait): every `check_interval` ticks the holder releases
/// the lock and immediately acquires it again; no queue, no hand-off.

#include <vector>

#include "models/duration.h"
#include "models/gil_policy.h"
#include "sim/rng.h"

namespace gilsim {

struct Py2Params {
  Time interval;  ///< check_interval x tick: bytecode time between checks
  /// A bare futex call (sem_post with waiters), the return from futex_wait. Drawn per call.
  DurationSpec syscall = DurationSpec::fixed(Time::ns(500));
  /// Extra for the releaser when futex_wake wakes a sleeping thread. Drawn per call.
  WakeCosts wake;  ///< and onto a deep- or shallow-idle core
  /// The uncontended release + re-acquire at a check. Drawn per check.
  DurationSpec gil_check = DurationSpec::fixed(Time::ns(50));
  uint64_t seed = 1;  ///< the policy draws from Rng::stream(seed, stable_hash("gil"))
};

class Py2Gil final : public GilPolicy {
public:
  explicit Py2Gil(const Py2Params& p) : p_(p), rng_(Rng::stream(p.seed, stable_hash("gil"))), ticker_(p.interval) {}
  void attach(GilHost& host, int threads) override;
  void take(int t) override;
  void drop(int t, DropReason why) override;
  Time budget(int t) const override;
  void executed(int, Time bytecode) override { ticker_ = bytecode < ticker_ ? ticker_ - bytecode : Time::zero(); }
  void check(int t) override;
  void step(int t, uint8_t code) override;

  bool locked() const { return locked_; }
  const Py2Params& params() const { return p_; }
  int waiters() const { return nwaiters_; }
  /// Bytecode time left before the next check (the global `_Py_Ticker`, in time).
  Time ticker() const { return ticker_; }

private:
  enum Step : uint8_t { kWoken = kPolicyStep, kPosted, kCheckPosted, kWaitEntered, kWaitReturned };
  struct Waiter {
    int next = -1;
    bool queued = false;  ///< asleep in the futex queue
    bool slow = false;    ///< in sem_wait's slow path (counted in nwaiters)
    Time back;            ///< the rest of the futex_wait call after its compare
  };

  void grab(int t);
  void slow_wait(int t);
  void sleep_queued(int t);
  Time futex_wake(int waker);
  Time draw(const DurationSpec& d) { return d.draw(rng_, Time::zero()); }
  /// What interrupting the woken thread's core adds for the waker.
  Time ipi(WakeTarget to) { return ipi_cost(to, p_.wake, rng_, Time::zero()); }

  Py2Params p_;
  Rng rng_;
  GilHost* host_ = nullptr;
  std::vector<Waiter> w_;
  int head_ = -1, tail_ = -1;  ///< futex wait queue, FIFO
  bool locked_ = false;        ///< the semaphore's value is 0
  int nwaiters_ = 0;
  int announced_ = -1;         ///< the holder as the rest of the simulation knows it
  Time ticker_;
};

}  // namespace gilsim
