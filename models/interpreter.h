#pragma once
/// Interpreter threads: each runs its compiled program (bytecode, I/O, C code, loops) on the OS
/// scheduler, asking the GIL policy for the GIL as CPython's eval loop does.

#include <cstdint>
#include <vector>

#include "models/gil_policy.h"
#include "models/observer.h"
#include "models/os_scheduler.h"
#include "models/scenario.h"
#include "sim/engine.h"
#include "sim/rng.h"

namespace gilsim {

/// A piece of a thread's work: a program and the RNG stream it draws from. A thread of the
/// threaded run has one segment; the serial run's single thread has one per original thread, so
/// that it does the same work with the same draws.
struct Segment {
  const std::vector<Op>* program;
  uint64_t stream;
};

struct ThreadPlan {
  Time start;
  bool daemon = false;
  std::vector<Segment> segments;
  int interp = 0;  ///< the interpreter (process) it runs in: each has its own GIL policy
  Time spawn;      ///< CPU work before its program: starting the process it runs in
  std::vector<int> affinity;  ///< the cores it may run on; empty: any
};

class Interpreter final : public OsClient, public GilHost, public EventHandler {
public:
  /// `policies[i]` is the GIL of interpreter i; ThreadPlan::interp picks one per thread.
  Interpreter(Engine& engine, const MachineConfig& machine, uint64_t seed, std::vector<ThreadPlan> plans,
              std::vector<GilPolicy*> policies, Observer& observer);

  /// Schedules the thread starts; run the engine afterwards.
  void start();
  /// Non-daemon threads still running.
  int live() const { return live_; }
  const OsScheduler& os() const { return os_; }
  Time finish_time(int t) const { return th_[t].finished_at; }
  bool finished(int t) const { return th_[t].act == Act::kFinished; }
  /// Whether `t` holds the GIL as the interpreter knows it, and the state it last reported.
  bool holds(int t) const { return th_[t].holds; }
  ThreadState state(int t) const { return th_[t].shown; }
  /// The interpreter (process) thread `t` runs in.
  int interp(int t) const { return plans_[static_cast<size_t>(t)].interp; }

  // OsClient
  void on_burst_end(int t) override;
  void on_core_change(int t) override;
  // GilHost
  Engine& engine() override { return engine_; }
  void burst(int t, Time work, uint8_t code, Exec exec) override;
  void sleep(int t, uint8_t code) override;
  WakeTarget wake(int t, Time work, uint8_t code, int waker = -1) override;
  void done(int t) override;
  void acquired(int t) override;
  void released(int t) override;
  void budget_changed(int t) override;
  void note(GilEvent e, int t) override;
  bool on_core(int t) const override { return os_.on_core(t); }
  // EventHandler: thread starts and I/O completions
  void on_event(uint32_t kind, uint32_t arg) override;

private:
  /// What the thread is doing, from the interpreter's point of view.
  enum class Act : uint8_t { kNotStarted, kWantGil, kHoldGil, kNative, kIo, kFinished };
  /// Interpreter step codes (below kPolicyStep).
  enum Step : uint8_t { kStepContinue, kStepBytecode, kStepNativeGil, kStepNativeDone, kStepReceived };
  enum EventKind : uint32_t { kStart, kIoDone };

  struct Thread {
    const Op* prog = nullptr;
    Time phase_left;        ///< what is left of the current phase
    Time bc_burst;          ///< length of the bytecode burst in flight
    Time finished_at;
    Rng rng;
    uint32_t pc = 0;
    uint32_t segment = 0;
    int64_t loops[kMaxLoopDepth] = {};
    uint8_t depth = 0;
    uint8_t step = kStepContinue;
    Act act = Act::kNotStarted;
    ThreadState shown = ThreadState::kNotStarted;
    bool phase_started = false;
    bool holds = false;
    bool must_take = false;  ///< back from I/O or C code: take the GIL before anything else
    bool waiting = false;    ///< a policy call is under way for this thread
    bool stepping = false;   ///< inside proceed(): done() must not recurse
    bool had_gil = false;    ///< has held the GIL once (a later take after I/O is a return)
    bool transfer_due = false; ///< took the GIL last released on another core: gil_transfer first
    int32_t chan_next = -1;  ///< blocked in recv: the next receiver waiting on the same channel
    int32_t chan = -1;       ///< blocked in recv: the channel
    int32_t recv_from = -1;  ///< woken in recv: the thread whose message it takes
    bool rechecking = false; ///< woken by buffer space, not data: its recv looks again
    TimerId io_timer = 0;
    TimerId start_timer = 0;
  };

  /// A channel (a socket or pipe): messages sent and not yet received, and the receivers
  /// blocked on it, first come first served (a list through Thread::chan_next).
  struct Channel {
    int64_t pending = 0;
    int32_t head = -1, tail = -1;
    int32_t last_sender = -1;  ///< who sent the newest message (whose buffer a reader frees)
  };

  void proceed(int t);
  /// A send or recv phase, GIL already dropped. Returns true when the thread now waits for an
  /// event (its system call runs, or it blocks), false when it goes straight on.
  bool channel_call(int t, const Op& op);
  /// `t` has taken a message sent by `sender`: the buffer space it frees wakes `sender` if it is
  /// blocked in a recv. Returns the extra CPU the waking costs `t`.
  Time free_buffer(int t, int sender);
  /// Removes `t` from the receivers blocked on its channel.
  void unblock(int t);
  void next_op(Thread& th);
  void set_act(int t, Act a);
  void refresh(int t);
  void finish(int t);
  void ask_take(int t);
  Time scaled(Time bytecode) const;

  Engine& engine_;
  Time tick_;
  DurationSpec socket_;   ///< costs.socket_call: a send, or a recv that finds a message
  WakeCosts wake_;  ///< what a send that wakes a receiver on another core adds
  /// What interrupting a woken thread's core adds for the waker, drawn from its stream.
  Time ipi(WakeTarget to, Rng& rng) const { return ipi_cost(to, wake_, rng, tick_); }
  Time transfer_;         ///< costs.gil_transfer
  bool gil_;            ///< the policy has a GIL (else take, drop and check are skipped)
  int64_t overhead_ppm_;
  GilPolicy& policy(int t) { return *policies_[static_cast<size_t>(plans_[static_cast<size_t>(t)].interp)]; }
  std::vector<ThreadPlan> plans_;
  std::vector<GilPolicy*> policies_;
  Observer& obs_;
  OsScheduler os_;
  std::vector<Thread> th_;
  std::vector<Channel> chans_;
  std::vector<int> gil_core_;  ///< per interpreter: the core its GIL was last released on (-1: none)
  uint64_t seed_;
  int live_ = 0;
};

}  // namespace gilsim
