#pragma once
/// What models report as the simulation runs: metrics and traces subscribe here instead of
/// living inside the models.

#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace gilsim {

/// What a simulated thread is doing, as a user would describe it.
enum class ThreadState : uint8_t {
  kNotStarted,     ///< before its `start`
  kRunningGil,     ///< on a core, holding the GIL (bytecode or GIL-holding C code)
  kRunningNative,  ///< on a core without the GIL (GIL-releasing C code, system calls)
  kWaitingGil,     ///< wants the GIL and does not hold it (asleep, or on a core retrying)
  kRunnable,       ///< has work but no core (preempted, or woken and queued)
  kIo,             ///< blocked in I/O
  kFinished,
};
inline constexpr int kThreadStateCount = 7;
const char* state_name(ThreadState s);

/// GIL events worth a marker.
enum class GilEvent : uint8_t {
  kDropRequest,    ///< py3: a waiter timed out and set gil_drop_request
  kForcedSwitch,   ///< py3: the holder dropped the GIL on request
  kFailedAcquire,  ///< a woken waiter found the GIL taken and went back to sleep
  kCheck,          ///< py2: a check-interval release with another thread waiting
};

/// Why a thread starts waiting for the GIL.
enum class WantReason : uint8_t {
  kStart,   ///< a new thread, before its first bytecode
  kReturn,  ///< back from I/O or GIL-releasing C code (Py_END_ALLOW_THREADS): the convoy case
  kResume,  ///< gave the GIL up at a check point and wants it back
};

class Observer {
public:
  virtual ~Observer() = default;
  virtual void on_thread_state(Time, int /*thread*/, ThreadState) {}
  /// The GIL of interpreter `interp` changed hands; holder -1 means free.
  virtual void on_gil(Time, int /*interp*/, int /*holder*/) {}
  virtual void on_gil_event(Time, GilEvent, int /*thread*/) {}
  /// Core `core` now runs `thread` (-1: idle).
  virtual void on_core(Time, int /*core*/, int /*thread*/) {}
  /// A thread starts an I/O operation.
  virtual void on_io(Time, int /*thread*/) {}
  /// The OS wakes a blocked (or new) `thread` and puts it on `core`'s run queue (or on its way to
  /// the idle `core`): Linux's sched_waking. `waker`: the thread whose system call woke it (a
  /// futex_wake, a condition signal), -1 for a timer, an I/O completion or a thread's start.
  virtual void on_wake(Time, int /*thread*/, int /*waker*/, int /*core*/) {}
  /// A thread starts waiting for the GIL (reported just before its state becomes kWaitingGil).
  virtual void on_gil_want(Time, int /*thread*/, WantReason) {}
  /// A thread's outermost loop begins (`first`) or ends an iteration and goes on to the next.
  virtual void on_iteration(Time, int /*thread*/, bool /*first*/) {}
};

/// Forwards to every subscriber, in subscription order.
class ObserverList final : public Observer {
public:
  void add(Observer* o) { list_.push_back(o); }
  void on_thread_state(Time t, int th, ThreadState s) override { for (auto* o : list_) o->on_thread_state(t, th, s); }
  void on_gil(Time t, int in, int h) override { for (auto* o : list_) o->on_gil(t, in, h); }
  void on_gil_event(Time t, GilEvent e, int th) override { for (auto* o : list_) o->on_gil_event(t, e, th); }
  void on_core(Time t, int c, int th) override { for (auto* o : list_) o->on_core(t, c, th); }
  void on_io(Time t, int th) override { for (auto* o : list_) o->on_io(t, th); }
  void on_wake(Time t, int th, int w, int c) override { for (auto* o : list_) o->on_wake(t, th, w, c); }
  void on_gil_want(Time t, int th, WantReason r) override { for (auto* o : list_) o->on_gil_want(t, th, r); }
  void on_iteration(Time t, int th, bool first) override { for (auto* o : list_) o->on_iteration(t, th, first); }

private:
  std::vector<Observer*> list_;
};

}  // namespace gilsim
