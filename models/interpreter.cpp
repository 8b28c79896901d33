#include "models/interpreter.h"

#include <algorithm>
#include <cassert>

#include "models/priorities.h"

namespace gilsim {

namespace {
/// Program steps one thread may take at one instant before it must yield through an event (a
/// loop of zero-length phases would otherwise never let the event budget stop the run).
constexpr int kMaxStepsPerEvent = 4096;
}  // namespace

Interpreter::Interpreter(Engine& engine, const MachineConfig& machine, uint64_t seed, std::vector<ThreadPlan> plans,
                         std::vector<GilPolicy*> policies, Observer& observer)
    : engine_(engine),
      tick_(machine.costs.tick),
      socket_(machine.costs.socket_call),
      wake_(wake_costs(machine.costs)),
      transfer_(machine.costs.gil_transfer),
      gil_(policies.front()->uses_gil()),
      overhead_ppm_(policies.front()->bytecode_overhead_ppm()),
      plans_(std::move(plans)),
      policies_(std::move(policies)),
      obs_(observer),
      os_(engine, machine, seed, static_cast<int>(plans_.size()), *this, observer),
      th_(plans_.size()),
      gil_core_(policies_.size(), -1),
      seed_(seed) {
  for (size_t t = 0; t < th_.size(); ++t) {
    th_[t].io_timer = engine_.make_timer(this, kIoDone, static_cast<uint32_t>(t), prio::kTimer);
    th_[t].start_timer = engine_.make_timer(this, kStart, static_cast<uint32_t>(t), prio::kStart);
  }
  for (size_t t = 0; t < plans_.size(); ++t)
    if (!plans_[t].affinity.empty()) os_.set_affinity(static_cast<int>(t), plans_[t].affinity);
  for (GilPolicy* p : policies_) p->attach(*this, static_cast<int>(th_.size()));
  size_t channels = 0;
  for (const ThreadPlan& p : plans_)
    for (const Segment& s : p.segments)
      for (const Op& op : *s.program)
        if (op.chan >= 0) channels = std::max(channels, static_cast<size_t>(op.chan) + 1);
  chans_.resize(channels);
}

void Interpreter::start() {
  for (size_t t = 0; t < th_.size(); ++t) {
    const ThreadPlan& p = plans_[t];
    Thread& th = th_[t];
    th.prog = p.segments[0].program->data();
    th.rng = Rng::stream(seed_, p.segments[0].stream);
    if (!p.daemon) ++live_;
    engine_.schedule(th.start_timer, p.start);
  }
}

void Interpreter::on_event(uint32_t kind, uint32_t arg) {
  const int t = static_cast<int>(arg);
  Thread& th = th_[t];
  th.step = kStepContinue;
  // A new thread takes the GIL before it runs any Python code (t_bootstrap ->
  // PyEval_AcquireThread); a thread back from I/O takes it again (Py_END_ALLOW_THREADS).
  if (kind == kStart) th.must_take = gil_;
  set_act(t, Act::kNative);  // starting up, or returning from the blocking call: C code, no GIL
  (void)os_.wake(t, kind == kStart ? plans_[t].spawn : Time::zero());
}

void Interpreter::on_burst_end(int t) {
  Thread& th = th_[t];
  const uint8_t s = th.step;
  th.step = kStepContinue;
  switch (s) {
    case kStepContinue:
      proceed(t);
      return;
    case kStepBytecode:
      if (gil_) policy(t).executed(t, th.bc_burst);
      th.phase_left -= th.bc_burst;
      proceed(t);
      return;
    case kStepNativeGil:
      if (gil_) policy(t).executed(t, tick_);  // one long tick
      next_op(th);
      proceed(t);
      return;
    case kStepNativeDone:
      next_op(th);
      th.must_take = true;  // Py_END_ALLOW_THREADS
      proceed(t);
      return;
    case kStepReceived: {  // back in a recv that was woken with data: the copy is done
      const int from = th.recv_from;
      th.recv_from = -1;
      const Time extra = free_buffer(t, from);
      if (extra > Time::zero()) {
        os_.run(t, extra, Exec::kSyscall);  // still in the recv; then kStepContinue
        return;
      }
      proceed(t);
      return;
    }
    default:
      policy(t).step(t, s);
      return;
  }
}

void Interpreter::on_core_change(int t) { refresh(t); }

void Interpreter::next_op(Thread& th) {
  ++th.pc;
  th.phase_started = false;
  th.phase_left = Time::zero();
}

Time Interpreter::scaled(Time bytecode) const {
  if (overhead_ppm_ == 0) return bytecode;
  const int64_t v = bytecode.count();
  return Time::ns(v + (v / 1000000) * overhead_ppm_ + (v % 1000000) * overhead_ppm_ / 1000000);
}

void Interpreter::ask_take(int t) {
  Thread& th = th_[t];
  const WantReason why = !th.had_gil ? WantReason::kStart : th.must_take ? WantReason::kReturn : WantReason::kResume;
  obs_.on_gil_want(engine_.now(), t, why);
  set_act(t, Act::kWantGil);
  th.waiting = true;
  policy(t).take(t);
}

void Interpreter::proceed(int t) {
  Thread& th = th_[t];
  th.stepping = true;
  for (int steps = 0;; ++steps) {
    if (steps == kMaxStepsPerEvent) {  // yield: continue in a fresh event at the same instant
      th.step = kStepContinue;
      os_.run(t, Time::zero());
      break;
    }
    if (th.must_take && !th.holds && gil_) {
      ask_take(t);
      if (th.waiting) break;
      continue;
    }
    if (th.transfer_due) {  // the GIL came from another core: its state follows, GIL in hand
      th.transfer_due = false;
      th.step = kStepContinue;
      os_.run(t, transfer_);
      break;
    }
    const Op& op = th.prog[th.pc];
    if (!th.phase_started) {
      th.phase_started = true;
      if (op.kind <= Op::Kind::kNativeGil) th.phase_left = op.dur.draw(th.rng, tick_);
      if (op.kind == Op::Kind::kCpu) th.phase_left = scaled(th.phase_left);
    }
    switch (op.kind) {
      case Op::Kind::kCpu: {
        if (th.phase_left == Time::zero()) {
          next_op(th);
          continue;
        }
        if (!th.holds && gil_) {
          ask_take(t);
          if (th.waiting) goto out;
          continue;
        }
        const Time budget = gil_ ? policy(t).budget(t) : Time::max();
        if (budget == Time::zero()) {  // the eval loop's check point
          th.waiting = true;
          policy(t).check(t);
          if (th.waiting) goto out;
          continue;
        }
        th.bc_burst = min(th.phase_left, budget);
        set_act(t, Act::kHoldGil);
        th.step = kStepBytecode;
        os_.run(t, th.bc_burst);
        goto out;
      }
      case Op::Kind::kNativeGil:
        if (!th.holds && gil_) {
          ask_take(t);
          if (th.waiting) goto out;
          continue;
        }
        set_act(t, Act::kHoldGil);
        th.step = kStepNativeGil;
        os_.run(t, th.phase_left);
        goto out;
      case Op::Kind::kIo:
      case Op::Kind::kNative:
      case Op::Kind::kSend:
      case Op::Kind::kRecv:
        if (th.holds && gil_) {  // Py_BEGIN_ALLOW_THREADS
          th.waiting = true;
          policy(t).drop(t, DropReason::kVoluntary);
          if (th.waiting) goto out;
          continue;
        }
        if (op.channel()) {
          if (channel_call(t, op)) goto out;
          continue;
        }
        if (op.kind == Op::Kind::kNative) {
          if (th.phase_left == Time::zero()) {
            next_op(th);
            th.must_take = true;
            continue;
          }
          set_act(t, Act::kNative);
          th.step = kStepNativeDone;
          // costs.cold_native: the first such call after a long idle of the core runs cold
          th.phase_left = Time::sat_add(th.phase_left, os_.take_cold_native(t));
          os_.run(t, th.phase_left);
          goto out;
        }
        obs_.on_io(engine_.now(), t);
        th.must_take = true;
        if (th.phase_left == Time::zero()) {  // a call that does not block: straight back
          next_op(th);
          continue;
        }
        engine_.schedule_after(th.io_timer, th.phase_left);
        next_op(th);
        set_act(t, Act::kIo);
        os_.sleep(t);
        goto out;
      case Op::Kind::kLoopBegin:
        if (op.count == 0) {
          th.pc = op.jump;
          next_op(th);
        } else {
          if (th.depth == 0) obs_.on_iteration(engine_.now(), t, true);
          th.loops[th.depth++] = op.count;
          next_op(th);
        }
        continue;
      case Op::Kind::kLoopEnd: {
        int64_t& left = th.loops[th.depth - 1];
        if (th.depth == 1) obs_.on_iteration(engine_.now(), t, false);
        if (left < 0 || --left > 0) {
          th.pc = op.jump;
        } else {
          --th.depth;
        }
        next_op(th);
        continue;
      }
      case Op::Kind::kEnd: {
        const ThreadPlan& p = plans_[t];
        if (th.segment + 1 < p.segments.size()) {
          ++th.segment;
          th.prog = p.segments[th.segment].program->data();
          th.rng = Rng::stream(seed_, p.segments[th.segment].stream);
          th.pc = 0;
          th.phase_started = false;
          continue;
        }
        if (th.holds && gil_) {
          th.waiting = true;
          policy(t).drop(t, DropReason::kExit);
          if (th.waiting) goto out;
          continue;
        }
        finish(t);
        goto out;
      }
    }
  }
out:
  th.stepping = false;
}

bool Interpreter::channel_call(int t, const Op& op) {
  // socket.send / socket.recv (Modules/socketmodule.c sock_call_ex): the system call runs
  // between Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS, like any I/O.
  Thread& th = th_[t];
  Channel& ch = chans_[static_cast<size_t>(op.chan)];
  if (!th.rechecking) obs_.on_io(engine_.now(), t);
  th.rechecking = false;
  th.must_take = true;
  next_op(th);
  Time cost;
  if (op.kind == Op::Kind::kSend) {
    cost = socket_.draw(th.rng, tick_);
    ch.last_sender = t;
    if (ch.head >= 0) {
      // The kernel wakes the first blocked receiver inside the call (sock_def_readable ->
      // wake_up_interruptible_sync_poll: a synchronous wake-up). It copies the data when it runs.
      const int r = ch.head;
      unblock(r);
      th_[r].step = kStepReceived;
      th_[r].recv_from = t;
      set_act(r, Act::kNative);  // back in its recv: C code, no GIL (then Py_END_ALLOW_THREADS)
      cost = Time::sat_add(cost, ipi(os_.wake(r, socket_.draw(th_[r].rng, tick_), t, /*sync=*/true), th.rng));
    } else {
      ++ch.pending;
    }
  } else if (ch.pending > 0) {  // a message is there: the call returns at once
    --ch.pending;
    cost = Time::sat_add(socket_.draw(th.rng, tick_), free_buffer(t, ch.last_sender));
  } else {  // blocks until a send
    th.chan = op.chan;
    th.chan_next = -1;
    if (ch.tail >= 0) th_[ch.tail].chan_next = t;
    else ch.head = t;
    ch.tail = t;
    set_act(t, Act::kIo);
    os_.sleep(t);
    return true;
  }
  if (cost == Time::zero()) return false;
  set_act(t, Act::kNative);
  th.step = kStepContinue;
  os_.run(t, cost, Exec::kSyscall);
  return true;
}

void Interpreter::unblock(int t) {
  Thread& th = th_[t];
  Channel& ch = chans_[static_cast<size_t>(th.chan)];
  int prev = -1;
  for (int q = ch.head; q != t; q = th_[q].chan_next) prev = q;
  if (prev < 0) ch.head = th.chan_next;
  else th_[prev].chan_next = th.chan_next;
  if (ch.tail == t) ch.tail = prev;
  th.chan_next = -1;
  th.chan = -1;
}

Time Interpreter::free_buffer(int t, int sender) {
  // Reading a socket frees the buffer space its writer used: sock_wfree -> sk_write_space
  // (unix_write_space) wakes the writer's socket wait queue with a synchronous wake-up. A writer
  // blocked in recv on that socket sleeps on the same queue (unix_stream_data_wait,
  // autoremove_wake_function: no filtering by event), so it wakes, finds no data and sleeps
  // again. The model takes the writer's blocked recv to be on that socket (a thread's channels
  // are the two directions of one connection).
  if (sender < 0 || sender == t || th_[sender].chan < 0) return Time::zero();
  Thread& s = th_[sender];
  unblock(sender);
  s.pc -= 1;  // back to its recv (next_op moved past it when it blocked)
  s.rechecking = true;
  s.must_take = false;  // still inside the recv: no GIL to take before looking again
  s.step = kStepContinue;
  set_act(sender, Act::kNative);
  return ipi(os_.wake(sender, Time::zero(), t, /*sync=*/true), th_[t].rng);
}

void Interpreter::finish(int t) {
  Thread& th = th_[t];
  th.finished_at = engine_.now();
  set_act(t, Act::kFinished);
  os_.exit(t);
  if (!plans_[t].daemon && --live_ == 0) engine_.stop();
}

void Interpreter::burst(int t, Time work, uint8_t code, Exec exec) {
  th_[t].step = code;
  os_.run(t, work, exec);
}

void Interpreter::sleep(int t, uint8_t code) {
  th_[t].step = code;
  os_.sleep(t);
}

WakeTarget Interpreter::wake(int t, Time work, uint8_t code, int waker) {
  th_[t].step = code;
  return os_.wake(t, work, waker);
}

void Interpreter::done(int t) {
  Thread& th = th_[t];
  th.waiting = false;
  if (!th.stepping) proceed(t);
}

void Interpreter::acquired(int t) {
  Thread& th = th_[t];
  th.holds = true;
  th.had_gil = true;
  th.must_take = false;
  obs_.on_gil(engine_.now(), plans_[t].interp, t);  // first, so the metrics see the wait that ends here
  set_act(t, Act::kHoldGil);
  // costs.gil_transfer: the first Python work after the GIL moved between cores refetches the
  // interpreter's shared state (measured as the excess of a thread's first countdown after a
  // turn on another core over the same on one core: tools/calibrate `handoff`).
  const int last = gil_core_[static_cast<size_t>(plans_[t].interp)];
  if (transfer_ > Time::zero() && last >= 0 && os_.core_of(t) != last) th.transfer_due = true;
}

void Interpreter::released(int t) {
  Thread& th = th_[t];
  th.holds = false;
  // A thread that gives the GIL up at a check point wants it straight back; one that drops it
  // for I/O or C code runs on without it.
  const Op& op = th.prog[th.pc];
  const bool wants_back = op.kind == Op::Kind::kCpu || op.kind == Op::Kind::kNativeGil;
  if (wants_back) obs_.on_gil_want(engine_.now(), t, WantReason::kResume);
  set_act(t, wants_back ? Act::kWantGil : Act::kNative);
  obs_.on_gil(engine_.now(), plans_[t].interp, -1);
  gil_core_[static_cast<size_t>(plans_[t].interp)] = os_.core_of(t);
}

void Interpreter::budget_changed(int t) {
  Thread& th = th_[t];
  if (th.step != kStepBytecode) return;  // not running bytecode: it will ask for the budget
  const Time ran = os_.burst_elapsed(t);
  policy(t).executed(t, ran);
  th.phase_left -= ran;
  th.bc_burst = min(th.phase_left, policy(t).budget(t));
  os_.set_burst_left(t, th.bc_burst);
}

void Interpreter::note(GilEvent e, int t) { obs_.on_gil_event(engine_.now(), e, t); }

void Interpreter::set_act(int t, Act a) {
  th_[t].act = a;
  refresh(t);
}

void Interpreter::refresh(int t) {
  Thread& th = th_[t];
  ThreadState s;
  switch (th.act) {
    case Act::kNotStarted: s = ThreadState::kNotStarted; break;
    case Act::kWantGil: s = ThreadState::kWaitingGil; break;
    case Act::kHoldGil: s = os_.on_core(t) ? ThreadState::kRunningGil : ThreadState::kRunnable; break;
    case Act::kNative: s = os_.on_core(t) ? ThreadState::kRunningNative : ThreadState::kRunnable; break;
    case Act::kIo: s = ThreadState::kIo; break;
    case Act::kFinished: s = ThreadState::kFinished; break;
    default: s = ThreadState::kRunnable; break;
  }
  if (s != th.shown) {
    th.shown = s;
    obs_.on_thread_state(engine_.now(), t, s);
  }
}

}  // namespace gilsim
