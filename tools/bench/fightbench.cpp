// gilsim-fightbench: Python 2.7's GIL fight without the interpreter, every futex call counted and
// timed. Linux only.
//
//   gilsim-fightbench [--work NS,NS,...] [--ns-per-work NS] [--repeats R] [--quick] [--compare-only]
//
// Two threads pinned to CPUs 0 and 1 each loop { work(W); release; acquire } on one semaphore,
// the way CPython 2.7's eval loop releases and re-takes the GIL at every check (Python/ceval.c,
// "if (--_Py_Ticker < 0)"), with the semaphore of Python/thread_pthread.h (USE_SEMAPHORES).
// The semaphore is glibc's algorithm written out (nptl/sem_post.c, nptl/sem_waitcommon.c: value
// and nwaiters in one 64-bit word; sem_post makes a FUTEX_WAKE when nwaiters != 0; the slow path
// counts itself in nwaiters and loops { futex_wait while the value is 0; try the decrement }), so
// that each futex call can be classified by its outcome and timed. `work` is a register-only
// loop: no memory shared with the other thread but the semaphore's word.
//
// For each W it prints one JSON object per line: the single-thread time per check (the same
// loop, nobody waiting), the two-thread time per check, how many checks handed the lock over,
// the futex calls by outcome with their costs, and the time from the start of a FUTEX_WAKE that
// woke the other thread until that thread's futex_wait returned. tools/validate/fight turns these
// into gilsim scenarios (the model's costs from the same run) and compares.
//
// Then one object for the futex_wait compare point: the other thread calls futex_wait(&w, 0)
// at time 0 and this one stores w = 1 at time d; the call returns EAGAIN when the store came
// before the kernel's compare (kernel/futex/waitwake.c, futex_wait_setup).
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "tail_end.h"

namespace {

long futex(void* addr, int op, int val) { return syscall(SYS_futex, addr, op, val, nullptr, nullptr, 0); }

// glibc's new semaphore on a 64-bit machine: value in the low 32 bits (the futex word on
// little-endian), nwaiters in the high 32 bits.
alignas(64) std::atomic<uint64_t> sem{1};
alignas(64) std::atomic<int64_t> woke_at{0};  // start of the last FUTEX_WAKE that woke someone
std::atomic<int> holder{-1};
constexpr uint64_t kOneWaiter = uint64_t{1} << 32;

struct Stats {
  int64_t checks = 0, switches = 0;
  std::vector<int64_t> wake_woke, wake_nobody, latency;  // ns
  int64_t waits = 0, slept = 0, eagain = 0;
};

void post(Stats& s) {
  const uint64_t d = sem.fetch_add(1, std::memory_order_release);
  if ((d >> 32) == 0) return;
  const int64_t t0 = now_ns();
  const long r = futex(&sem, FUTEX_WAKE_PRIVATE, 1);
  const int64_t c = now_ns() - t0;
  if (r > 0) {
    woke_at.store(t0, std::memory_order_release);
    s.wake_woke.push_back(c);
  } else {
    s.wake_nobody.push_back(c);
  }
}

void acquire(Stats& s) {
  uint64_t d = sem.load(std::memory_order_relaxed);
  while (static_cast<uint32_t>(d) > 0)
    if (sem.compare_exchange_weak(d, d - 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
  d = sem.fetch_add(kOneWaiter, std::memory_order_relaxed) + kOneWaiter;
  for (;;) {
    if (static_cast<uint32_t>(d) == 0) {
      ++s.waits;
      const int64_t t0 = now_ns();
      const long r = futex(&sem, FUTEX_WAIT_PRIVATE, 0);
      const int64_t t1 = now_ns();
      if (r == 0) {
        ++s.slept;
        // The waker stores its call's start just after the call returns: wait for it (bounded).
        int64_t w = 0;
        for (int k = 0; k < 200000 && (w = woke_at.load(std::memory_order_acquire)) < t0; ++k) {
        }
        if (w >= t0 && t1 >= w) s.latency.push_back(t1 - w);
      } else if (errno == EAGAIN) {
        ++s.eagain;
      }
      d = sem.load(std::memory_order_relaxed);
    }
    if (static_cast<uint32_t>(d) > 0 &&
        sem.compare_exchange_weak(d, d - 1 - kOneWaiter, std::memory_order_acquire, std::memory_order_relaxed))
      return;
  }
}

void fighter(int id, int cpu, int64_t checks, uint64_t iters, Stats* s) {
  pin(cpu);
  acquire(*s);
  for (int64_t i = 0;; ++i) {
    if (holder.exchange(id, std::memory_order_relaxed) != id) ++s->switches;
    if (i == checks) break;
    work(iters);
    post(*s);
    acquire(*s);
  }
  s->checks = checks;
  post(*s);
}

// Quantiles sampled finely in the tail: the model interpolates linearly between two points, and
// these distributions have a few wakes of milliseconds (a vCPU descheduled by the host); spread
// over p99..p100 they would weigh a hundred times what they do. p100 is the end point that gives
// the last segment its samples' mean (tail_end.h); the maximum is KEY_max.
void print_quantiles(const char* key, std::vector<int64_t> v, bool last) {
  std::sort(v.begin(), v.end());
  std::printf("\"%s\": [", key);
  const double ps[] = {0, 1, 5, 10, 25, 50, 75, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99, 100};
  const long n = static_cast<long>(v.size());
  const auto at = [n](double p) { return static_cast<long>(static_cast<double>(n - 1) * p / 100.0); };
  for (size_t i = 0; i < std::size(ps); ++i) {
    const int64_t x = v.empty() ? 0 : i + 1 == std::size(ps) ? tail_end(v.data(), n, at(ps[i - 1])) : v[static_cast<size_t>(at(ps[i]))];
    std::printf("%s[%g, %ld]", i ? ", " : "", ps[i], static_cast<long>(x));
  }
  std::printf("], \"%s_max\": %ld%s", key, v.empty() ? 0L : static_cast<long>(v.back()), last ? "" : ", ");
}

void fight(double work_ns, double ns_per_iter, int64_t budget_ns, int repeat) {
  const uint64_t iters = static_cast<uint64_t>(work_ns / ns_per_iter + 0.5);
  const int64_t checks = std::max<int64_t>(1000, static_cast<int64_t>(budget_ns / work_ns));
  // The work alone, and one thread alone (the same loop, its semaphore calls uncontended).
  int64_t t = now_ns();
  for (int64_t i = 0; i < checks; ++i) work(iters);
  const double work_per_check = static_cast<double>(now_ns() - t) / checks;
  Stats alone;
  sem.store(1);
  holder.store(-1);
  t = now_ns();
  std::thread a1(fighter, 0, 0, 2 * checks, iters, &alone);
  a1.join();
  const double seq = static_cast<double>(now_ns() - t) / (2.0 * checks);
  Stats s[2];
  sem.store(1);
  holder.store(-1);
  woke_at.store(0);
  t = now_ns();
  std::thread f0(fighter, 0, 0, checks, iters, &s[0]);
  std::thread f1(fighter, 1, 1, checks, iters, &s[1]);
  f0.join();
  f1.join();
  const double thr = static_cast<double>(now_ns() - t) / (2.0 * checks);
  Stats z;
  for (const Stats& x : s) {
    z.switches += x.switches;
    z.waits += x.waits;
    z.slept += x.slept;
    z.eagain += x.eagain;
    z.wake_woke.insert(z.wake_woke.end(), x.wake_woke.begin(), x.wake_woke.end());
    z.wake_nobody.insert(z.wake_nobody.end(), x.wake_nobody.begin(), x.wake_nobody.end());
    z.latency.insert(z.latency.end(), x.latency.begin(), x.latency.end());
  }
  std::printf("{\"what\": \"fight\", \"work_ns\": %.0f, \"repeat\": %d, \"checks\": %ld, \"work_per_check_ns\": %.1f, "
              "\"alone_per_check_ns\": %.1f, \"fight_per_check_ns\": %.1f, \"switches\": %ld, "
              "\"wake_woke\": %zu, \"wake_woke_p50_ns\": %ld, \"wake_nobody\": %zu, \"wake_nobody_p50_ns\": %ld, "
              "\"futex_waits\": %ld, \"slept\": %ld, \"eagain\": %ld, ",
              work_ns, repeat, static_cast<long>(2 * checks), work_per_check, seq, thr, static_cast<long>(z.switches - 1),
              z.wake_woke.size(), static_cast<long>(pct(z.wake_woke, 50)), z.wake_nobody.size(),
              static_cast<long>(pct(z.wake_nobody, 50)), static_cast<long>(z.waits), static_cast<long>(z.slept),
              static_cast<long>(z.eagain));
  print_quantiles("wake_woke_ns", z.wake_woke, false);
  print_quantiles("wake_nobody_ns", z.wake_nobody, false);
  print_quantiles("wake_to_return_ns", z.latency, true);
  std::printf("}\n");
  std::fflush(stdout);
}

// --- where futex_wait compares ---
alignas(64) std::atomic<uint32_t> word{0};
alignas(64) std::atomic<uint64_t> round_no{0};
std::atomic<uint64_t> round_done{0};
std::atomic<int64_t> start_at{0}, called_at{0}, returned_at{0};
std::atomic<int> returned_eagain{0};

void window_waiter() {
  pin(1);
  uint64_t seen = 0;
  for (;;) {
    uint64_t r;
    while ((r = round_no.load(std::memory_order_acquire)) == seen) {
    }
    seen = r;
    if (r == UINT64_MAX) return;
    const int64_t go = start_at.load();
    int64_t t;
    while ((t = now_ns()) < go) {
    }
    called_at.store(t);
    const long res = futex(&word, FUTEX_WAIT_PRIVATE, 0);
    returned_eagain.store(res != 0 && errno == EAGAIN);
    returned_at.store(now_ns());
    round_done.store(r, std::memory_order_release);
  }
}

void window(int trials) {
  std::thread w(window_waiter);
  usleep(10000);
  std::printf("{\"what\": \"futex_wait_compare\", \"rows\": [");
  bool first = true;
  for (int d = 0; d <= 2000; d += 25) {  // the compare sat at ~265-395 ns on 2026-11-22, ~950 ns on 12-06
    int n = 0, eagain = 0;
    std::vector<int64_t> eagain_call;
    for (int i = 0; i < trials; ++i) {
      word.store(0);
      const int64_t go = now_ns() + 20000;
      start_at.store(go);
      const uint64_t r = round_no.load() + 1;
      round_no.store(r, std::memory_order_release);
      int64_t t;
      while ((t = now_ns()) < go + d) {
      }
      word.store(1);
      futex(&word, FUTEX_WAKE_PRIVATE, 1);
      while (round_done.load(std::memory_order_acquire) != r) futex(&word, FUTEX_WAKE_PRIVATE, 1);
      const int64_t actual = t - called_at.load();
      if (actual < d - 20 || actual > d + 20) continue;  // either side late by more than 20 ns
      ++n;
      if (returned_eagain.load()) {
        ++eagain;
        eagain_call.push_back(returned_at.load() - called_at.load());
      }
    }
    std::printf("%s[%d, %d, %d, %ld]", first ? "" : ", ", d, n, eagain, static_cast<long>(pct(eagain_call, 50)));
    first = false;
  }
  std::printf("], \"row\": \"[store at d ns after the call, trials kept, EAGAIN, median EAGAIN call ns]\"}\n");
  round_no.store(UINT64_MAX, std::memory_order_release);
  w.join();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<double> works = {300, 600, 900, 1500, 3000, 6000};
  int repeats = 1;
  bool quick = false, compare_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      quick = true;
    } else if (a == "--compare-only") {
      compare_only = true;
    } else if (a == "--repeats" && i + 1 < argc) {
      repeats = std::atoi(argv[++i]);
    } else if (a == "--work" && i + 1 < argc) {
      works.clear();
      for (char* p = std::strtok(argv[++i], ","); p; p = std::strtok(nullptr, ",")) works.push_back(std::atof(p));
    } else {
      std::fprintf(stderr, "usage: gilsim-fightbench [--work NS,NS,...] [--repeats R] [--quick] [--compare-only]\n");
      return 2;
    }
  }
  if (std::thread::hardware_concurrency() < 2 || !pin(0)) {
    std::printf("{\"what\": \"skipped\", \"why\": \"needs 2 CPUs\"}\n");
    return 0;
  }
  const double per_iter = calibrate_iter();
  std::printf("{\"what\": \"machine\", \"ns_per_work_iteration\": %.4f}\n", per_iter);
  const int64_t budget = quick ? 20000000 : 180000000;  // ns of work per thread
  for (int r = 0; r < repeats && !compare_only; ++r)
    for (const double w : works) fight(w, per_iter, budget, r);
  window(quick ? 20 : 400);
  return 0;
}
