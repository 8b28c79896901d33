#include "models/invariants.h"

#include <atomic>

#include "models/gil_py2.h"
#include "models/gil_py3.h"
#include "models/gil_policy.h"
#include "models/interpreter.h"
#include "models/metrics.h"

namespace gilsim {

namespace {

#ifdef GILSIM_INVARIANTS
std::atomic<bool> g_checking{true};
#else
std::atomic<bool> g_checking{false};
#endif

using S = ThreadState;
constexpr int idx(S s) { return static_cast<int>(s); }

/// kLegal[from][to]: the transitions the interpreter and the OS scheduler can make.
constexpr auto kLegal = [] {
  std::array<std::array<bool, kThreadStateCount>, kThreadStateCount> t{};
  auto allow = [&](S from, std::initializer_list<S> to) {
    for (S s : to) t[idx(from)][idx(s)] = true;
  };
  allow(S::kNotStarted, {S::kRunnable});                        // started: queued for a core
  allow(S::kRunnable, {S::kRunningGil, S::kRunningNative,       // put on a core
                       S::kWaitingGil});                        // py2: lost the GIL inside its check window while preempted
  allow(S::kRunningGil, {S::kRunnable,                          // preempted, still holding
                         S::kWaitingGil,                        // dropped at a check, wants it back
                         S::kRunningNative});                   // dropped for I/O, C code or exit
  allow(S::kRunningNative, {S::kRunnable, S::kWaitingGil,       // preempted; wants the GIL back
                            S::kIo, S::kFinished});             // blocks in I/O; ends
  allow(S::kWaitingGil, {S::kRunningGil});                      // took the GIL (always on its core)
  allow(S::kIo, {S::kRunnable});                                // the call returned: woken
  return t;
}();

/// kLegalNoGil: with a policy without a GIL (nogil, one-thread processes) threads run bytecode
/// (kRunningGil) without taking anything, so they also move between bytecode and C code, I/O
/// and their end directly.
constexpr auto kLegalNoGil = [] {
  auto t = kLegal;
  t[idx(S::kRunningNative)][idx(S::kRunningGil)] = true;
  t[idx(S::kRunningGil)][idx(S::kIo)] = true;
  t[idx(S::kRunningGil)][idx(S::kFinished)] = true;
  return t;
}();

std::string time_str(Time t) { return std::to_string(t.count()) + "ns"; }

}  // namespace

bool invariant_checking() { return g_checking.load(std::memory_order_relaxed); }
void set_invariant_checking(bool on) { g_checking.store(on, std::memory_order_relaxed); }

bool legal_transition(ThreadState from, ThreadState to, bool gil) {
  return (gil ? kLegal : kLegalNoGil)[idx(from)][idx(to)];
}

InvariantViolation::InvariantViolation(uint64_t event, Time when, const std::string& what, std::string state)
    : std::logic_error(what),
      event_(event),
      when_(when),
      line_("invariant violated at event " + std::to_string(event) + ", t=" + time_str(when) + ": " + what),
      state_(std::move(state)) {}

InvariantChecker::InvariantChecker(const Engine& engine, int threads)
    : engine_(engine), th_(static_cast<size_t>(threads)), in_(1) {}

void InvariantChecker::attach(const Interpreter& ix, const std::vector<GilPolicy*>& policies, const Metrics* metrics) {
  ix_ = &ix;
  metrics_ = metrics;
  interpreters_ = static_cast<int>(policies.size());
  for (size_t t = 0; t < th_.size(); ++t) th_[t].interp = ix.interp(static_cast<int>(t));
  for (const GilPolicy* p : policies) {
    gil_ = gil_ && p->uses_gil();
    if (const auto* p2 = dynamic_cast<const Py2Gil*>(p)) py2_.push_back(p2);
    if (const auto* p3 = dynamic_cast<const Py3Gil*>(p)) {
      py3_.push_back(p3);
      switch_interval_ = p3->params().interval;
    }
  }
}

void InvariantChecker::fail(const std::string& what) const {
  throw InvariantViolation(engine_.events(), engine_.now(), what, dump());
}

void InvariantChecker::see(Time now, const char* what, int t) {
  if (now < last_) fail(std::string(what) + " at " + time_str(now) + " after " + time_str(last_) + ": time went back");
  if (now != engine_.now()) fail(std::string(what) + " reported at " + time_str(now) + ", not at the engine's time");
  if (t < -1 || t >= static_cast<int>(th_.size())) fail(std::string(what) + " names thread " + std::to_string(t) + ", which does not exist");
  last_ = now;
}

InvariantChecker::Interp& InvariantChecker::interp(int i) {
  if (i < 0 || i >= interpreters_) fail("GIL of interpreter " + std::to_string(i) + ", which cannot exist");
  if (static_cast<size_t>(i) >= in_.size()) in_.resize(static_cast<size_t>(i) + 1);
  return in_[static_cast<size_t>(i)];
}

void InvariantChecker::on_thread_state(Time now, int t, ThreadState s) {
  see(now, "on_thread_state", t);
  if (t < 0) fail("on_thread_state for no thread");
  Thread& th = th_[t];
  if (!legal_transition(th.state, s, gil_))
    fail("thread " + std::to_string(t) + " went from " + state_name(th.state) + " to " + state_name(s) +
         ", which is not a legal transition");
  if (s == S::kWaitingGil) th.wait_since = now;
  th.state = s;
  th.since = now;
}

void InvariantChecker::on_gil(Time now, int i, int holder) {
  see(now, "on_gil", holder);
  Interp& g = interp(i);
  if (holder < 0) {
    g.holder = -1;
    return;
  }
  if (g.holder >= 0)
    fail("thread " + std::to_string(holder) + " took the GIL of interpreter " + std::to_string(i) + " while thread " +
         std::to_string(g.holder) + " holds it");
  if (ix_ && th_[holder].interp != i)
    fail("thread " + std::to_string(holder) + " of interpreter " + std::to_string(th_[holder].interp) +
         " took the GIL of interpreter " + std::to_string(i));
  th_[holder].interp = i;
  g.holder = holder;
  if (holder != g.last_holder) g.last_switch = now;
  g.last_holder = holder;
}

void InvariantChecker::on_gil_event(Time now, GilEvent e, int t) {
  see(now, "on_gil_event", t);
  if (e != GilEvent::kDropRequest || switch_interval_.is_max()) return;
  // CPython sets gil_drop_request only when a waiter's timed wait of one interval expired and
  // switch_number did not change since the wait began.
  if (t < 0) fail("a drop request with no holder");
  const Interp& g = interp(th_[t].interp);
  if (g.holder != t) fail("a drop request names thread " + std::to_string(t) + ", which does not hold the GIL");
  if (now - g.last_switch < switch_interval_)
    fail("a drop request " + time_str(now - g.last_switch) + " after the last switch, less than the interval " +
         time_str(switch_interval_));
  for (size_t w = 0; w < th_.size(); ++w)
    if (static_cast<int>(w) != t && th_[w].state == S::kWaitingGil && th_[w].interp == th_[t].interp &&
        now - th_[w].wait_since >= switch_interval_)
      return;
  fail("a drop request without a thread that has waited one interval (" + time_str(switch_interval_) + ") for the GIL");
}

void InvariantChecker::on_core(Time now, int core, int t) {
  see(now, "on_core", t);
  if (ix_ && (core < 0 || core >= ix_->os().cores())) fail("on_core names core " + std::to_string(core) + ", which does not exist");
}

void InvariantChecker::on_event(uint32_t, uint32_t) {
  if (engine_.now() < last_) fail("the engine's time went back from " + time_str(last_));
  last_ = engine_.now();
  if (ix_) check_models();
}

void InvariantChecker::check_models() {
  const OsScheduler& os = ix_->os();
  const Time now = engine_.now();
  const int n = static_cast<int>(th_.size());
  int running = 0;
  for (int t = 0; t < n; ++t) {
    const Thread& th = th_[t];
    auto who = [t] { return "thread " + std::to_string(t); };
    if (ix_->state(t) != th.state)
      fail(who() + " is " + state_name(ix_->state(t)) + " but last reported " + state_name(th.state));
    const bool on_state = th.state == S::kRunningGil || th.state == S::kRunningNative;
    if (on_state) {
      ++running;
      if (!os.on_core(t)) fail(who() + " is " + state_name(th.state) + " but not on a core");
    }
    if (ix_->holds(t)) {
      const Interp& g = in_[static_cast<size_t>(th.interp)];
      if (g.holder != t) fail(who() + " holds a GIL whose holder is thread " + std::to_string(g.holder));
      // A holder may be preempted (Runnable), never asleep: nobody else could take the GIL.
      if (os.sleeping(t)) fail(who() + " holds the GIL while asleep");
      if (th.state != S::kRunningGil && th.state != S::kRunnable)
        fail(who() + " holds the GIL while " + state_name(th.state));
    }
    if (metrics_) {
      const ThreadMetrics& m = metrics_->thread(t);
      Time sum = now - m.since;
      for (Time x : m.in_state) sum += x;
      if (sum != now) fail(who() + "'s state times add up to " + time_str(sum) + ", not its lifetime " + time_str(now));
      if (m.state != th.state) fail(who() + " is " + state_name(th.state) + " in the metrics' view: " + state_name(m.state));
      Time on = m.in_state[idx(S::kRunningGil)] + m.in_state[idx(S::kRunningNative)];
      if (on_state) on += now - m.since;
      if (on > os.oncore_time(t))
        fail(who() + " ran " + time_str(on) + " but was on a core only " + time_str(os.oncore_time(t)));
    }
  }
  for (size_t i = 0; i < in_.size(); ++i) {
    const int h = in_[i].holder;
    if (h >= 0 && !ix_->holds(h)) fail("thread " + std::to_string(h) + " was announced as the GIL holder but does not hold it");
  }
  if (running > os.cores())
    fail(std::to_string(running) + " threads running on " + std::to_string(os.cores()) + " cores");
  for (int c = 0; c < os.cores(); ++c) {
    const int t = os.running_on(c);
    if (t >= 0 && (!os.on_core(t) || os.core_of(t) != c))
      fail("core " + std::to_string(c) + " runs thread " + std::to_string(t) + ", which is not on it");
  }
  for (const Py2Gil* g : py2_)
    if (g->ticker() < Time::zero() || g->ticker() > g->params().interval)
      fail("the py2 ticker is " + time_str(g->ticker()) + ", outside [0, " + time_str(g->params().interval) + "]");
}

std::string InvariantChecker::dump() const {
  std::string s = "  time " + time_str(engine_.now()) + ", event " + std::to_string(engine_.events()) + "\n";
  for (size_t i = 0; i < in_.size(); ++i)
    s += "  GIL " + std::to_string(i) + ": holder " + std::to_string(in_[i].holder) + ", last holder " +
         std::to_string(in_[i].last_holder) + ", last switch " + time_str(in_[i].last_switch) + "\n";
  for (size_t t = 0; t < th_.size(); ++t) {
    if (t == 64) {
      s += "  ... and " + std::to_string(th_.size() - t) + " more threads\n";
      break;
    }
    s += "  thread " + std::to_string(t) + ": " + state_name(th_[t].state) + " since " + time_str(th_[t].since);
    if (ix_) {
      const OsScheduler& os = ix_->os();
      const int ti = static_cast<int>(t);
      s += std::string(ix_->holds(ti) ? ", holds the GIL" : "") + (os.on_core(ti) ? ", on core " : ", last core ") +
           std::to_string(os.core_of(ti)) + (os.sleeping(ti) ? ", asleep" : "");
    }
    s += "\n";
  }
  if (ix_)
    for (int c = 0; c < ix_->os().cores() && c < 64; ++c) s += "  core " + std::to_string(c) + ": thread " + std::to_string(ix_->os().running_on(c)) + "\n";
  for (const Py2Gil* g : py2_) s += "  py2 ticker " + time_str(g->ticker()) + " of " + time_str(g->params().interval) + "\n";
  for (const Py3Gil* g : py3_) s += std::string("  py3 drop request ") + (g->drop_requested() ? "set" : "clear") + "\n";
  return s;
}

}  // namespace gilsim
