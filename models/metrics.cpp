#include "models/metrics.h"

namespace gilsim {

void Metrics::on_thread_state(Time now, int t, ThreadState s) {
  ThreadMetrics& m = th_[t];
  m.in_state[static_cast<size_t>(m.state)] += now - m.since;
  if (s == ThreadState::kWaitingGil && m.state != ThreadState::kWaitingGil) m.wait_since = now;
  m.state = s;
  m.since = now;
}

void Metrics::on_gil_want(Time, int t, WantReason r) {
  ThreadMetrics& m = th_[t];
  m.reason = r;
  const int h = holder_[static_cast<size_t>(interp_of(t))];
  m.blocker = h == t ? -1 : h;
}

void Metrics::blame(ThreadMetrics& m, int holder, Time waited) {
  if (holder < 0 || waited == Time::zero()) return;
  Blocker* smallest = &m.blockers[0];
  for (Blocker& b : m.blockers) {
    if (b.thread == holder) {
      b.waited += waited;
      return;
    }
    if (b.thread < 0) {
      b = {holder, waited};
      return;
    }
    if (b.waited < smallest->waited) smallest = &b;
  }
  *smallest = {holder, smallest->waited + waited};
}

void Metrics::on_gil(Time now, int interp, int holder) {
  int& current = holder_[static_cast<size_t>(interp)];
  int& last = last_holder_[static_cast<size_t>(interp)];
  if (current >= 0) {
    ThreadMetrics& old = th_[static_cast<size_t>(current)];
    old.gil_held += now - old.held_since;
    gil_.held += now - old.held_since;
    old.holding = false;
  }
  current = holder;
  if (holder < 0) return;
  ThreadMetrics& m = th_[holder];
  m.holding = true;
  m.held_since = now;
  ++m.acquisitions;
  if (holder != last && last >= 0) ++gil_.switches;
  last = holder;
  // The wait began when the thread started wanting the GIL; a thread that gets it at once waited 0.
  const Time waited = m.state == ThreadState::kWaitingGil ? now - m.wait_since : Time::zero();
  m.latency.record(waited.count());
  if (m.reason == WantReason::kReturn) m.return_latency.record(waited.count());
  if (waited > m.longest_wait) m.longest_wait = waited;
  blame(m, m.blocker, waited);
  m.blocker = -1;
}

void Metrics::on_gil_event(Time, GilEvent e, int t) {
  switch (e) {
    case GilEvent::kDropRequest: ++gil_.drop_requests; break;
    case GilEvent::kForcedSwitch:
      ++gil_.forced_switches;
      if (t >= 0) ++th_[t].forced_drops;
      break;
    case GilEvent::kFailedAcquire:
      ++gil_.failed_acquires;
      if (t >= 0) ++th_[t].failed_acquires;
      break;
    case GilEvent::kCheck: ++gil_.contended_checks; break;
  }
}

void Metrics::finish(Time now) {
  for (auto& m : th_) {
    m.in_state[static_cast<size_t>(m.state)] += now - m.since;
    m.since = now;
  }
  for (int h : holder_) {
    if (h < 0) continue;
    ThreadMetrics& m = th_[static_cast<size_t>(h)];
    m.gil_held += now - m.held_since;
    gil_.held += now - m.held_since;
    m.held_since = now;
  }
}

}  // namespace gilsim
