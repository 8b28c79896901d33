#pragma once
/// A scenario as plain structs with documented defaults. Loading and validation live in
/// scenario_loader.h; the simulation reads only these structs.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/duration.h"
#include "models/wake.h"
#include "sim/time.h"

namespace gilsim {

/// One point of `Costs::cold_start`: after a core has idled `idle`, the thread put on it starts
/// its work `stall` later.
struct ColdPoint {
  Time idle;
  Time stall;
};

/// One point of `Costs::cold_slow`: after a core has idled `idle`, the thread put on it runs
/// `ppm` per million slower until it has lost `excess` to it.
struct SlowPoint {
  Time idle;
  int64_t ppm = 0;
  Time excess;
};

/// `Costs::deep_idle`: wake-ups of a core that has idled long enough for the host to stop polling
/// for it. On a virtual machine an idle vCPU halts (HLT: a VM exit); the host polls for a
/// pending interrupt for up to `halt_poll_ns` (Linux virt/kvm/kvm_main.c, kvm_vcpu_halt; x86's
/// KVM_HALT_POLL_NS_DEFAULT is 200us), then deschedules the vCPU's thread. Waking it after that
/// costs the waker more (the IPI becomes a host wake-up of that thread) and the woken thread
/// runs much later (the host must schedule the vCPU back in).
struct DeepIdle {
  bool enabled = false;
  /// How long a core must have been idle (no thread since) for a wake-up to find it deep; with
  /// `adaptive`, the longest the host polls (max_halt_poll_ns).
  Time after;
  /// The host's poll window adapts per vCPU (virt/kvm/kvm_main.c, kvm_vcpu_halt): a halt longer
  /// than `after` resets it to zero (shrink_halt_poll_ns, halt_poll_ns_shrink 0), a shorter halt
  /// that outlasted it doubles it, from 10us (grow_halt_poll_ns), up to `after`; a wake-up
  /// within the window is not deep. Each core starts with the whole window.
  bool adaptive = false;
  /// What the waker pays on top of `syscall` to wake a thread onto such a core (replaces `wake`).
  DurationSpec wake;
  /// From the wake-up until the woken thread runs on such a core (replaces `wakeup_latency`).
  DurationSpec wakeup_latency;
};

/// `Costs::shallow_idle`: wake-ups of a core whose thread left it so recently that waking it is
/// cheap. After a thread blocks, its CPU finishes the system call's way into schedule(), switches
/// to the idle task and runs the idle loop's entry with TIF_POLLING_NRFLAG set
/// (kernel/sched/idle.c do_idle: __current_set_polling) before it halts (cpuidle haltpoll:
/// current_clr_polling_and_test, then HLT, a VM exit); a wake-up in that time needs no
/// interrupt (try_to_wake_up -> ttwu_queue_wakelist / set_nr_if_polling). Measured on the
/// validation VM the waker stays cheap for some microseconds after the halt too (the host still
/// polling for the vCPU), while the woken thread takes longer. A halt within the window still
/// counts for deep_idle.adaptive's poll window.
struct ShallowIdle {
  bool enabled = false;
  /// A wake-up less than this after the core's last thread left it finds the core shallow. A
  /// distribution (uniform or quantiles: bounded) is drawn per wake-up: where the window ends
  /// varies from halt to halt, and a calibration measures the share of wake-ups still cheap at
  /// each gap (`docs/model.md`, mechanism 23).
  DurationSpec before;
  /// What the waker pays on top of `syscall` to wake a thread onto such a core (replaces `wake`).
  DurationSpec wake;
  /// From such a wake-up until the woken thread runs (replaces `wakeup_latency`).
  DurationSpec wakeup_latency;
};

/// `Costs::stall`: the host takes a vCPU away now and then (its thread preempted on the host, host
/// interrupts): whatever runs on that core makes no progress meanwhile. Measured on the
/// validation VM with both vCPUs busy in a clock loop (docs/validation-measurements.md). Each
/// core draws its stalls while it has a thread: the first `every` after a thread is put on an
/// idle core, then `every` after each stall's end.
struct Stalls {
  bool enabled = false;
  DurationSpec every;   ///< from the end of one stall (or the core's first thread) to the next
  DurationSpec length;  ///< how long a stall lasts (scenario key "for")
  /// Scenario key "cores": "each" (the default: every core has stalls of its own) or "together"
  /// (one series for the machine: a stall holds up every core at once, as the host pausing the
  /// whole virtual machine does; measured by tools/calibrate, stall).
  bool together = false;
};

/// Costs of the machine and OS, each with its default. A profile file (tools/calibrate) or the
/// scenario's `machine.costs` overrides them.
struct Costs {
  /// One tick: one pass through the eval loop's check point (Python 2's `_Py_Ticker`
  /// decrement). Default: 25ns.
  Time tick = Time::ns(25);
  /// CPU time of a bare futex system call (entry and exit, nobody to wake), paid by the caller;
  /// also what a woken thread spends returning from its wait. Drawn per call from the GIL
  /// policy's stream when a distribution. Default: 500ns.
  DurationSpec syscall = DurationSpec::fixed(Time::ns(500));
  /// What a waker pays on top of `syscall` when the call wakes a thread that sleeps (scheduler
  /// enqueue, inter-processor interrupt). Drawn per call. Default: 2us.
  DurationSpec wake = DurationSpec::fixed(Time::us(2));
  /// Core time to switch from one thread to another. Default: 3us.
  Time context_switch = Time::us(3);
  /// From a wake-up until the woken thread runs on an idle core (IPI, idle exit). Drawn per wake.
  /// Default: uniform(20us, 60us).
  DurationSpec wakeup_latency = DurationSpec::uniform(Time::us(20), Time::us(60));
  /// A thread blocked in `recv` woken by its socket peer (a `send`, or a `recv` that frees the
  /// peer's buffer: Linux's synchronous socket wake-ups) onto an idle core that is not deep:
  /// from the wake-up until it runs, in place of `wakeup_latency` and
  /// `shallow_idle.wakeup_latency`. Drawn per wake-up. Default: none (those two).
  std::optional<DurationSpec> socket_wakeup_latency;
  /// scheduler.resched "ipi": from a wake-up made on another core until the busy core it goes to
  /// takes the interrupt and queues the thread. Drawn per wake-up. Default: as `wakeup_latency`.
  std::optional<DurationSpec> resched_latency;
  /// Wake-ups of a core idle for `deep_idle.after` or more cost `deep_idle.wake` and take
  /// `deep_idle.wakeup_latency` instead of `wake` and `wakeup_latency`. Default: none (every
  /// idle core wakes alike).
  DeepIdle deep_idle;
  /// Wake-ups of a core whose last thread left it less than `shallow_idle.before` ago cost
  /// `shallow_idle.wake` and take `shallow_idle.wakeup_latency`. Default: none.
  ShallowIdle shallow_idle;
  /// Host stalls of the cores. Default: none.
  Stalls stall;
  /// Python 2: the release and immediate re-acquire of the lock at a check with no waiter
  /// (sem_post + sem_wait fast path). Drawn per check. Default: 50ns.
  DurationSpec gil_check = DurationSpec::fixed(Time::ns(50));
  /// CPU time of a `send`, or of a `recv` that finds its message: a socket system call that
  /// copies the data (the wake-up of a blocked receiver is `wake` on top). Drawn per call from
  /// the calling thread's stream. Default: 1us.
  DurationSpec socket_call = DurationSpec::fixed(Time::us(1));
  /// How late a timed wait's timeout fires after its deadline, before the wake-up latency: the
  /// kernel's timer slack (hrtimer expiry range [deadline, deadline + timer_slack_ns], 50us by
  /// default for normal threads). Drawn per timed wait (py3's COND_TIMED_WAIT). Default: 50us.
  DurationSpec timer_slack = DurationSpec::fixed(Time::us(50));
  /// What a long idle costs the next thread to run on the core: the extra time its first work
  /// takes (caches refilled after the idle vCPU gave its physical core away), as a function of
  /// how long the core was idle; charged like the context switch, before the burst's work. Points of increasing `idle`, linear in
  /// between, from (0, 0) to the first point and flat after the last. Default: none (no stall).
  std::vector<ColdPoint> cold_start;
  /// What the same idle adds to the first GIL-releasing C call (a `native` phase: the select(),
  /// the hash, the system call) the thread makes after being put on that core, on top of
  /// `cold_start`: the call's own code paths, the kernel's included, are cold too, and they are
  /// larger than the eval loop's (measured on select.select(); docs/model.md). Same form as
  /// `cold_start`. Default: none.
  std::vector<ColdPoint> cold_native;
  /// What the same idle does after the stall: the work that follows runs slower, by a factor,
  /// until it has run an excess time more than it would warm; both functions of the idle, from
  /// points of increasing `idle` (linear in between from (0, 0, 0), flat after the last).
  /// Default: none.
  std::vector<SlowPoint> cold_slow;
  /// What a thread pays, GIL in hand, before its first Python work when the GIL was last
  /// released on another core: the interpreter's shared state (the thread-state pointer, the
  /// ticker, the small ints' and shared objects' reference counts, the int free list) moves to
  /// its core's cache. Default: 0 (tools/calibrate measures it: `handoff`).
  Time gil_transfer;
};

/// The waker's costs of a wake-up onto another core: busy or briefly idle, deep idle, shallow.
inline WakeCosts wake_costs(const Costs& c) {
  WakeCosts w;
  w.wake = c.wake;
  w.deep = c.deep_idle.wake;
  w.shallow = c.shallow_idle.wake;
  return w;
}

/// The OS scheduler: per-core run queues ordered by virtual runtime, with Linux CFS's rules
/// (before 6.6) or EEVDF's (6.6 and later).
struct SchedulerParams {
  /// "cfs": time slices, wake-up granularity, sleeper credit. "eevdf": lag, virtual deadlines,
  /// run to parity, slices ending at scheduler ticks (Linux 6.6+, kernel/sched/fair.c).
  /// Default: "cfs".
  bool eevdf = false;
  /// EEVDF's request size (sysctl_sched_base_slice); 0: Linux's default, 0.75ms x (1 +
  /// ilog2(min(cores, 8))), 1.5ms on 2 cores. Default: 0.
  Time base_slice = Time::zero();
  /// CFS: longest a thread runs while another waits on its core. Default: 3ms.
  Time timeslice = Time::ms(3);
  /// A woken thread preempts the running one when its virtual runtime is lower by more than
  /// this (CFS `wakeup_granularity`). Default: 1ms.
  Time wakeup_granularity = Time::ms(1);
  /// A sleeper is placed at most this far behind the core's minimum virtual runtime (CFS
  /// `GENTLE_FAIR_SLEEPERS`: half the 6ms latency). Default: 3ms.
  Time sleeper_credit = Time::ms(3);
  /// Whether a woken thread may preempt at all. Default: true.
  bool wakeup_preemption = true;
  /// When a wake-up's preemption of a busy core takes effect. "instant" (false): the moment the
  /// woken thread is put on the core's run queue. "ipi" (true), Linux on CPUs that share no cache
  /// and without kernel preemption (preempt=none): a thread woken from another core is put on the
  /// busy core's wake list, and the core queues it when it takes the interrupt,
  /// costs.resched_latency later; it then switches at once if its thread is in user code, else at
  /// the end of the thread's system call (or when the thread blocks). tools/calibrate writes
  /// "ipi". Default: "instant".
  bool resched_ipi = false;
  /// A queued thread that left a core less than this ago is cache-hot: a core going idle does
  /// not pull it (Linux `task_hot()`, `sysctl_sched_migration_cost`). 0: any queued thread is
  /// pulled at once. Default: 500us.
  Time migration_cost = Time::us(500);
  /// The scheduler tick: an idle core next to a queue of only cache-hot threads pulls one at the
  /// first tick after it has gone cold (the periodic/nohz idle balance that the busy core's tick
  /// kicks); under EEVDF a thread that has used up its slice is switched out at a tick. Ticks
  /// fall at multiples of this from time 0, on every core together. Default: 4ms (HZ=250).
  Time tick_period = Time::ms(4);
};

struct MachineConfig {
  int cores = 2;  ///< Default: 2. At least 1, at most 4096.
  Costs costs;
  SchedulerParams scheduler;
  std::string profile;  ///< Path of the profile file that was applied (empty: none).
};

/// Parameters of every GIL policy; each policy reads the ones it lists in the registry.
struct InterpreterConfig {
  std::string gil = "py3";              ///< Default: py3.
  int64_t check_interval = 100;         ///< py2: ticks between checks. Default: 100.
  Time switch_interval = Time::ms(5);   ///< py3: `sys.setswitchinterval`. Default: 5ms.
  int64_t check_every = 1;              ///< py3: ticks between eval-breaker checks. Default: 1.
  bool check_every_set = false;         ///< py310 uses 3 unless the scenario says otherwise
  double nogil_overhead = 0.075;        ///< nogil: extra cost of bytecode. Default: 0.075.
  Time process_spawn = Time::ms(30);    ///< processes: start-up of one process. Default: 30ms.
  int64_t ipc_bytes = 0;                ///< processes: bytes sent to each process. Default: 0.
  Time ipc_per_byte = Time::ns(1);      ///< processes: cost of moving one byte. Default: 1ns.
  /// The step of the clock the program times its loop with: iteration_ns reports each iteration
  /// as the difference of two reads of that clock, each rounded down to a whole step. Python 2's
  /// time.time() is gettimeofday(), in whole microseconds (1us); Python 3's time.perf_counter()
  /// is clock_gettime(CLOCK_MONOTONIC), in nanoseconds. Default: 0, the exact simulated time.
  Time clock_resolution = Time::zero();
};

/// One step of a thread's compiled program.
struct Op {
  enum class Kind : uint8_t { kCpu, kIo, kNative, kNativeGil, kSend, kRecv, kLoopBegin, kLoopEnd, kEnd };
  Kind kind = Kind::kEnd;
  DurationSpec dur;      ///< cpu, io, native, native_gil
  int64_t count = 0;     ///< loop: iterations, -1 for forever
  uint32_t jump = 0;     ///< loop begin: index of its end; loop end: index of its begin
  int32_t chan = -1;     ///< send, recv: index into Scenario::channels

  bool channel() const { return kind == Kind::kSend || kind == Kind::kRecv; }
};

/// Whether a program uses a channel (send or recv).
inline bool uses_channels(const std::vector<Op>& program) {
  for (const Op& op : program)
    if (op.channel()) return true;
  return false;
}

/// Deepest loop nesting a program may use.
inline constexpr int kMaxLoopDepth = 8;

struct ThreadSpec {
  std::string name;          ///< Unique; replicas are `name#0`, `name#1`, ...
  bool daemon = false;       ///< Default: false. Daemon threads do not keep the run alive.
  Time start = Time::zero(); ///< Default: 0.
  /// Ends with kEnd. Replicas of one thread (`count`) share it.
  std::shared_ptr<const std::vector<Op>> program;
  bool forever = false;      ///< The program contains a `loop: "forever"`.
  int process = 0;           ///< The interpreter it runs in: 0 is the main process.
  /// A daemon thread that sends or receives on a channel: a peer outside the measured work (an
  /// echo server, say). It also runs in the serial baseline and beside each thread run alone.
  bool peer() const { return daemon && uses_channels(*program); }
  Time spawn;                ///< CPU work at its start: starting its process (first thread of one).
  /// The cores it may run on, ascending (`sched_setaffinity`, `taskset -c`); empty: any core.
  std::vector<int> affinity;
};

struct Limits {
  uint64_t max_events = 200000000;   ///< Default: 200 million events.
  Time horizon = Time::s(3600);      ///< Default: one simulated hour.
};

struct Scenario {
  std::string file;  ///< Where it was loaded from (for messages).
  std::string name;
  std::string description;
  uint64_t seed = 1;  ///< Default: 1.
  MachineConfig machine;
  InterpreterConfig interpreter;
  std::vector<ThreadSpec> threads;  ///< After `count` replication, processes' threads included.
  int interpreters = 1;             ///< The main one plus one per process of the `processes` block.
  /// Channel names (`send`/`recv` phases); Op::chan indexes this. Scenario-wide, across
  /// processes: a channel is a socket or pipe between any two threads.
  std::vector<std::string> channels;
  Limits limits;
};

}  // namespace gilsim
