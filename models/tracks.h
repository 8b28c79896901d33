#pragma once
/// Turns the observer callbacks into what a timeline shows: per thread, core and GIL a sequence
/// of non-empty, non-overlapping intervals clipped to a window, GIL event marks, and the number
/// of threads waiting for the GIL and runnable. Traces and pictures derive from it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/observer.h"

namespace gilsim {

/// A span of simulated time [from, to).
struct Window {
  Time from = Time::zero();
  Time to = Time::max();
  bool contains(Time t) const { return t >= from && t < to; }
};

class TrackObserver : public Observer {
public:
  enum class Track : uint8_t { kThread, kCore, kGil };
  enum class Counter : uint8_t { kWaitingGil, kRunnable };
  static constexpr int kCounterCount = 2;

  TrackObserver(int threads, int cores, Window w);

  void on_thread_state(Time now, int t, ThreadState s) override;
  void on_gil(Time now, int interp, int holder) override;
  void on_gil_event(Time now, GilEvent e, int t) override;
  void on_core(Time now, int core, int t) override;

  const Window& window() const { return w_; }

protected:
  /// Closes every open interval at `end`, when the run stopped. Call once.
  void close_all(Time end);

  /// The interval [from, to) of track `index` (a thread, a core, an interpreter's GIL) held
  /// `value`: a ThreadState for threads, the thread for cores and GILs. Never empty, within the
  /// window, in time order per track; adjacent intervals of one value come merged.
  virtual void slice(Track track, int index, int value, Time from, Time to) = 0;
  /// A GIL event inside the window.
  virtual void mark(Time t, GilEvent e, int thread) = 0;
  /// From `t` on (inside the window) the counter is `value`; one call per change.
  virtual void counter(Counter c, Time t, int value) = 0;

private:
  /// One track's state: the value held since `since` (-1: none), and the last closed interval,
  /// kept back so that an equal neighbour can be merged into it.
  struct Open {
    Time since;
    int value = -1;
    int done_value = -1;
    Time done_from;
    Time done_to;
  };
  struct Count {
    int value = 0;
    int shown = -1;  ///< last value passed to counter()
    Time since;
  };

  void change(Track track, int index, Open& o, Time now, int value);
  void close(Track track, int index, Open& o, Time from, Time to);
  void flush(Track track, int index, Open& o);
  void count(Counter c, Time now, int delta);

  std::vector<Open> threads_;
  std::vector<Open> cores_;
  std::vector<Open> gils_;
  std::vector<int8_t> state_;  ///< each thread's current ThreadState
  std::array<Count, kCounterCount> counts_{};
  Window w_;
};

}  // namespace gilsim
