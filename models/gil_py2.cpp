#include "models/gil_py2.h"

namespace gilsim {

void Py2Gil::attach(GilHost& host, int threads) {
  host_ = &host;
  w_.assign(static_cast<size_t>(threads), Waiter{});
}

Time Py2Gil::budget(int) const { return ticker_; }

// PyThread_acquire_lock(lock, 1) -> sem_wait(): the fast path takes a free semaphore at once.
void Py2Gil::take(int t) {
  if (!locked_) {
    grab(t);
    host_->done(t);
    return;
  }
  slow_wait(t);
}

// __new_sem_wait_slow: count ourselves in nwaiters, then futex_wait while the value is 0. The
// kernel checks the value, and queues the waiter under the futex hash-bucket lock atomically with
// respect to futex_wake, only once the system call has got that far: a sem_post during the call's
// entry (the part of `syscall` before the compare, split_futex_wait) makes it return EAGAIN, and
// the waiter, back from the call, retries the decrement on its core without sleeping; the holder
// may have taken the value back meanwhile (the retry loop of __new_sem_wait_slow). Traced on 2.7.18 (two counting threads on two cores): the threads hand the
// lock over at nearly every check this way, neither ever sleeping, every futex_wake finding
// nobody to wake.
void Py2Gil::slow_wait(int t) {
  if (!w_[t].slow) {
    w_[t].slow = true;
    ++nwaiters_;
  }
  if (!locked_) {  // the value changed before the call: the decrement succeeds
    grab(t);
    host_->done(t);
    return;
  }
  const FutexWaitCall call = split_futex_wait(draw(p_.syscall));
  w_[t].back = call.back;
  if (call.entry > Time::zero()) {
    host_->burst(t, call.entry, kWaitEntered, Exec::kKernel);
    return;
  }
  sleep_queued(t);
}

void Py2Gil::sleep_queued(int t) {
  w_[t].queued = true;
  w_[t].next = -1;
  if (tail_ >= 0) w_[tail_].next = t;
  else head_ = t;
  tail_ = t;
  host_->sleep(t, kWoken);
}

void Py2Gil::grab(int t) {
  locked_ = true;
  if (w_[t].slow) {
    w_[t].slow = false;
    --nwaiters_;
  }
  if (announced_ == t) return;  // re-acquired at its own check: it never stopped holding
  if (announced_ >= 0) host_->released(announced_);  // taken inside another thread's check window
  announced_ = t;
  host_->acquired(t);
}

// sem_post(): value += 1, then futex_wake(1) if nwaiters != 0. Returns what the releaser pays: a
// bare system call when every counted waiter is already awake (woken earlier, not yet back on a
// core), plus the wake-up when a thread sleeps in the futex queue and goes to an idle core that
// is another core than the releaser's, which must be interrupted (an IPI).
Time Py2Gil::futex_wake(int waker) {
  if (nwaiters_ == 0) return Time::zero();
  if (head_ < 0) return draw(p_.syscall);
  {
    const int q = head_;
    head_ = w_[q].next;
    if (head_ < 0) tail_ = -1;
    w_[q].next = -1;
    w_[q].queued = false;
    const WakeTarget to = host_->wake(q, draw(p_.syscall), kWoken, waker);
    const Time call = draw(p_.syscall);
    return call + ipi(to);
  }
}

// Py_BEGIN_ALLOW_THREADS or thread exit: PyThread_release_lock.
void Py2Gil::drop(int t, DropReason) {
  locked_ = false;
  announced_ = -1;
  host_->released(t);
  const Time cost = futex_wake(t);
  if (cost > Time::zero()) {
    host_->burst(t, cost, kPosted, Exec::kSyscall);
    return;
  }
  host_->done(t);
}

// ceval.c: `if (--_Py_Ticker < 0) { _Py_Ticker = _Py_CheckInterval; ...
// PyThread_release_lock(interpreter_lock); /* Other threads may run now */
// PyThread_acquire_lock(interpreter_lock, 1); }` -- unconditionally, waiter or not. The lock is
// free from the sem_post until the re-acquire, while the releaser is in the futex_wake call.
void Py2Gil::check(int t) {
  ticker_ = p_.interval;
  locked_ = false;
  if (nwaiters_ > 0) host_->note(GilEvent::kCheck, t);
  const Time check_cost = draw(p_.gil_check);
  const Time wake = futex_wake(t);  // zero: no waiter counted, no system call
  host_->burst(t, check_cost + wake, kCheckPosted, wake > Time::zero() ? Exec::kSyscall : Exec::kUser);
}

void Py2Gil::step(int t, uint8_t code) {
  switch (code) {
    case kWoken:  // woken by a sem_post: retry the decrement
      if (!locked_) {
        grab(t);
        host_->done(t);
        return;
      }
      host_->note(GilEvent::kFailedAcquire, t);
      slow_wait(t);  // the value is 0 again: back to futex_wait
      return;
    case kPosted:
      host_->done(t);
      return;
    case kWaitEntered:  // the kernel compares the value: still 0 -> sleep; else EAGAIN
      if (locked_) {
        sleep_queued(t);
        return;
      }
      if (w_[t].back > Time::zero()) {
        host_->burst(t, w_[t].back, kWaitReturned, Exec::kSyscall);
        return;
      }
      [[fallthrough]];
    case kWaitReturned:  // back from EAGAIN: retry the decrement, or wait again if it was retaken
      if (!locked_) {
        grab(t);
        host_->done(t);
        return;
      }
      host_->note(GilEvent::kFailedAcquire, t);
      slow_wait(t);
      return;
    case kCheckPosted:  // PyThread_acquire_lock after the release at a check
      if (!locked_) {
        grab(t);
        host_->done(t);
        return;
      }
      slow_wait(t);  // another thread took the lock inside the window
      return;
  }
}

}  // namespace gilsim
