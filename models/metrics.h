#pragma once
/// Metrics gathered by observing the run: time in each state per thread, GIL waits and their
/// latency distribution, GIL hand-offs and events.

#include <array>
#include <cstdint>
#include <vector>

#include "models/histogram.h"
#include "models/observer.h"

namespace gilsim {

/// Who held the GIL while a thread waited: the holder when each wait began, with the waiting
/// time it caused. A few entries, the smallest replaced when full (space-saving), so a thread
/// blocked by many others keeps its main culprits.
struct Blocker {
  int thread = -1;
  Time waited;
};
inline constexpr int kBlockers = 4;

struct ThreadMetrics {
  std::array<Time, kThreadStateCount> in_state{};  ///< time spent in each ThreadState
  Time since;                                      ///< when the current state began
  ThreadState state = ThreadState::kNotStarted;
  Time gil_held;
  Time held_since;
  Time wait_since;
  Time longest_wait;
  uint64_t acquisitions = 0;
  uint64_t io_ops = 0;
  uint64_t failed_acquires = 0;
  uint64_t forced_drops = 0;
  bool holding = false;
  WantReason reason = WantReason::kStart;  ///< of the wait under way
  int blocker = -1;                        ///< the holder when the wait under way began
  LatencyHistogram latency;                ///< from wanting the GIL to holding it
  LatencyHistogram return_latency;         ///< the same, for waits after I/O or C code only
  LatencyHistogram iteration;              ///< each iteration of the outermost loop, end to end
  Time iteration_since;                    ///< when the iteration under way began (as read)
  Blocker blockers[kBlockers];
};

struct GilMetrics {
  uint64_t switches = 0;         ///< the GIL passed to a different thread
  uint64_t drop_requests = 0;
  uint64_t forced_switches = 0;
  uint64_t failed_acquires = 0;
  uint64_t contended_checks = 0; ///< py2: check-interval releases with a waiter
  Time held;
};

class Metrics final : public Observer {
public:
  /// `clock_step`: InterpreterConfig::clock_resolution, the step of the clock iterations are
  /// timed with (zero: exact).
  Metrics(int threads, int interpreters = 1, Time clock_step = Time::zero())
      : th_(static_cast<size_t>(threads)), holder_(static_cast<size_t>(interpreters), -1), last_holder_(holder_),
        clock_step_(clock_step.count()) {}
  void on_thread_state(Time now, int t, ThreadState s) override;
  void on_gil(Time now, int interp, int holder) override;
  void on_gil_event(Time now, GilEvent e, int t) override;
  void on_io(Time, int t) override { ++th_[t].io_ops; }
  void on_iteration(Time now, int t, bool first) override {
    ThreadMetrics& m = th_[t];
    // What the program's clock reads: the time rounded down to the clock's step (the simulated
    // run starts on a step).
    const Time read = clock_step_ > 0 ? Time::ns(now.count() - now.count() % clock_step_) : now;
    if (!first) m.iteration.record((read - m.iteration_since).count());
    m.iteration_since = read;
  }
  void on_gil_want(Time, int t, WantReason r) override;
  /// Tells which interpreter each thread runs in (all 0 unless set).
  void set_interpreters(std::vector<int> interp_of) { interp_of_ = std::move(interp_of); }
  /// Closes the open intervals at the end of the run.
  void finish(Time now);

  const ThreadMetrics& thread(int t) const { return th_[t]; }
  /// Hands a thread's metrics over to the caller (after finish()).
  ThreadMetrics take_thread(int t) { return std::move(th_[t]); }
  const GilMetrics& gil() const { return gil_; }

private:
  void blame(ThreadMetrics& m, int holder, Time waited);
  int interp_of(int t) const { return interp_of_.empty() ? 0 : interp_of_[static_cast<size_t>(t)]; }
  std::vector<int> interp_of_;
  std::vector<ThreadMetrics> th_;
  GilMetrics gil_;
  std::vector<int> holder_;       ///< per interpreter
  std::vector<int> last_holder_;  ///< per interpreter
  int64_t clock_step_ = 0;        ///< ns; 0: iterations timed exactly
};

}  // namespace gilsim
