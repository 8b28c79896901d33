#include "models/os_scheduler.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "models/priorities.h"

namespace gilsim {

OsScheduler::OsScheduler(Engine& engine, const MachineConfig& machine, uint64_t seed, int threads,
                         OsClient& client, Observer& observer)
    : engine_(engine),
      client_(client),
      obs_(observer),
      rng_(Rng::stream(seed, stable_hash("os"))),
      context_switch_(machine.costs.context_switch),
      wakeup_latency_(machine.costs.wakeup_latency),
      resched_latency_(machine.costs.resched_latency.value_or(machine.costs.wakeup_latency)),
      socket_wakeup_latency_(machine.costs.socket_wakeup_latency),
      deep_(machine.costs.deep_idle),
      shallow_(machine.costs.shallow_idle),
      stall_(machine.costs.stall),
      stall_rng_(Rng::stream(seed, stable_hash("stall"))),
      cold_(machine.costs.cold_start),
      cold_native_(machine.costs.cold_native),
      sched_(machine.scheduler),
      tick_(machine.costs.tick),
      threads_(static_cast<size_t>(threads)),
      cores_(static_cast<size_t>(machine.cores)) {
  for (size_t c = 0; c < cores_.size(); ++c) {
    cores_[c].burst_timer = engine_.make_timer(this, kBurstEnd, static_cast<uint32_t>(c), prio::kBurstEnd);
    cores_[c].slice_timer = engine_.make_timer(this, kSliceEnd, static_cast<uint32_t>(c), prio::kSlice);
    cores_[c].balance_timer = engine_.make_timer(this, kBalance, static_cast<uint32_t>(c), prio::kSlice);
    cores_[c].poll_window = deep_.after;
    if (stall_.enabled && !stall_.together)
      cores_[c].stall_timer = engine_.make_timer(this, kStall, static_cast<uint32_t>(c), prio::kTimer);
  }
  // costs.stall with cores "together": one series for the machine (arg: the core count)
  if (stall_.enabled && stall_.together)
    machine_stall_timer_ = engine_.make_timer(this, kStall, static_cast<uint32_t>(cores_.size()), prio::kTimer);
  // sysctl_sched_base_slice: 0.75ms scaled like every CFS/EEVDF tunable by 1 + ilog2(min(ncpus, 8))
  // (update_sysctl, SCHED_TUNABLESCALING_LOG).
  int scale = 1;
  for (int n = std::min(machine.cores, 8); n > 1; n >>= 1) ++scale;
  slice_ = sched_.base_slice > Time::zero() ? sched_.base_slice.count() : Time::us(750).count() * scale;
  idle_bits_.assign((cores_.size() + 63) / 64, 0);
  for (size_t c = 0; c < cores_.size(); ++c) update_idle(static_cast<int>(c));
  for (const SlowPoint& p : machine.costs.cold_slow) {
    slow_excess_.push_back({p.idle, p.excess});
    slow_ppm_.push_back({p.idle, Time::ns(p.ppm)});
  }
  for (size_t t = 0; t < threads_.size(); ++t)
    threads_[t].wake_timer = engine_.make_timer(this, kWakeArrive, static_cast<uint32_t>(t), prio::kWakeArrive);
}

void OsScheduler::on_event(uint32_t kind, uint32_t arg) {
  switch (kind) {
    case kBurstEnd: {
      Core& core = cores_[arg];
      const int t = core.current;
      assert(t >= 0);
      Thread& th = threads_[t];
      spend_slow(th, th.left);
      th.left = Time::zero();
      th.exec_from = engine_.now();
      if (core.sync_wakee >= 0) {
        // The burst was the system call that woke a reader synchronously onto this core: on the
        // way back to user space the reader runs first. The current thread resumes later with
        // its burst done, and only then hears of it.
        const int w = core.sync_wakee;
        core.sync_wakee = -1;
        if (threads_[w].state == kQueued && threads_[w].core == static_cast<int>(arg)) {
          run_next(static_cast<int>(arg), w);
          break;
        }
      }
      if (core.resched && th.exec == Exec::kSyscall) {
        // Back to user mode with a reschedule pending: exit_to_user_mode_loop calls schedule()
        // before the thread runs on; it hears of its call's end when it is back on a core.
        core.resched = false;
        if (repick_switches(core)) {
          preempt(static_cast<int>(arg));
          break;
        }
      }
      th.exec = Exec::kUser;
      in_callback_ = static_cast<int>(arg);
      client_.on_burst_end(t);
      in_callback_ = -1;
      assert((th.state != kRunning || engine_.pending(core.burst_timer)) && "client left a thread without work");
      if (core.preempt_due) {  // a wake-up preemption that arrived during the callback
        core.preempt_due = false;
        if (sched_.resched_ipi && core.current == t && th.exec == Exec::kSyscall) {
          // The wake-up came from inside a system call (a futex wake, a socket write): the
          // waker finishes the call and switches on its way back to user mode.
          core.resched = true;
        } else if (core.current >= 0 && !core.queue.empty() &&
            (sched_.eevdf ? renew_deadline(core) || pick_eevdf(core, true) != core.current
                          : current_vruntime(core) - threads_[core.queue.back()].vruntime >
                                sched_.wakeup_granularity.count()))
          preempt(static_cast<int>(arg));
      }
      break;
    }
    case kSliceEnd: {
      Core& core = cores_[arg];
      if (core.current < 0 || core.queue.empty()) break;
      // EEVDF: at a tick the running thread that has used up its request gets a new deadline and
      // the core picks again (entity_tick -> update_curr -> update_deadline -> resched_curr).
      if (!sched_.eevdf || renew_deadline(core)) preempt(static_cast<int>(arg));
      else arm_slice(static_cast<int>(arg));
      break;
    }
    case kWakeArrive:
      arrive(static_cast<int>(arg));
      break;
    case kBalance:  // the tick's idle balance: the queued threads may have gone cold by now
      dispatch(static_cast<int>(arg));
      break;
    case kStall: {
      if (arg == cores_.size()) {  // the host pauses the whole machine: every core at once
        bool busy = false;
        for (const Core& c : cores_) busy = busy || c.current >= 0;
        if (!busy) break;  // all idle: the next thread put on a core arms the next one
        const Time now = engine_.now();
        const Time d = stall_.length.draw(stall_rng_, tick_);
        for (size_t c = 0; c < cores_.size(); ++c) stall_core(static_cast<int>(c), now, d);
        engine_.schedule(machine_stall_timer_, Time::sat_add(Time::sat_add(now, d), stall_.every.draw(stall_rng_, tick_)));
        break;
      }
      // The host takes the vCPU away: the thread on it makes no progress for `d`, so what it had
      // left resumes at now + d (its burst, and any switch or cold stall still ahead, move by d).
      Core& core = cores_[arg];
      if (core.current < 0) break;  // idle: the next thread put on the core arms the next one
      const Time now = engine_.now();
      const Time d = stall_.length.draw(stall_rng_, tick_);
      stall_core(static_cast<int>(arg), now, d);
      engine_.schedule(core.stall_timer, Time::sat_add(Time::sat_add(now, d), stall_.every.draw(stall_rng_, tick_)));
      break;
    }
  }
}

void OsScheduler::stall_core(int c, Time now, Time d) {
  Core& core = cores_[c];
  core.stalled_until = std::max(core.stalled_until, Time::sat_add(now, d));
  if (core.current < 0 || d == Time::zero()) return;
  Thread& th = threads_[core.current];
  th.exec_from = Time::sat_add(th.exec_from, d);
  engine_.schedule(core.burst_timer, Time::sat_add(th.exec_from, wall_of(th, th.left)));
}

void OsScheduler::arm_stall(int c) {
  if (stall_.enabled && stall_.together) {
    if (!engine_.pending(machine_stall_timer_))
      engine_.schedule(machine_stall_timer_, Time::sat_add(start_after_stall(c, engine_.now()), stall_.every.draw(stall_rng_, tick_)));
    return;
  }
  if (stall_.enabled && !engine_.pending(cores_[c].stall_timer))
    engine_.schedule(cores_[c].stall_timer,
                     Time::sat_add(start_after_stall(c, engine_.now()), stall_.every.draw(stall_rng_, tick_)));
}

void OsScheduler::run(int t, Time work, Exec exec) {
  Thread& th = threads_[t];
  assert(th.state == kRunning);
  th.exec = exec;
  th.left = work;
  th.len = work;
  th.exec_from = start_after_stall(th.core, engine_.now());
  engine_.schedule(cores_[th.core].burst_timer, Time::sat_add(th.exec_from, wall_of(th, work)));
}

void OsScheduler::sleep(int t) {
  const int c = threads_[t].core;
  if (sched_.eevdf) {
    // dequeue_entity -> update_entity_lag: lag = V - vruntime, clamped to +-max(2 slices, a tick).
    const int64_t v = avg_vruntime(cores_[c]);
    const int64_t limit = std::max(2 * slice_, sched_.tick_period.count());
    Thread& th = threads_[t];
    th.vlag = std::clamp(v - current_vruntime(cores_[c]), -limit, limit);
  }
  leave_core(t);
  threads_[t].state = kBlocked;
  ++threads_[t].voluntary;
  client_.on_core_change(t);
  dispatch(c);
}

void OsScheduler::exit(int t) {
  const int c = threads_[t].core;
  leave_core(t);
  threads_[t].state = kExited;
  client_.on_core_change(t);
  dispatch(c);
}

__extension__ typedef __int128 Wide;

Time OsScheduler::cold_stall(const std::vector<ColdPoint>& table, Time idle) {
  Time x0 = Time::zero(), y0 = Time::zero();
  for (const ColdPoint& p : table) {
    if (idle <= p.idle) {  // linear between (x0, y0) and p; both spans below 2^53 ns
      const Wide num = static_cast<Wide>((p.stall - y0).count()) * (idle - x0).count();
      return y0 + Time::ns(static_cast<int64_t>(num / (p.idle - x0).count()));
    }
    x0 = p.idle;
    y0 = p.stall;
  }
  return y0;
}

Time OsScheduler::work_of(const Thread& th, Time wall) {
  if (th.slow_left == Time::zero()) return wall;
  const Time slow_wall = Time::sat_add(th.slow_left, Time::ns(slow_extra(th.slow_left.count(), th.slow_ppm)));
  if (wall >= slow_wall) return th.slow_left + (wall - slow_wall);
  return Time::ns(static_cast<int64_t>(static_cast<Wide>(wall.count()) * 1000000 / (1000000 + th.slow_ppm)));
}

void OsScheduler::open_slow(Thread& th, Time idle) const {
  const int64_t ppm = cold_stall(slow_ppm_, idle).count();
  const Time excess = cold_stall(slow_excess_, idle);
  if (ppm <= 0 || excess == Time::zero()) return;
  if (th.slow_left > Time::zero() && slow_extra(th.slow_left.count(), th.slow_ppm) >= excess.count()) return;
  th.slow_ppm = ppm;
  th.slow_left = Time::ns(static_cast<int64_t>(static_cast<Wide>(excess.count()) * 1000000 / ppm));
}

Time OsScheduler::burst_elapsed(int t) const {
  const Thread& th = threads_[t];
  Time done = th.len - th.left;
  if (th.state == kRunning && engine_.now() > th.exec_from) done += work_of(th, engine_.now() - th.exec_from);
  return done;
}

void OsScheduler::set_burst_left(int t, Time left) {
  Thread& th = threads_[t];
  if (th.state == kRunning && engine_.now() > th.exec_from) {
    spend_slow(th, std::min(th.left, work_of(th, engine_.now() - th.exec_from)));
    th.exec_from = engine_.now();
  }
  th.len = left;
  th.left = left;
  if (th.state != kRunning) return;
  engine_.schedule(cores_[th.core].burst_timer, Time::sat_add(th.exec_from, wall_of(th, left)));
}

WakeTarget OsScheduler::wake(int t, Time work, int waker, bool sync) {
  Thread& th = threads_[t];
  assert(th.state == kBlocked);
  th.left = work;
  th.len = work;
  th.exec = Exec::kSyscall;  // the blocking call's way back to user mode (a new thread's start-up, likewise)
  th.state = kWaking;
  th.sync_waker = sync && waker >= 0 && threads_[waker].state == kRunning ? waker : -1;
  const int c = pick_wake_core(t);
  th.target = c;
  obs_.on_wake(engine_.now(), t, waker, c);
  const bool remote = waker >= 0 && threads_[waker].state == kRunning && threads_[waker].core != c;
  WakeTarget to = remote ? WakeTarget::kRemote : WakeTarget::kLocal;
  if (idle(cores_[c])) {
    const Time idle_for = engine_.now() - cores_[c].vacant_since;
    // costs.shallow_idle: the core's last thread left it so recently that the wake-up needs no
    // interrupt (the idle loop's polling entry, do_idle; or a halt the host is still polling
    // for). Its halt, if any, still counts for the host's adaptive poll window.
    // The window's end is drawn per wake-up when it is a distribution (a fixed one draws
    // nothing from the stream).
    const bool shallow = shallow_.enabled && cores_[c].last >= 0 && idle_for < shallow_.before.draw(rng_, tick_);
    // costs.deep_idle: the host stopped polling for this halted vCPU (kvm_vcpu_halt) and must
    // schedule it back in. Idle since its last thread left (since the start if it never had one).
    const bool deep = deep_.enabled && halt_ends_deep(cores_[c], idle_for) && !shallow;  // the window updated either way
    if (deep && remote) to = WakeTarget::kDeepIdle;
    if (shallow && remote) to = WakeTarget::kShallowIdle;
    ++cores_[c].incoming;  // reserve the idle core for this thread while the wake-up travels
    th.reserved = true;
    update_idle(c);
    // costs.socket_wakeup_latency: a reader woken by its socket peer (sock_def_readable or
    // unix_write_space -> wake_up_interruptible_sync_poll, the sync wake-ups) onto a core that
    // is not deep takes the latency measured for that pattern (tools/calibrate, sockhop).
    const DurationSpec& spec = deep ? deep_.wakeup_latency
                               : sync && socket_wakeup_latency_ ? *socket_wakeup_latency_
                               : shallow ? shallow_.wakeup_latency : wakeup_latency_;
    const Time latency = spec.draw(rng_, tick_);
    if (latency > Time::zero()) {
      engine_.schedule_after(th.wake_timer, latency);
      return to;
    }
  } else if (remote && sched_.resched_ipi) {
    // A busy core of another cache domain: the waker puts the thread on that core's wake list
    // and interrupts it (ttwu_queue_wakelist, TTWU_QUEUE); the core queues it in the interrupt
    // (sched_ttwu_pending), and only then may it preempt.
    const Time latency = resched_latency_.draw(rng_, tick_);
    if (latency > Time::zero()) {
      engine_.schedule_after(th.wake_timer, latency);
      return to;
    }
  }
  arrive(t);
  return to;
}

void OsScheduler::arrive(int t) {
  Thread& th = threads_[t];
  const int c = th.target;
  Core& core = cores_[c];
  if (th.reserved) {
    --core.incoming;
    th.reserved = false;
  }
  if (sched_.eevdf) {
    place_eevdf(t, c, true);
  } else {
    // Place the thread in the target core's virtual time (CFS place_entity): keep its lag
    // relative to the minimum when it migrates, and give a sleeper at most `sleeper_credit` of
    // advantage.
    if (th.core < 0) th.vruntime = core.min_vruntime;
    else if (th.core != c) th.vruntime = th.vruntime - cores_[th.core].min_vruntime + core.min_vruntime;
    const int64_t floor = core.min_vruntime - sched_.sleeper_credit.count();
    if (th.vruntime < floor) th.vruntime = floor;
  }
  th.core = c;
  enqueue(c, t);
  if (core.current < 0) {
    dispatch(c);
    return;
  }
  client_.on_core_change(t);
  const int sync_waker = th.sync_waker;
  th.sync_waker = -1;
  if (sync_waker >= 0 && core.current == sync_waker && sched_.wakeup_preemption) {
    core.sync_wakee = t;  // runs when the waker's system call ends
    arm_slice(c);
    return;
  }
  if (sched_.wakeup_preemption &&
      (sched_.eevdf ? eevdf_preempts(core, t) : current_vruntime(core) - th.vruntime > sched_.wakeup_granularity.count())) {
    // The running thread may be in its burst-end callback right now (it woke this one): it is
    // preempted once the callback has given it its next burst.
    if (c == in_callback_) core.preempt_due = true;
    else if (sched_.resched_ipi && threads_[core.current].exec != Exec::kUser) core.resched = true;
    else preempt(c);
  } else {
    arm_slice(c);
  }
}

void OsScheduler::enqueue(int c, int t) {
  Core& core = cores_[c];
  threads_[t].state = kQueued;
  threads_[t].core = c;
  // Sorted by descending (vruntime, id): the next to run is at the back.
  auto& q = core.queue;
  const int64_t v = threads_[t].vruntime;
  size_t i = q.size();
  q.push_back(t);
  while (i > 0) {
    const Thread& o = threads_[q[i - 1]];
    if (o.vruntime > v || (o.vruntime == v && q[i - 1] > t)) break;
    q[i] = q[i - 1];
    --i;
  }
  q[i] = t;
  ++queued_;
  update_min_vruntime(core);
  update_idle(c);
}

int64_t OsScheduler::current_vruntime(const Core& c) const {
  const Thread& th = threads_[c.current];
  return th.vruntime + (engine_.now() - th.run_start).count();
}

void OsScheduler::update_min_vruntime(Core& c) {
  bool any = false;
  int64_t m = 0;
  if (c.current >= 0) {
    m = current_vruntime(c);
    any = true;
  }
  if (!c.queue.empty()) {
    const int64_t q = threads_[c.queue.back()].vruntime;
    m = any ? std::min(m, q) : q;
    any = true;
  }
  if (any && m > c.min_vruntime) c.min_vruntime = m;
}

void OsScheduler::dispatch(int c) {
  Core& core = cores_[c];
  if (core.current >= 0) return;
  if (core.queue.empty() && steal_for(c) < 0) return;  // stays idle
  auto& q = core.queue;
  int t = q.back();
  if (sched_.eevdf) {
    // pick_next_entity: a sync wakee first (the next buddy), else pick_eevdf.
    t = core.next >= 0 && threads_[core.next].state == kQueued && threads_[core.next].core == c ? core.next
                                                                                                   : pick_eevdf(core, false);
    core.next = -1;
  }
  q.erase(std::find(q.begin(), q.end(), t));
  --queued_;
  Thread& th = threads_[t];
  const Time now = engine_.now();
  const Time ctx = core.last == t ? Time::zero() : context_switch_;
  if (core.last != t) ++core.switches;
  core.current = t;
  engine_.cancel(core.balance_timer);
  th.state = kRunning;
  th.core = c;
  th.run_start = now;
  // A core that has idled (after its first thread) lost its caches to whatever the host ran on
  // it meanwhile: the thread's first work, its wait's return path and the code after it, takes
  // costs.cold_start longer. Like the context switch, the stall comes before the burst's work.
  const Time stall = cold_.empty() || core.last < 0 ? Time::zero() : cold_stall(cold_, now - core.vacant_since);
  th.cold_idle = core.last < 0 ? Time::zero() : now - core.vacant_since;  // for costs.cold_native
  // costs.cold_slow: then it runs slower until it has lost the table's excess to the idle
  if (!slow_ppm_.empty() && th.cold_idle > Time::zero()) open_slow(th, th.cold_idle);
  th.exec_from = start_after_stall(c, now) + ctx + stall;
  engine_.schedule(core.burst_timer, Time::sat_add(th.exec_from, wall_of(th, th.left)));
  arm_slice(c);
  arm_stall(c);
  update_idle(c);
  obs_.on_core(now, c, t);
  client_.on_core_change(t);
}

void OsScheduler::leave_core(int t) {
  Thread& th = threads_[t];
  Core& core = cores_[th.core];
  assert(core.current == t);
  const Time now = engine_.now();
  const Time ran = now - th.run_start;
  core.busy += ran;
  th.oncore += ran;
  th.vruntime += ran.count();
  if (now > th.exec_from) {
    const Time done = std::min(th.left, work_of(th, now - th.exec_from));
    spend_slow(th, done);
    th.left = th.left - done;
  }
  core.current = -1;
  core.last = t;
  core.vacant_since = now;
  th.left_core = now;
  th.ran = true;
  engine_.cancel(core.burst_timer);
  engine_.cancel(core.slice_timer);
  core.resched = false;  // blocking or preempted: schedule() has run, the request is spent
  update_min_vruntime(core);
  update_idle(th.core);
  obs_.on_core(now, th.core, -1);
}

void OsScheduler::preempt(int c) {
  const int t = cores_[c].current;
  leave_core(t);
  ++threads_[t].involuntary;
  enqueue(c, t);
  client_.on_core_change(t);
  dispatch(c);
}

void OsScheduler::run_next(int c, int t) {
  // Put `t` at the head of the run queue (the lowest virtual runtime, below the current's), then
  // switch to it.
  Core& core = cores_[c];
  if (sched_.eevdf) {  // the next buddy: taken by the next pick, its virtual time untouched
    core.next = t;
    preempt(c);
    return;
  }
  auto& q = core.queue;
  q.erase(std::find(q.begin(), q.end(), t));
  int64_t v = std::min(threads_[t].vruntime, current_vruntime(core));
  if (!q.empty()) v = std::min(v, threads_[q.back()].vruntime);
  threads_[t].vruntime = v - 1;  // strictly first in (vruntime, id) order
  q.push_back(t);
  preempt(c);
}

void OsScheduler::arm_slice(int c) {
  Core& core = cores_[c];
  if (core.current < 0 || core.queue.empty() || engine_.pending(core.slice_timer)) return;
  if (sched_.eevdf) {  // the first tick at which the running thread has reached its deadline
    const Time reach = Time::sat_add(engine_.now(), Time::ns(std::max<int64_t>(
                                                         0, threads_[core.current].deadline - current_vruntime(core))));
    engine_.schedule(core.slice_timer, next_tick(reach));
    return;
  }
  const Time end = threads_[core.current].run_start + sched_.timeslice;
  engine_.schedule(core.slice_timer, max(end, engine_.now()));
}

Time OsScheduler::next_tick(Time at) const {
  const int64_t tick = sched_.tick_period.count();
  const int64_t n = at.count() / tick + (at.count() % tick != 0);
  return n > std::numeric_limits<int64_t>::max() / tick ? Time::max() : Time::ns(n * tick);
}

// The core's runnable threads (all of weight 1: nice 0), the running one included: their count
// and the sum of their virtual runtimes counted from the core's minimum (cfs_rq->sum_w_vruntime,
// kept small that way).
OsScheduler::Load OsScheduler::load(const Core& c) const {
  Load l{c.min_vruntime, 0, 0, c.current >= 0 ? current_vruntime(c) : 0};
  if (c.current >= 0) {
    l.sum += l.cur_v - l.base;
    ++l.n;
  }
  for (const int32_t t : c.queue) {
    l.sum += threads_[t].vruntime - l.base;
    ++l.n;
  }
  return l;
}

// avg_vruntime: V, the average virtual runtime of the core's runnable threads.
int64_t OsScheduler::avg_vruntime(const Core& c) const {
  const Load l = load(c);
  if (l.n == 0) return l.base;
  return l.base + (l.sum >= 0 ? l.sum / l.n : -((-l.sum + l.n - 1) / l.n));
}

// __pick_eevdf: with RUN_TO_PARITY (`protect`) the running thread keeps the core while it is
// eligible and short of its deadline; otherwise the eligible thread (vruntime <= V, lag >= 0)
// with the earliest virtual deadline, the running one winning ties, then the lowest id.
int OsScheduler::pick_eevdf(const Core& c, bool protect) const {
  const Load l = load(c);
  const int64_t cur_v = l.cur_v;
  auto eligible = [&](int64_t v) { return (v - l.base) * l.n <= l.sum; };  // vruntime_eligible
  const bool cur_ok = c.current >= 0 && eligible(cur_v);
  if (cur_ok && protect && cur_v < threads_[c.current].deadline) return c.current;
  int best = cur_ok ? c.current : -1;
  int lowest = c.current;  // if nothing were eligible (rounding): the lowest virtual runtime
  for (const int32_t t : c.queue) {
    const Thread& th = threads_[t];
    if (lowest < 0 || th.vruntime < (lowest == c.current ? cur_v : threads_[lowest].vruntime)) lowest = t;
    if (!eligible(th.vruntime)) continue;
    if (best < 0 || th.deadline < threads_[best].deadline || (th.deadline == threads_[best].deadline && best != c.current && t < best))
      best = t;
  }
  return best >= 0 ? best : lowest;
}

// update_deadline: the running thread whose virtual runtime has reached its deadline gets its
// next request (deadline = vruntime + slice); true: it must reschedule.
bool OsScheduler::renew_deadline(Core& c) {
  const int64_t v = current_vruntime(c);
  Thread& th = threads_[c.current];
  if (v < th.deadline) return false;
  th.deadline = v + slice_;
  return true;
}

// place_entity (PLACE_LAG): a woken thread keeps the lag it had when it blocked, scaled so that
// adding it does not move V (lag x (n + 1) / n), and asks for a full slice (a new thread for half
// of one: PLACE_DEADLINE_INITIAL). DELAY_DEQUEUE keeps a sleeper with negative lag on its queue
// until it is eligible, where it is dequeued with lag 0 (DELAY_ZERO); gilsim lets the negative lag
// shrink at half the wall-clock rate while it sleeps (V's pace with one other thread running).
void OsScheduler::place_eevdf(int t, int c, bool asleep) {
  Core& core = cores_[c];
  Thread& th = threads_[t];
  const int64_t n = (core.current >= 0 ? 1 : 0) + static_cast<int64_t>(core.queue.size());
  int64_t lag = th.ran ? th.vlag : 0;
  if (lag < 0 && asleep) lag = std::min<int64_t>(0, lag + (engine_.now() - th.left_core).count() / 2);
  th.vruntime = n == 0 ? core.min_vruntime : avg_vruntime(core) - lag * (n + 1) / n;
  th.deadline = th.vruntime + (th.ran ? slice_ : slice_ / 2);
}

// A reschedule asked earlier (TIF_NEED_RESCHED) is acted on: __schedule -> pick_next_task. It
// switches when the pick is another thread than the running one: EEVDF's pick_eevdf after
// update_curr (a used-up request gets its next deadline), CFS's leftmost virtual runtime.
bool OsScheduler::repick_switches(Core& c) {
  if (c.current < 0 || c.queue.empty()) return false;
  if (sched_.eevdf) return renew_deadline(c) || pick_eevdf(c, true) != c.current;
  return threads_[c.queue.back()].vruntime < current_vruntime(c);
}

// check_preempt_wakeup_fair: update the running thread (a used-up request reschedules), then
// preempt when pick_eevdf, slice protection included, would take the woken thread.
bool OsScheduler::eevdf_preempts(Core& c, int woken) { return renew_deadline(c) || pick_eevdf(c, true) == woken; }

// A wake-up ends the core's halt of `halted`: whether the host had stopped polling for it, and
// (costs.deep_idle.adaptive) how the host's poll window for it changes (kvm_vcpu_halt: `if
// (halt_ns <= halt_poll_ns) ; else if (halt_poll_ns && halt_ns > max) shrink; else if
// (halt_poll_ns < max && halt_ns < max) grow`). Measured on the validation VM (gilsim's
// halt-poll probe, docs/validation-measurements.md "The host's poll window adapts"): a wake-up
// after 30us of idle takes 9.6us after short idles and 36-49us after one or more 5ms idles, and
// is fast again from the fourth 30us idle on (window 0, 10, 20, 40us).
bool OsScheduler::halt_ends_deep(Core& core, Time halted) {
  if (!deep_.adaptive) return halted >= deep_.after;
  Time& w = core.poll_window;
  if (halted < w) return false;
  if (w > Time::zero() && halted >= deep_.after) {
    w = Time::zero();  // halt_poll_ns_shrink 0
  } else if (w < deep_.after && halted < deep_.after) {
    const Time doubled = Time::ns(w.count() * 2);
    const Time grown = doubled < Time::us(10) ? Time::us(10) : doubled;  // grow 2, grow_start 10us
    w = grown < deep_.after ? grown : deep_.after;
  }
  return true;
}

void OsScheduler::set_affinity(int t, const std::vector<int>& cores) {
  if (allow_.empty()) allow_.assign(threads_.size() * idle_bits_.size(), 0);
  uint64_t* mask = &allow_[static_cast<size_t>(t) * idle_bits_.size()];
  std::fill(mask, mask + idle_bits_.size(), uint64_t{0});
  for (const int c : cores) {
    assert(c >= 0 && c < static_cast<int>(cores_.size()));
    mask[static_cast<size_t>(c) >> 6] |= uint64_t{1} << (c & 63);
  }
  threads_[t].pinned = !cores.empty();
}

// Linux's select_task_rq_fair considers only the cores of p->cpus_ptr (the affinity mask) and
// falls back to its first allowed core (select_fallback_rq). The unpinned instance tests nothing
// per core: a wake-up is on the event loop's path.
template <bool kPinned>
int OsScheduler::pick_core(int t) const {
  auto ok = [&](int c) {
    if constexpr (kPinned) return allowed(t, c);
    else return true;
  };
  const int prev = threads_[t].core;
  if (prev >= 0 && ok(prev) && idle(cores_[prev])) return prev;
  for (size_t w = 0; w < idle_bits_.size(); ++w) {
    uint64_t bits = idle_bits_[w];
    if constexpr (kPinned) bits &= allow_word(t, w);
    if (bits) return static_cast<int>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
  }
  // No idle core: the least loaded one, the previous core winning ties.
  int best = prev >= 0 && ok(prev) ? prev : 0;
  if constexpr (kPinned)
    if (!ok(best)) best = first_allowed(t);
  auto load = [&](int c) { return cores_[c].queue.size() + (cores_[c].current >= 0) + cores_[c].incoming; };
  for (size_t c = 0; c < cores_.size(); ++c)
    if (ok(static_cast<int>(c)) && load(static_cast<int>(c)) < load(best)) best = static_cast<int>(c);
  return best;
}

int OsScheduler::first_allowed(int t) const {
  for (size_t w = 0;; ++w)
    if (const uint64_t bits = allow_word(t, w)) return static_cast<int>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
}

// Linux's idle balance (kernel/sched/fair.c sched_balance_newidle -> detach_tasks ->
// can_migrate_task): a queued thread that ran on its core within `migration_cost` is cache-hot
// (task_hot) and stays where it is. The coldest queued thread elsewhere (the earliest to have left
// its core; a thread that never ran is coldest; then the lowest id) moves here. When only hot
// ones wait, the core stays idle until the first scheduler tick at which one of them has gone
// cold: the busy core's tick kicks the nohz idle balance (nohz_balancer_kick), which pulls it.
int OsScheduler::steal_for(int c) {
  if (queued_ == 0) return -1;
  const Time now = engine_.now();
  auto cold_at = [&](int t) {
    return threads_[t].ran ? Time::sat_add(threads_[t].left_core, sched_.migration_cost) : Time::zero();
  };
  int from = -1, pick = -1;
  size_t at = 0;
  Time hot_until = Time::max();
  for (size_t o = 0; o < cores_.size(); ++o) {
    if (static_cast<int>(o) == c) continue;
    const auto& q = cores_[o].queue;
    for (size_t i = 0; i < q.size(); ++i) {
      const int t = q[i];
      if (!allowed(t, c)) continue;  // can_migrate_task: not in its cpus_ptr
      const Time cold = cold_at(t);
      if (cold > now) {
        hot_until = std::min(hot_until, cold);
      } else if (pick < 0 || cold < cold_at(pick) || (cold == cold_at(pick) && t < pick)) {
        pick = t;
        from = static_cast<int>(o);
        at = i;
      }
    }
  }
  if (pick < 0) {
    if (hot_until != Time::max()) {  // the first tick at or after the first of them goes cold
      const Time when = next_tick(hot_until);
      Core& core = cores_[c];
      if (!engine_.pending(core.balance_timer) || engine_.when(core.balance_timer) > when)
        engine_.schedule(core.balance_timer, when);
    }
    return -1;
  }
  Thread& th = threads_[pick];
  const int64_t lag = sched_.eevdf ? avg_vruntime(cores_[from]) - th.vruntime : 0;  // migrate_task_rq_fair
  auto& q = cores_[from].queue;
  q.erase(q.begin() + static_cast<std::ptrdiff_t>(at));
  --queued_;
  update_min_vruntime(cores_[from]);
  update_idle(from);
  if (sched_.eevdf) {
    const int64_t deadline_left = th.deadline - th.vruntime;
    th.vlag = lag;
    place_eevdf(pick, c, false);
    th.deadline = th.vruntime + deadline_left;  // the request it was queued with
  } else {
    th.vruntime = th.vruntime - cores_[from].min_vruntime + cores_[c].min_vruntime;
  }
  enqueue(c, pick);
  return pick;
}

OsScheduler::CoreStats OsScheduler::core_stats(int c) const {
  const Core& core = cores_[c];
  Time busy = core.busy;
  if (core.current >= 0) busy += engine_.now() - threads_[core.current].run_start;
  return {busy, core.switches};
}

Time OsScheduler::oncore_time(int t) const {
  const Thread& th = threads_[t];
  return th.state == kRunning ? th.oncore + (engine_.now() - th.run_start) : th.oncore;
}

}  // namespace gilsim
