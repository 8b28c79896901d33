// gilsim-wakebench: what a futex wake-up costs on this machine, as a function of how long the
// woken thread's core has been idle. Linux only.
//
//   gilsim-wakebench [--quick] [--gaps US,US,...]
//
// A waiter thread pinned to CPU 1 blocks in FUTEX_WAIT; the waker, pinned to CPU 0, spins for a
// gap, then times FUTEX_WAKE with nobody waiting (a bare system call), FUTEX_WAKE of the waiter
// (the waker's side of a wake-up: the inter-processor interrupt included), and the time from
// the start of that call until the waiter runs again (the wake-up latency). In C++, without the
// 1-2 us jitter of a ctypes call that limits tools/calibrate's Python benchmarks.
//
// Why the gap matters: on a virtual machine an idle vCPU halts, and after a few hundred
// microseconds the host stops polling for it and deschedules it; waking it then costs both sides
// more. The printed table is in docs/validation-measurements.md.
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

namespace {

std::atomic<int> word{0};
std::atomic<int> nobody{0};
std::atomic<int64_t> back_at{0};
std::atomic<bool> stop{false};

int64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

long futex(std::atomic<int>* addr, int op, int val) {
  return syscall(SYS_futex, reinterpret_cast<int*>(addr), op, val, nullptr, nullptr, 0);
}

bool pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

void waiter() {
  pin(1);
  while (!stop.load()) {
    futex(&word, FUTEX_WAIT_PRIVATE, 0);
    if (word.load() != 0) {
      back_at.store(now_ns());
      word.store(0);
    }
  }
}

int64_t pct(std::vector<int64_t> v, int p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[(v.size() - 1) * static_cast<size_t>(p) / 100];
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<int64_t> gaps = {3000, 30000, 100000, 300000, 2000000};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--gaps") == 0 && i + 1 < argc) {
      gaps.clear();
      for (const char* s = argv[++i]; *s;) {
        char* end = nullptr;
        const long us = std::strtol(s, &end, 10);
        if (end == s || us <= 0 || us > 1000000 || (*end != ',' && *end != 0)) {
          std::fprintf(stderr, "wakebench: --gaps takes microseconds from 1 to 1000000, comma-separated\n");
          return 2;
        }
        gaps.push_back(static_cast<int64_t>(us) * 1000);
        s = *end == ',' ? end + 1 : end;
      }
    } else {
      std::fprintf(stderr, "usage: gilsim-wakebench [--quick] [--gaps US,US,...]\n");
      return 2;
    }
  }
  if (std::thread::hardware_concurrency() < 2 || !pin(0)) {
    std::printf("wakebench: needs 2 CPUs\n");
    return 0;
  }
  std::thread w(waiter);
  usleep(10000);
  std::printf("%10s %8s %26s %26s %34s\n", "idle gap", "wakes", "futex_wake nobody p50 (ns)",
              "futex_wake waiter p10/50/90", "wake -> running p10/50/90/99 (ns)");
  for (const int64_t gap : gaps) {
    const int n = quick ? 20 : gap >= 1000000 ? 1000 : 3000;
    std::vector<int64_t> bare, cost, lat;
    for (int i = 0; i < n; ++i) {
      const int64_t t = now_ns();
      while (now_ns() - t < gap) {
      }
      const int64_t a = now_ns();
      futex(&nobody, FUTEX_WAKE_PRIVATE, 1);
      const int64_t b = now_ns();
      word.store(1);
      const int64_t c = now_ns();
      const long woke = futex(&word, FUTEX_WAKE_PRIVATE, 1);
      const int64_t d = now_ns();
      while (word.load() != 0) {
      }
      if (woke == 1) {
        bare.push_back(b - a);
        cost.push_back(d - c);
        lat.push_back(back_at.load() - c);
      }
    }
    std::printf("%8ldus %8zu %26ld %10ld/%ld/%ld %14ld/%ld/%ld/%ld\n", static_cast<long>(gap / 1000), cost.size(),
                static_cast<long>(pct(bare, 50)), static_cast<long>(pct(cost, 10)), static_cast<long>(pct(cost, 50)),
                static_cast<long>(pct(cost, 90)), static_cast<long>(pct(lat, 10)), static_cast<long>(pct(lat, 50)),
                static_cast<long>(pct(lat, 90)), static_cast<long>(pct(lat, 99)));
  }
  // The waiter sees stop at its loop's top: woken here, or finding word != 0 if it was not yet
  // asleep (FUTEX_WAIT then returns at once).
  stop.store(true);
  word.store(1);
  futex(&word, FUTEX_WAKE_PRIVATE, 1);
  w.join();
  return 0;
}
