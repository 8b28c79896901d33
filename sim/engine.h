#pragma once
/// The discrete-event engine: a clock, reusable timers, a run loop with limits, a fingerprint.
/// It knows nothing of Python, GILs or JSON; models own timers and receive their events.

#include <cstdint>
#include <vector>

#include "sim/event_queue.h"
#include "sim/time.h"

namespace gilsim {

/// Receives the events of the timers it owns.
class EventHandler {
public:
  virtual ~EventHandler() = default;
  /// `kind` and `arg` are the values the timer was made with.
  virtual void on_event(uint32_t kind, uint32_t arg) = 0;
};

using TimerId = uint32_t;

/// Why run() returned.
enum class RunStatus {
  kDrained,      ///< no pending event left
  kStopped,      ///< a model called stop()
  kEventBudget,  ///< the event budget was spent
  kHorizon,      ///< the next event lies beyond the time horizon
};

struct RunLimits {
  uint64_t max_events = UINT64_MAX;  ///< Default: unlimited.
  Time horizon = Time::max();        ///< Default: none. Events after it are not run.
};

/// An engine is a plain value: tests create many. Timers are made once (cancel-and-reuse, as the
/// GIL's interval timer is) so scheduling an event never allocates once the heap has grown.
class Engine {
public:
  Engine() { queue_.reserve(256); }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Time now() const { return now_; }
  /// Room for `timers` timers and `events` pending events, so setup does not over-allocate.
  void reserve(size_t timers, size_t events) {
    timers_.reserve(timers);
    queue_.reserve(events);
  }

  /// A timer owned by `handler`; its events carry (kind, arg) and sort by `priority` among events
  /// at the same time (lower runs first).
  TimerId make_timer(EventHandler* handler, uint32_t kind, uint32_t arg, uint8_t priority);
  /// Schedules the timer at `when` (>= now), replacing any pending schedule of it.
  void schedule(TimerId t, Time when);
  void schedule_after(TimerId t, Time delay) { schedule(t, Time::sat_add(now_, delay)); }
  /// O(1): bumps the generation; the queued entry is skipped when it surfaces.
  void cancel(TimerId t);
  bool pending(TimerId t) const { return timers_[t].pending; }
  Time when(TimerId t) const { return timers_[t].when; }

  RunStatus run(const RunLimits& limits);
  /// Ends run() after the current event.
  void stop() { stopped_ = true; }
  /// Calls `h->on_event(kind, arg)` after every executed event, with that event's kind and arg
  /// (the invariant checker); nullptr (the default) turns it off at the cost of one branch.
  void set_after_event(EventHandler* h) { after_ = h; }

  /// Events executed so far (cancelled ones not counted).
  uint64_t events() const { return events_; }
  /// A hash over every executed event's (time, kind, arg): equal for equal behaviour.
  uint64_t fingerprint() const { return fingerprint_; }

private:
  void retire();
  struct Slot {
    EventHandler* handler;
    uint32_t kind;
    uint32_t arg;
    uint32_t gen;
    uint8_t priority;
    bool pending;
    Time when;
  };
  std::vector<Slot> timers_;
  EventQueue queue_;
  EventHandler* after_ = nullptr;
  Time now_;
  uint64_t seq_ = 0;
  size_t tombstones_ = 0;  ///< queued entries retired by cancel or reschedule
  uint64_t events_ = 0;
  uint64_t fingerprint_ = 0x6a09e667f3bcc908ULL;
  bool stopped_ = false;
};

}  // namespace gilsim
