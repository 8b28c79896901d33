#pragma once
/// What a wake-up asks of the waker: where the woken thread goes decides whether the waker must
/// interrupt another core, and how dearly.

#include <cstdint>

#include "models/duration.h"

namespace gilsim {

enum class WakeTarget : uint8_t {
  kLocal,     ///< the waker's own core, or no waker (a kernel timer): no interrupt to pay
  kRemote,    ///< another core, busy or briefly idle: an IPI (costs.wake)
  kDeepIdle,  ///< another core idle for costs.deep_idle.after or more (costs.deep_idle.wake)
  kShallowIdle,  ///< another core whose thread left it less than costs.shallow_idle.before ago:
                 ///< not yet halted, no interrupt needed (costs.shallow_idle.wake)
};

/// Where a burst of work runs, for when a reschedule asked of its core takes effect (Linux with
/// preempt=none, scheduler.resched "ipi"): user code is interrupted (the reschedule IPI's return
/// to user mode, irqentry_exit_to_user_mode); kernel code is not (no kernel preemption) and the
/// reschedule waits for the system call's return to user mode (syscall_exit_to_user_mode ->
/// exit_to_user_mode_loop: `if (ti_work & _TIF_NEED_RESCHED) schedule()`) or for the thread to
/// sleep.
enum class Exec : uint8_t {
  kUser,     ///< Python bytecode or C code in user mode
  kSyscall,  ///< a system call, or ending in one: back in user mode at the burst's end
  kKernel,   ///< kernel code that goes on in the kernel (a futex_wait's entry, up to its compare):
             ///< followed by a kSyscall burst (its way back) or a sleep, which act on a pending
             ///< reschedule
};

/// What the waker pays on top of its system call to wake a thread onto another core.
struct WakeCosts {
  DurationSpec wake = DurationSpec::fixed(Time::us(2));     ///< costs.wake (kRemote)
  DurationSpec deep = DurationSpec::fixed(Time::us(2));     ///< costs.deep_idle.wake (kDeepIdle)
  DurationSpec shallow = DurationSpec::fixed(Time::us(2));  ///< costs.shallow_idle.wake (kShallowIdle)
};

/// What interrupting the woken thread's core adds for the waker: nothing for kLocal, else the
/// target's cost; drawn from the caller's stream.
inline Time ipi_cost(WakeTarget to, const WakeCosts& c, Rng& rng, Time tick) {
  switch (to) {
    case WakeTarget::kLocal: return Time::zero();
    case WakeTarget::kDeepIdle: return c.deep.draw(rng, tick);
    case WakeTarget::kShallowIdle: return c.shallow.draw(rng, tick);
    case WakeTarget::kRemote: break;
  }
  return c.wake.draw(rng, tick);
}

}  // namespace gilsim
