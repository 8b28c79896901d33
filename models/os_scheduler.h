#pragma once
/// The machine and its OS scheduler: cores, per-core run queues ordered by virtual runtime, time
/// slices, wake-up placement (an idle core first), wake-up preemption and idle balancing, with
/// Linux's CFS rules (before 6.6) or its EEVDF rules (6.6 and later): `SchedulerParams::eevdf`.
///
/// Threads run "bursts": a stretch of CPU work. When a burst ends the client is called back and
/// must give the thread its next burst (run), put it to sleep (sleep) or end it (exit). A sleeping
/// thread is woken with the burst it runs first once it has a core again.

#include <cstdint>
#include <optional>
#include <vector>

#include "models/observer.h"
#include "models/scenario.h"
#include "models/wake.h"
#include "sim/engine.h"
#include "sim/rng.h"

namespace gilsim {

class OsClient {
public:
  virtual ~OsClient() = default;
  /// `thread`'s burst is done; it is on a core. Call run, sleep or exit for it.
  virtual void on_burst_end(int thread) = 0;
  /// `thread` went onto or off a core (for state display).
  virtual void on_core_change(int thread) = 0;
};

class OsScheduler final : public EventHandler {
public:
  OsScheduler(Engine& engine, const MachineConfig& machine, uint64_t seed, int threads, OsClient& client,
              Observer& observer);

  /// Restricts thread `t` to `cores` (ascending, each below cores()), as sched_setaffinity does:
  /// its wake-ups go only there and no other core pulls it. Before the run; by default any core.
  void set_affinity(int t, const std::vector<int>& cores);
  /// A new thread: runnable now, placed like a woken one; it first runs `work`.
  void spawn(int t, Time work) { (void)wake(t, work, -1); }
  /// From on_burst_end: the thread stays on its core for `work` more.
  void run(int t, Time work, Exec exec = Exec::kUser);
  /// From on_burst_end: the thread blocks and leaves its core.
  void sleep(int t);
  /// Makes a sleeping thread runnable; once on a core it runs `work` and then on_burst_end.
  /// Returns kRemote when it goes to a core other than the one `waker` runs on, which the waker
  /// must interrupt (an IPI: to wake an idle core or to make a busy one reschedule), kDeepIdle
  /// when that core has idled costs.deep_idle.after or more, kShallowIdle when its last thread
  /// left it less than costs.shallow_idle.before ago; kLocal when it is queued on the
  /// waker's own core, or `waker` is -1 (a kernel timer or I/O completion). A wake-up onto an
  /// idle core takes costs.wakeup_latency (costs.deep_idle.wakeup_latency on a deep-idle core,
  /// costs.shallow_idle.wakeup_latency on a shallow one, costs.socket_wakeup_latency for a `sync`
  /// one when given and the core is not deep) before the thread is there.
  /// `sync`: a synchronous wake-up (a socket's reader woken by the writer, Linux WF_SYNC): when
  /// the woken thread is queued on the waker's own core it runs as soon as the waker's current
  /// burst (its system call) ends, the waker going back to the run queue.
  WakeTarget wake(int t, Time work, int waker = -1, bool sync = false);
  /// From on_burst_end: the thread ends.
  void exit(int t);
  /// CPU work done in the current burst so far.
  Time burst_elapsed(int t) const;
  /// Replaces what is left of the current burst (counting from now).
  void set_burst_left(int t, Time left);

  /// costs.cold_start: the stall after a core has idled `idle`.
  static Time cold_stall(const std::vector<ColdPoint>& table, Time idle);
  /// costs.cold_native: what `t`'s first native phase since it was put on its core pays for that
  /// core's idle before; zero after the first call, and on a core that had not idled.
  Time take_cold_native(int t) {
    const Time idle = threads_[t].cold_idle;
    threads_[t].cold_idle = Time::zero();
    return idle > Time::zero() && !cold_native_.empty() ? cold_stall(cold_native_, idle) : Time::zero();
  }

  bool on_core(int t) const { return threads_[t].state == kRunning; }
  bool sleeping(int t) const { return threads_[t].state == kBlocked; }
  int cores() const { return static_cast<int>(cores_.size()); }
  /// The thread core `c` runs (-1: none), and the core thread `t` runs or waits on (-1: none yet).
  int running_on(int c) const { return cores_[c].current; }
  int core_of(int t) const { return threads_[t].core; }

  struct CoreStats {
    Time busy;
    uint64_t context_switches;
  };
  CoreStats core_stats(int c) const;
  /// Time thread `t` spent on a core (including context switches into it).
  Time oncore_time(int t) const;
  /// Times `t` left its core by blocking and by being preempted (Linux's nvcsw and nivcsw, as
  /// getrusage and /proc/PID/status count them).
  uint64_t voluntary_switches(int t) const { return threads_[t].voluntary; }
  uint64_t involuntary_switches(int t) const { return threads_[t].involuntary; }

  void on_event(uint32_t kind, uint32_t arg) override;

private:
  enum State : uint8_t { kBlocked, kWaking, kQueued, kRunning, kExited };
  enum Kind : uint32_t { kBurstEnd, kSliceEnd, kWakeArrive, kBalance, kStall };

  struct Thread {
    Time left;          ///< burst work left, counted from `exec_from` while running
    Time len;           ///< length of the current burst (for elapsed)
    Time exec_from;     ///< when the burst (re)started executing (after a context switch)
    Time run_start;     ///< when the thread was put on its core
    Time oncore;        ///< total time on a core
    Time left_core;     ///< when it last left a core (if `ran`)
    int64_t vruntime = 0;
    int64_t deadline = 0;  ///< EEVDF: virtual deadline of the current request
    int64_t vlag = 0;      ///< EEVDF: lag (V - vruntime) saved when it last blocked
    int32_t core = -1;    ///< core it runs or waits on, else the last one it ran on
    int32_t target = -1;  ///< while waking: the core it will arrive on
    State state = kBlocked;
    bool reserved = false;  ///< while waking: counted in its target core's `incoming`
    bool ran = false;       ///< has been on a core (else it is cache-cold everywhere)
    Exec exec = Exec::kUser;  ///< where the current burst runs (user mode, a system call)
    bool pinned = false;    ///< restricted to the cores of its affinity mask (allow_)
    int32_t sync_waker = -1;  ///< while waking: the thread that woke it synchronously
    TimerId wake_timer = 0;
    Time cold_idle;  ///< how long its core had idled when it was put on it, until its first native phase
    Time slow_left;  ///< costs.cold_slow: work it has still to run slower (since `exec_from` while running)
    int64_t slow_ppm = 0;  ///< how much slower (per million)
    uint64_t voluntary = 0;    ///< times it left its core blocking (getrusage ru_nvcsw)
    uint64_t involuntary = 0;  ///< times it was preempted (ru_nivcsw)
  };
  struct Core {
    int32_t current = -1;
    int32_t last = -1;
    int32_t incoming = 0;  ///< woken threads on their way here
    std::vector<int32_t> queue;  ///< runnable threads, by (vruntime, id)
    int64_t min_vruntime = 0;
    TimerId burst_timer = 0;
    TimerId slice_timer = 0;
    TimerId balance_timer = 0;  ///< while idle beside cache-hot queued threads: the pull
    TimerId stall_timer = 0;    ///< costs.stall: the next host stall (while it has a thread)
    Time stalled_until;         ///< the end of its current or last host stall
    Time busy;
    Time vacant_since;  ///< when its last thread left it (idle since, when it has none)
    Time poll_window;   ///< costs.deep_idle.adaptive: the host's halt-poll window for this vCPU
    uint64_t switches = 0;
    bool preempt_due = false;  ///< a wake-up preemption waits for the current callback to end
    bool resched = false;      ///< TIF_NEED_RESCHED set while the thread was in the kernel (scheduler.resched "ipi")
    int32_t sync_wakee = -1;   ///< runs when the current thread's burst ends (a sync wake-up)
    int32_t next = -1;         ///< EEVDF: the thread the next dispatch takes (a sync wakee)
  };

  bool idle(const Core& c) const { return c.current < 0 && c.queue.empty() && c.incoming == 0; }
  /// Keeps the idle-core bitmap in step with core `c` (call after changing it).
  void update_idle(int c) {
    const uint64_t bit = uint64_t{1} << (c & 63);
    if (idle(cores_[c])) idle_bits_[c >> 6] |= bit;
    else idle_bits_[c >> 6] &= ~bit;
  }
  int64_t current_vruntime(const Core& c) const;
  // EEVDF (kernel/sched/fair.c, Linux 6.6+)
  struct Load {
    int64_t base, sum, n, cur_v;
  };
  Load load(const Core& c) const;
  int64_t avg_vruntime(const Core& c) const;
  int pick_eevdf(const Core& c, bool protect) const;
  bool renew_deadline(Core& c);
  /// `asleep`: the thread's lag dates from its last block (left_core), not from now.
  void place_eevdf(int t, int c, bool asleep);
  bool repick_switches(Core& c);
  bool eevdf_preempts(Core& c, int woken);
  void update_min_vruntime(Core& c);
  void enqueue(int core, int t);
  void arrive(int t);
  void dispatch(int core);
  void leave_core(int t);  ///< settles accounting; the core is left without a current thread
  void preempt(int core);
  /// Preempts core `c`'s thread in favour of `t`, queued there.
  void run_next(int c, int t);
  void arm_slice(int core);
  /// costs.stall: the core's next host stall, when it has none pending.
  void arm_stall(int core);
  /// When a burst given to core `c`'s thread now starts: after any host stall in progress.
  Time start_after_stall(int c, Time at) const { return stall_.enabled && cores_[c].stalled_until > at ? cores_[c].stalled_until : at; }
  Time next_tick(Time at) const;  ///< the first scheduler tick at or after `at`
  int pick_wake_core(int t) const { return threads_[t].pinned ? pick_core<true>(t) : pick_core<false>(t); }
  template <bool kPinned>
  int pick_core(int t) const;     ///< pick_wake_core for an unpinned or a pinned thread
  int first_allowed(int t) const;  ///< the lowest core of a pinned thread's affinity
  /// Whether thread `t` may run on core `c` (its affinity).
  bool allowed(int t, int c) const {
    return !threads_[t].pinned || (allow_[static_cast<size_t>(t) * idle_bits_.size() + (static_cast<size_t>(c) >> 6)] >> (c & 63) & 1);
  }
  /// Word `w` of thread `t`'s affinity mask (all ones when it may run anywhere).
  uint64_t allow_word(int t, size_t w) const {
    return threads_[t].pinned ? allow_[static_cast<size_t>(t) * idle_bits_.size() + w] : ~uint64_t{0};
  }
  /// Whether a wake-up ending a halt of `halted` finds the core deep-idle; updates its poll window.
  bool halt_ends_deep(Core& core, Time halted);
  /// Idle balance: moves a cache-cold queued thread from another core to `core`'s queue and
  /// returns it; -1 when there is none (then, if cache-hot ones wait, arms the balance timer).
  int steal_for(int core);

  Engine& engine_;
  OsClient& client_;
  Observer& obs_;
  Rng rng_;
  Time context_switch_;
  DurationSpec wakeup_latency_;
  DurationSpec resched_latency_;
  std::optional<DurationSpec> socket_wakeup_latency_;  ///< costs.socket_wakeup_latency
  DeepIdle deep_;
  ShallowIdle shallow_;
  Stalls stall_;
  TimerId machine_stall_timer_ = 0;  ///< costs.stall with cores "together"
  /// A host stall of `d` from `now` on core `c`: its thread's burst moves by `d`.
  void stall_core(int c, Time now, Time d);
  Rng stall_rng_;  ///< costs.stall draws: a stream of their own, so that they move nothing else
  std::vector<ColdPoint> cold_;
  std::vector<ColdPoint> cold_native_;
  // costs.cold_slow as two tables of cold_stall's form: the excess, and the factor (ppm as ns)
  std::vector<ColdPoint> slow_excess_;
  std::vector<ColdPoint> slow_ppm_;
  /// costs.cold_slow: the extra wall time of `slow` ns of work run `ppm` per million slower.
  static int64_t slow_extra(int64_t slow, int64_t ppm) { return slow / 1000000 * ppm + slow % 1000000 * ppm / 1000000; }
  /// The wall time `work` takes `th` from now: the part of it inside its slow window runs slower.
  static Time wall_of(const Thread& th, Time work) {
    if (th.slow_left == Time::zero()) return work;
    return Time::sat_add(work, Time::ns(slow_extra(std::min(work, th.slow_left).count(), th.slow_ppm)));
  }
  /// The work `th` gets done in `wall` from the start of its burst (wall_of's inverse, rounded down).
  static Time work_of(const Thread& th, Time wall);
  /// `work` done: it comes out of `th`'s slow window.
  static void spend_slow(Thread& th, Time work) {
    th.slow_left = work >= th.slow_left ? Time::zero() : th.slow_left - work;
  }
  /// Opens `th`'s slow window after its core idled `idle` (unless the one it has loses more).
  void open_slow(Thread& th, Time idle) const;
  SchedulerParams sched_;
  Time tick_;
  int64_t slice_ = 0;  ///< EEVDF base slice (ns)
  std::vector<Thread> threads_;
  std::vector<Core> cores_;
  int in_callback_ = -1;  ///< the core whose thread is in on_burst_end
  std::vector<uint64_t> idle_bits_;  ///< bit c set: core c is idle (for placement in O(cores/64))
  /// Affinity masks of the pinned threads: thread t's words at [t * idle_bits_.size(), ...).
  std::vector<uint64_t> allow_;
  size_t queued_ = 0;               ///< threads waiting in all run queues (0: nothing to steal)
};

}  // namespace gilsim
