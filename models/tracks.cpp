#include "models/tracks.h"

namespace gilsim {

namespace {
/// Thread states drawn as intervals; not-started and finished threads show nothing.
int shown_value(ThreadState s) {
  return s == ThreadState::kNotStarted || s == ThreadState::kFinished ? -1 : static_cast<int>(s);
}
}  // namespace

TrackObserver::TrackObserver(int threads, int cores, Window w)
    : threads_(static_cast<size_t>(threads)),
      cores_(static_cast<size_t>(cores)),
      gils_(1),
      state_(static_cast<size_t>(threads), static_cast<int8_t>(ThreadState::kNotStarted)),
      w_(w) {}

void TrackObserver::on_thread_state(Time now, int t, ThreadState s) {
  const auto old = static_cast<ThreadState>(state_[t]);
  if (old == ThreadState::kWaitingGil) count(Counter::kWaitingGil, now, -1);
  if (old == ThreadState::kRunnable) count(Counter::kRunnable, now, -1);
  if (s == ThreadState::kWaitingGil) count(Counter::kWaitingGil, now, +1);
  if (s == ThreadState::kRunnable) count(Counter::kRunnable, now, +1);
  state_[t] = static_cast<int8_t>(s);
  change(Track::kThread, t, threads_[t], now, shown_value(s));
}

void TrackObserver::on_gil(Time now, int interp, int holder) {
  if (interp >= static_cast<int>(gils_.size())) gils_.resize(static_cast<size_t>(interp) + 1);
  change(Track::kGil, interp, gils_[interp], now, holder);
}

void TrackObserver::on_gil_event(Time now, GilEvent e, int t) {
  if (w_.contains(now)) mark(now, e, t);
}

void TrackObserver::on_core(Time now, int core, int t) { change(Track::kCore, core, cores_[core], now, t); }

void TrackObserver::change(Track track, int index, Open& o, Time now, int value) {
  // Several changes at one instant leave zero-length states behind: they are dropped here.
  if (o.value >= 0 && now > o.since) close(track, index, o, o.since, now);
  o.value = value;
  o.since = now;
}

void TrackObserver::close(Track track, int index, Open& o, Time from, Time to) {
  from = max(from, w_.from);
  to = min(to, w_.to);
  if (to <= from) return;
  if (o.done_value == o.value && o.done_to == from) {
    o.done_to = to;
    return;
  }
  flush(track, index, o);
  o.done_value = o.value;
  o.done_from = from;
  o.done_to = to;
}

void TrackObserver::flush(Track track, int index, Open& o) {
  if (o.done_value >= 0) slice(track, index, o.done_value, o.done_from, o.done_to);
  o.done_value = -1;
}

void TrackObserver::count(Counter c, Time now, int delta) {
  Count& k = counts_[static_cast<size_t>(c)];
  if (now > k.since) {
    // k.value held over [k.since, now): show it if that span reaches into the window.
    if (k.value != k.shown && now > w_.from && k.since < w_.to) {
      counter(c, max(k.since, w_.from), k.value);
      k.shown = k.value;
    }
    k.since = now;
  }
  k.value += delta;
}

void TrackObserver::close_all(Time end) {
  for (size_t i = 0; i < threads_.size(); ++i) {
    change(Track::kThread, static_cast<int>(i), threads_[i], end, -1);
    flush(Track::kThread, static_cast<int>(i), threads_[i]);
  }
  for (size_t i = 0; i < cores_.size(); ++i) {
    change(Track::kCore, static_cast<int>(i), cores_[i], end, -1);
    flush(Track::kCore, static_cast<int>(i), cores_[i]);
  }
  for (size_t i = 0; i < gils_.size(); ++i) {
    change(Track::kGil, static_cast<int>(i), gils_[i], end, -1);
    flush(Track::kGil, static_cast<int>(i), gils_[i]);
  }
  for (int c = 0; c < kCounterCount; ++c) count(static_cast<Counter>(c), end, 0);
}

}  // namespace gilsim
