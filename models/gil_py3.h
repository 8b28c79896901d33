#pragma once
/// Python 3.2+ interval GIL (CPython Python/ceval_gil.h, 3.2-3.11; Python/ceval_gil.c, 3.12+):
/// timed waits of `switch_interval`, gil_drop_request after a whole interval without a switch,
/// switch_number, the holder dropping at its next eval-breaker check, FORCE_SWITCHING.

#include <vector>

#include "models/duration.h"
#include "models/gil_policy.h"
#include "sim/rng.h"

namespace gilsim {

struct Py3Params {
  Time interval = Time::ms(5);  ///< sys.setswitchinterval
  Time check_quantum;           ///< bytecode time between eval-breaker checks (check_every x tick)
  /// A bare futex call; also the return from a wait. Drawn per call.
  DurationSpec syscall = DurationSpec::fixed(Time::ns(500));
  /// Extra for the signaller when it wakes a sleeping waiter. Drawn per call.
  WakeCosts wake;  ///< and onto a deep- or shallow-idle core
  /// How late a timed wait fires after its deadline (kernel timer slack). Drawn per wait.
  DurationSpec timer_slack = DurationSpec::fixed(Time::us(50));
  uint64_t seed = 1;  ///< the policy draws from Rng::stream(seed, stable_hash("gil"))
};

class Py3Gil final : public GilPolicy {
public:
  explicit Py3Gil(const Py3Params& p) : p_(p), rng_(Rng::stream(p.seed, stable_hash("gil"))) {}
  void attach(GilHost& host, int threads) override;
  void take(int t) override;
  void drop(int t, DropReason why) override;
  Time budget(int t) const override;
  void executed(int t, Time bytecode) override { w_[t].bc_done += bytecode; }
  void check(int t) override;
  void step(int t, uint8_t code) override;
  void on_event(uint32_t kind, uint32_t arg) override;

  bool locked() const { return locked_; }
  const Py3Params& params() const { return p_; }
  bool drop_requested() const { return drop_request_; }

private:
  enum Step : uint8_t { kCondWoken = kPolicyStep, kSignalled, kSwitchWoken, kSwitchSignalled, kAskerBack, kCondEntered };
  struct Waiter {
    Time bc_done;              ///< bytecode executed, for the eval-breaker check points
    uint64_t saved_switch = 0; ///< switch_number when the timed wait began
    TimerId timer = 0;
    int prev = -1, next = -1;  ///< links in the condition variable's wait list
    bool in_cond = false;
    bool timed_out = false;
    bool may_wait = false;     ///< the drop under way may wait on switch_cond
    bool entering = false;     ///< in the futex call that goes to sleep on the condition, not asleep yet
    bool woken_early = false;  ///< signalled or timed out during that call: it returns at once
    Time back;                 ///< the rest of that call after its compare
  };

  void wait(int t);
  void ready(int t, bool own_event = true);
  void do_drop(int t, bool may_wait);
  void after_signal(int t);
  bool signal_cond(int signaller);
  void cond_push(int t);
  void cond_remove(int t);
  void request_drop();
  Time draw(const DurationSpec& d) { return d.draw(rng_, Time::zero()); }
  /// What interrupting the woken thread's core adds for the waker.
  Time ipi(WakeTarget to) { return ipi_cost(to, p_.wake, rng_, Time::zero()); }

  Py3Params p_;
  Rng rng_;
  GilHost* host_ = nullptr;
  std::vector<Waiter> w_;
  int head_ = -1, tail_ = -1;  ///< FIFO of threads waiting on gil->cond
  bool locked_ = false;
  int holder_ = -1;
  int last_holder_ = -1;
  uint64_t switch_number_ = 0;
  bool drop_request_ = false;
  int switch_waiter_ = -1;     ///< the forced dropper waiting on switch_cond
  int asker_ = -1;             ///< set the drop request and is still on its core, going back to wait
  WakeTarget signal_to_ = WakeTarget::kLocal;  ///< where the last signal's wake-up went
};

}  // namespace gilsim
