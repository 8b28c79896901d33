#include "models/gil_py3.h"

#include "models/priorities.h"

namespace gilsim {

void Py3Gil::attach(GilHost& host, int threads) {
  host_ = &host;
  w_.assign(static_cast<size_t>(threads), Waiter{});
  for (int t = 0; t < threads; ++t) w_[t].timer = host.engine().make_timer(this, 0, static_cast<uint32_t>(t), prio::kTimer);
}

// take_gil(): `if (!locked) goto _ready;` else a timed wait on gil->cond.
void Py3Gil::take(int t) {
  if (!locked_) {
    ready(t);
    return;
  }
  wait(t);
}

// COND_TIMED_WAIT(gil->cond, gil->mutex, interval, timed_out): saved_switchnum is taken first;
// the deadline is now + interval. The waiter holds gil->mutex from its check of `locked` until
// pthread_cond_timedwait has registered it as a waiter (glibc nptl pthread_cond_wait.c,
// __pthread_cond_wait_common: the group's waiter count, then the mutex is released), so the check
// and the enqueue are one step; the futex_wait on the group's signal word comes after the mutex
// is released, and a signal before its compare makes it return at once (below). The futex call
// out of a real sleep is charged when the waiter comes back.
void Py3Gil::wait(int t) {
  Waiter& w = w_[t];
  w.saved_switch = switch_number_;
  w.timed_out = false;
  cond_push(t);
  // futex_wait with an absolute timeout: an hrtimer with the thread's timer slack, so the wait
  // ends up to timer_slack after the deadline.
  host_->engine().schedule_after(w.timer, Time::sat_add(p_.interval, draw(p_.timer_slack)));
  // pthread_cond_timedwait releases gil->mutex before its futex_wait compares the condition's
  // signal word: a drop_gil signal in between makes the call return at once (EAGAIN), and the
  // waiter re-checks `locked` without having slept. The window is the futex call's entry, up to
  // its compare (split_futex_wait); an early return then costs the rest of the call.
  const FutexWaitCall call = split_futex_wait(draw(p_.syscall));
  if (call.entry > Time::zero()) {
    w.entering = true;
    w.woken_early = false;
    w.back = call.back;
    host_->burst(t, call.entry, kCondEntered, Exec::kKernel);
    return;
  }
  host_->sleep(t, kCondWoken);
}

// The timed wait expired: the waiter is woken by the kernel and re-checks.
void Py3Gil::on_event(uint32_t, uint32_t arg) {
  const int t = static_cast<int>(arg);
  cond_remove(t);
  w_[t].timed_out = true;
  if (w_[t].entering) {  // still on its core going to sleep: it returns from the call instead
    w_[t].woken_early = true;
    return;
  }
  host_->wake(t, draw(p_.syscall), kCondWoken);
}

void Py3Gil::step(int t, uint8_t code) {
  switch (code) {
    case kCondWoken: {
      Waiter& w = w_[t];
      // "If we timed out and no switch occurred in the meantime, it is time to ask the
      // GIL-holding thread to drop it."
      if (w.timed_out && locked_ && switch_number_ == w.saved_switch) {
        const bool asked = drop_request_ || asker_ >= 0;  // another waiter asked already
        request_drop();
        if (asked) {
          wait(t);
          return;
        }
        // The asker goes back to COND_TIMED_WAIT, but until its futex wait it holds gil->mutex,
        // which the holder's drop_gil needs, and a holder at a check point sees the request at
        // once: the GIL comes free while the asker is still on its core, and it takes it without
        // sleeping; the dropper, held up on the mutex meanwhile, then finds last_holder changed
        // and skips the switch_cond wait (traced on 3.11.7, docs/data/trace-echo-3.11.7.txt).
        // The window is the cost of going back to sleep: one futex call.
        asker_ = t;
        host_->burst(t, draw(p_.syscall), kAskerBack, Exec::kUser);
        return;
      }
      if (locked_) {
        if (!w.timed_out) host_->note(GilEvent::kFailedAcquire, t);  // signalled, but beaten to it
        wait(t);                                                     // while (locked): wait again
        return;
      }
      ready(t);
      return;
    }
    case kSignalled:
      after_signal(t);
      return;
    case kSwitchWoken:
    case kSwitchSignalled:
      host_->done(t);
      return;
    case kCondEntered: {  // the futex call has compared the signal word
      Waiter& w = w_[t];
      w.entering = false;
      if (!w.woken_early) {
        host_->sleep(t, kCondWoken);
        return;
      }
      // EAGAIN (or the deadline passed): the call returns, and the waiter re-checks as if woken.
      if (w.back > Time::zero()) {
        host_->burst(t, w.back, kCondWoken, Exec::kSyscall);
        return;
      }
      step(t, kCondWoken);
      return;
    }
    case kAskerBack:  // the holder did not drop in time: the asker sleeps on the condition
      asker_ = -1;
      if (locked_) {
        wait(t);
        return;
      }
      ready(t);
      return;
  }
}

void Py3Gil::request_drop() {
  if (drop_request_) return;
  drop_request_ = true;  // SET_GIL_DROP_REQUEST: the eval breaker
  host_->note(GilEvent::kDropRequest, holder_);
  host_->budget_changed(holder_);
}

// take_gil()'s _ready: locked = 1; a new holder bumps switch_number; COND_SIGNAL(switch_cond);
// RESET_GIL_DROP_REQUEST. With a dropper waiting on switch_cond (a forced switch), the signal is
// a futex wake of a sleeping thread: the new holder pays it, GIL in hand, before it runs on.
void Py3Gil::ready(int t, bool own_event) {
  locked_ = true;
  holder_ = t;
  if (t != last_holder_) {
    last_holder_ = t;
    ++switch_number_;
  }
  Time cost;
  if (switch_waiter_ >= 0) {
    const int s = switch_waiter_;
    switch_waiter_ = -1;
    const WakeTarget to = host_->wake(s, draw(p_.syscall), kSwitchWoken, t);
    cost = draw(p_.syscall);
    cost = Time::sat_add(cost, ipi(to));
  }
  drop_request_ = false;
  host_->acquired(t);
  // Called for another thread (the asker, from the dropper's step), `t` goes on from an event of
  // its own, so that it runs its program from its own burst's end.
  if (cost > Time::zero() || !own_event) {
    host_->burst(t, cost, kSwitchSignalled, cost > Time::zero() ? Exec::kSyscall : Exec::kUser);
    return;
  }
  host_->done(t);
}

void Py3Gil::drop(int t, DropReason why) { do_drop(t, why != DropReason::kExit); }

// drop_gil(): last_holder = tstate; locked = 0; COND_SIGNAL(gil->cond). Then, under
// FORCE_SWITCHING, `if (gil_drop_request && tstate != NULL)` and no other thread has taken the GIL
// yet, wait on switch_cond: the dropper cannot win the GIL straight back. The request is checked
// whatever the reason for dropping, so a voluntary release with a request pending waits too.
void Py3Gil::do_drop(int t, bool may_wait) {
  locked_ = false;
  holder_ = -1;
  last_holder_ = t;
  host_->released(t);
  w_[t].may_wait = may_wait;
  if (asker_ >= 0 && host_->on_core(asker_)) {  // the asker, still on its core, takes the GIL at once
    const int a = asker_;
    asker_ = -1;
    ready(a, /*own_event=*/false);
    // The dropper's COND_SIGNAL still wakes the oldest thread asleep on the condition (the asker
    // went back to it later), which will find the GIL taken. The signal and the mutex hand-off
    // overlap the asker's take: by the time the dropper is back in take_gil the GIL is the
    // asker's, so it goes straight to its timed wait (in the trace, before the asker's next
    // release).
    if (head_ >= 0) (void)signal_cond(t);
    after_signal(t);
    return;
  }
  // pthread_cond_signal makes no system call without waiters; with one, the signaller pays the
  // futex wake of a sleeping thread.
  if (signal_cond(t)) {
    const Time call = draw(p_.syscall);
    const Time cost = Time::sat_add(call, ipi(signal_to_));  // another core must be interrupted
    if (cost > Time::zero()) {
      host_->burst(t, cost, kSignalled, Exec::kSyscall);
      return;
    }
  }
  after_signal(t);
}

void Py3Gil::after_signal(int t) {
  if (w_[t].may_wait && drop_request_ && last_holder_ == t) {
    drop_request_ = false;  // RESET_GIL_DROP_REQUEST, then COND_WAIT(switch_cond)
    switch_waiter_ = t;
    host_->sleep(t, kSwitchWoken);
    return;
  }
  host_->done(t);
}

// The eval loop saw gil_drop_request: drop_gil() then take_gil() (eval_frame_handle_pending).
void Py3Gil::check(int t) {
  if (drop_request_ && holder_ == t) {
    host_->note(GilEvent::kForcedSwitch, t);
    do_drop(t, true);
    return;
  }
  host_->done(t);
}

Time Py3Gil::budget(int t) const {
  if (!drop_request_ || holder_ != t) return Time::max();
  const int64_t q = p_.check_quantum.count();
  if (q <= 0) return Time::zero();
  const int64_t r = w_[t].bc_done.count() % q;
  return r == 0 ? Time::zero() : Time::ns(q - r);
}

bool Py3Gil::signal_cond(int signaller) {
  if (head_ < 0) return false;
  const int q = head_;
  cond_remove(q);
  host_->engine().cancel(w_[q].timer);
  w_[q].timed_out = false;
  if (w_[q].entering) {  // not asleep yet: its futex_wait will return at once; nobody to wake
    w_[q].woken_early = true;
    signal_to_ = WakeTarget::kLocal;
    return true;
  }
  signal_to_ = host_->wake(q, draw(p_.syscall), kCondWoken, signaller);
  return true;
}

void Py3Gil::cond_push(int t) {
  Waiter& w = w_[t];
  w.in_cond = true;
  w.prev = tail_;
  w.next = -1;
  if (tail_ >= 0) w_[tail_].next = t;
  else head_ = t;
  tail_ = t;
}

void Py3Gil::cond_remove(int t) {
  Waiter& w = w_[t];
  if (!w.in_cond) return;
  w.in_cond = false;
  if (w.prev >= 0) w_[w.prev].next = w.next;
  else head_ = w.next;
  if (w.next >= 0) w_[w.next].prev = w.prev;
  else tail_ = w.prev;
  w.prev = w.next = -1;
}

}  // namespace gilsim
