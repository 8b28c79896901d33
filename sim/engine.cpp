#include "sim/engine.h"

#include <cassert>

namespace gilsim {

TimerId Engine::make_timer(EventHandler* handler, uint32_t kind, uint32_t arg, uint8_t priority) {
  timers_.push_back(Slot{handler, kind, arg, 0, priority, false, Time::zero()});
  return static_cast<TimerId>(timers_.size() - 1);
}

void Engine::schedule(TimerId t, Time when) {
  assert(when >= now_ && "scheduling into the past");
  Slot& s = timers_[t];
  if (s.pending) retire();
  ++s.gen;
  s.pending = true;
  s.when = when;
  const uint64_t order = (static_cast<uint64_t>(s.priority) << 56) | (seq_++ & ((1ULL << 56) - 1));
  queue_.push(Event{when, order, t, s.gen});
}

void Engine::cancel(TimerId t) {
  Slot& s = timers_[t];
  if (!s.pending) return;
  ++s.gen;
  s.pending = false;
  retire();
}

void Engine::retire() {
  // Retired entries stay in the heap until they surface; when they outnumber the live ones the
  // heap is rebuilt without them, so it never holds more than twice the pending events.
  if (++tombstones_ > 64 && tombstones_ * 2 > queue_.size()) {
    queue_.remove_if([this](const Event& e) { return e.gen != timers_[e.timer].gen || !timers_[e.timer].pending; });
    tombstones_ = 0;
  }
}

RunStatus Engine::run(const RunLimits& limits) {
  stopped_ = false;
  while (!queue_.empty()) {
    const Event& top = queue_.top();
    Slot& s = timers_[top.timer];
    if (top.gen != s.gen || !s.pending) {  // cancelled or rescheduled: a tombstone
      queue_.pop();
      if (tombstones_ > 0) --tombstones_;
      continue;
    }
    if (top.when > limits.horizon) return RunStatus::kHorizon;
    if (events_ >= limits.max_events) return RunStatus::kEventBudget;
    const Event e = queue_.pop();
    now_ = e.when;
    s.pending = false;
    ++events_;
    // Fold the event into the fingerprint (a multiply-xorshift mix; cheap and order sensitive).
    uint64_t h = fingerprint_ ^ static_cast<uint64_t>(e.when.count());
    h = (h ^ (static_cast<uint64_t>(s.kind) << 32 | s.arg)) * 0x9e3779b97f4a7c15ULL;
    fingerprint_ = h ^ (h >> 29);
    // Copied first: a handler that made a timer could move the slot table.
    EventHandler* const handler = s.handler;
    const uint32_t kind = s.kind, arg = s.arg;
    handler->on_event(kind, arg);
    if (after_) after_->on_event(kind, arg);
    if (stopped_) return RunStatus::kStopped;
  }
  return RunStatus::kDrained;
}

}  // namespace gilsim
