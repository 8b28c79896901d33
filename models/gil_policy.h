#pragma once
/// The GIL policy interface: a small state machine that the interpreter asks to take, drop and
/// check the GIL. Policies act on the world only through GilHost, which tests can fake.

#include <cstdint>

#include "models/observer.h"
#include "models/wake.h"
#include "sim/engine.h"
#include "sim/time.h"

namespace gilsim {

/// What a policy may do to threads. Every call names a thread that is on a core, running the
/// policy's code, unless it says otherwise.
class GilHost {
public:
  virtual ~GilHost() = default;
  virtual Engine& engine() = 0;
  Time now() { return engine().now(); }
  /// The thread spends `work` of CPU on its core, in user mode or in a system call (`exec`), then
  /// the policy's step(t, code) runs.
  virtual void burst(int t, Time work, uint8_t code, Exec exec) = 0;
  /// The thread sleeps (leaves its core); once woken and back on a core, step(t, code) runs.
  virtual void sleep(int t, uint8_t code) = 0;
  /// Wakes a sleeping thread; back on a core it spends `work`, then step(t, code) runs. `waker`
  /// is the thread making the call (-1: a kernel timer). Returns where the woken thread goes: to
  /// another core than the waker's, the waker pays an inter-processor interrupt (costs.wake, or
  /// costs.deep_idle.wake for a core idle that long, costs.shallow_idle.wake for one its thread
  /// left only just).
  virtual WakeTarget wake(int t, Time work, uint8_t code, int waker = -1) = 0;
  /// The policy has finished the take, drop or check it was asked for; the thread goes on.
  virtual void done(int t) = 0;
  /// The GIL is now held by `t` (the caller, on its core).
  virtual void acquired(int t) = 0;
  /// `t` no longer holds the GIL.
  virtual void released(int t) = 0;
  /// The policy changed what budget() returns for the holder `t` (any state): the interpreter
  /// reshapes its bytecode burst to stop at the new check point.
  virtual void budget_changed(int t) = 0;
  /// A GIL event for the metrics and traces.
  virtual void note(GilEvent e, int t) = 0;
  /// Whether `t` is on a core now (not queued, not asleep).
  virtual bool on_core(int t) const = 0;
};

enum class DropReason : uint8_t {
  kVoluntary,  ///< Py_BEGIN_ALLOW_THREADS: I/O, time.sleep, GIL-releasing C code
  kExit,       ///< the thread ends (tstate is NULL in drop_gil: no forced-switch wait)
};

/// A futex_wait call that does not sleep, split at the kernel's compare of the futex word
/// (kernel/futex/waitwake.c, futex_wait_setup -> futex_get_value_locked): a store before the
/// compare makes the call return EAGAIN; one after it queues the caller. `entry` runs from the
/// call to the compare, `back` from there to the caller's next instruction. Measured on the
/// validation VM (gilsim-fightbench; docs/validation-measurements.md, "Where futex_wait
/// compares"): a waker's store is seen by half the calls at 265-395 ns into calls of 420-450 ns,
/// so the compare sits about three quarters into the call.
struct FutexWaitCall {
  Time entry;
  Time back;
};
inline FutexWaitCall split_futex_wait(Time call) {
  const Time entry = Time::ns(call.count() / 4 * 3 + call.count() % 4 * 3 / 4);
  return {entry, call - entry};
}

/// First policy step code: codes below it belong to the interpreter.
inline constexpr uint8_t kPolicyStep = 32;

class GilPolicy : public EventHandler {
public:
  /// Called once before the run; `threads` is the number of simulated threads.
  virtual void attach(GilHost& host, int threads) = 0;
  /// Whether threads need the GIL at all (false for nogil and for processes of one thread each):
  /// without one, threads never take, drop or check it.
  virtual bool uses_gil() const { return true; }
  /// Extra cost of bytecode, in parts per million (free-threading's single-thread overhead).
  virtual int64_t bytecode_overhead_ppm() const { return 0; }
  /// CPU work a thread does before its program when it starts in a process of its own (spawn,
  /// interpreter start-up, receiving its arguments). Not paid by the serial baseline.
  virtual Time spawn_cost() const { return Time::zero(); }
  /// `t` wants the GIL. Calls host.acquired(t) then host.done(t) once it holds it.
  virtual void take(int t) = 0;
  /// `t` holds the GIL and gives it up. Calls host.released(t) and later host.done(t).
  virtual void drop(int t, DropReason why) = 0;
  /// Bytecode time `t` may run before its next check point (0: check now, max(): none).
  virtual Time budget(int t) const = 0;
  /// `t` executed `bytecode` of Python code (or one tick of GIL-holding C code).
  virtual void executed(int t, Time bytecode) = 0;
  /// `t` reached a check point (budget() was 0). Calls host.done(t) when it may go on, holding
  /// the GIL again.
  virtual void check(int t) = 0;
  /// A step code this policy gave to burst, sleep or wake has come up for `t`.
  virtual void step(int t, uint8_t code) = 0;
  void on_event(uint32_t, uint32_t) override {}
};

}  // namespace gilsim
