// gilsim-wakebench: what a futex wake-up costs on this machine, as a function of how long the
// woken thread's core has been idle. Linux only.
//
//   gilsim-wakebench [--quick] [--gaps US,US,...] [--after-long K,W] [--from-wait]
//   gilsim-wakebench [--quick] --pingpong W:R,W:R,...
//
// A waiter thread pinned to CPU 1 blocks in FUTEX_WAIT; the waker, pinned to CPU 0, spins for a
// gap, then times FUTEX_WAKE with nobody waiting (a bare system call: its spread per call is
// the variation gilsim's `costs.syscall` would draw), FUTEX_WAKE of the waiter
// (the waker's side of a wake-up: the inter-processor interrupt included), and the time from
// the start of that call until the waiter runs again (the wake-up latency). In C++, without the
// 1-2 us jitter of a ctypes call that limits tools/calibrate's Python benchmarks.
//
// Why the gap matters: on a virtual machine an idle vCPU halts, and after a few hundred
// microseconds the host stops polling for it and deschedules it; waking it then costs both sides
// more. The printed table is in docs/validation-measurements.md.
//
// --from-wait: the gap counts from the waiter's own clock read just before its FUTEX_WAIT call
// (not from the waker's seeing it back), so that gaps of a microsecond or two time a wake-up
// that catches the waiter on its way off its CPU. "wakes" counts the calls that found it queued.
//
// --pingpong W:R,...: a token goes back and forth over a unix socketpair between threads pinned to
// CPUs 0 and 1, each side doing read, R us of spinning, write, W us of spinning (the echo's round
// trip: each read frees the other side's buffer and wakes it, sock_wfree -> unix_write_space, so
// the wake-up's interrupt is paid inside the read and the write finds its reader awake). The
// settings take turns in blocks of 100 round trips, so that the host's drift falls on all alike;
// it prints the round trip's p10/p50/p90 for each.
//
// --after-long K,W: before each timed wake-up, K idles of 5 ms (each ended by a wake-up) and then
// W untimed idles of the gap: the host's poll window follows a vCPU's recent halts (KVM empties it
// after a long one and doubles it from 10us after each shorter one that outlasted it), so a short
// idle right after long ones wakes slowly (docs/validation-measurements.md, "The host's poll
// window adapts").
#include <linux/futex.h>
#include <sys/socket.h>
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

#include "bench_util.h"

namespace {

std::atomic<int> word{0};
std::atomic<int> nobody{0};
std::atomic<int64_t> back_at{0};
std::atomic<int64_t> wait_at{0};  // the waiter's clock just before each FUTEX_WAIT
std::atomic<long> waits{0};        // FUTEX_WAIT calls made, counted after wait_at is stamped
std::atomic<bool> stop{false};

long futex(std::atomic<int>* addr, int op, int val) {
  return syscall(SYS_futex, reinterpret_cast<int*>(addr), op, val, nullptr, nullptr, 0);
}

void waiter() {
  pin(1);
  while (!stop.load()) {
    wait_at.store(now_ns());
    waits.fetch_add(1);
    futex(&word, FUTEX_WAIT_PRIVATE, 0);
    if (word.load() != 0) {
      back_at.store(now_ns());
      word.store(0);
    }
  }
}

// One wake-up of the waiter after `gap` of idle; returns {bare call, waker's call, latency}.
struct Wake {
  int64_t bare, cost, latency;
  bool woke;
};
bool from_wait = false;  // --from-wait: the gap counts from the waiter's FUTEX_WAIT call
long seen_waits = 0;     // `waits` read just before the last timed wake

Wake wake_after(int64_t gap) {
  int64_t t = now_ns();
  if (from_wait) {
    // A call made after the last timed wake (a spurious return adds one more: its stamp is as
    // good, the waiter being on its way into FUTEX_WAIT again).
    while (waits.load() <= seen_waits) {
    }
    t = wait_at.load();
  }
  while (now_ns() - t < gap) {
  }
  const int64_t a = now_ns();
  futex(&nobody, FUTEX_WAKE_PRIVATE, 1);
  const int64_t b = now_ns();
  seen_waits = waits.load();
  word.store(1);
  const int64_t c = now_ns();
  const long woke = futex(&word, FUTEX_WAKE_PRIVATE, 1);
  const int64_t d = now_ns();
  while (word.load() != 0) {
  }
  return {b - a, d - c, back_at.load() - c, woke == 1};
}

void spin_for(int64_t ns) {
  const int64_t end = now_ns() + ns;
  while (now_ns() < end) {
  }
}

struct Side {
  int64_t after_write, after_read;
};

// One side of --pingpong: `rounds` reads, each answered with a write, for the settings in turn.
void pong(int fd, const std::vector<Side>& sides, long rounds) {
  pin(1);
  char x = 0;
  for (long i = 0; i < rounds; ++i) {
    const Side& s = sides[static_cast<size_t>(i / 100) % sides.size()];
    if (read(fd, &x, 1) != 1) return;
    spin_for(s.after_read);
    if (write(fd, &x, 1) != 1) return;
    spin_for(s.after_write);
  }
}

int pingpong(const std::vector<Side>& sides, bool quick) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    std::perror("wakebench: socketpair");
    return 1;
  }
  const long per = quick ? 1000 : 20000;
  const long rounds = per * static_cast<long>(sides.size());
  std::thread other(pong, sv[1], std::cref(sides), rounds);
  std::vector<std::vector<int64_t>> rt(sides.size());
  char x = 0;
  for (long i = 0; i < rounds; ++i) {
    const size_t k = static_cast<size_t>(i / 100) % sides.size();
    const int64_t t0 = now_ns();
    if (write(sv[0], &x, 1) != 1) break;
    spin_for(sides[k].after_write);
    if (read(sv[0], &x, 1) != 1) break;
    spin_for(sides[k].after_read);
    rt[k].push_back(now_ns() - t0);
  }
  close(sv[0]);  // a side that stopped early: the other's read returns 0 and it ends too
  other.join();
  close(sv[1]);
  std::printf("%12s %12s %30s\n", "after write", "after read", "round trip p10/50/90 (ns)");
  for (size_t k = 0; k < sides.size(); ++k) {
    std::sort(rt[k].begin(), rt[k].end());
    std::printf("%10.1fus %10.1fus %12ld/%ld/%ld\n", static_cast<double>(sides[k].after_write) / 1000,
                static_cast<double>(sides[k].after_read) / 1000, static_cast<long>(pct_sorted(rt[k], 10)),
                static_cast<long>(pct_sorted(rt[k], 50)), static_cast<long>(pct_sorted(rt[k], 90)));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  long before_long = 0, before_short = 0;
  std::vector<int64_t> gaps = {3000, 30000, 100000, 300000, 2000000};
  std::vector<Side> sides;
  bool gaps_given = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(argv[i], "--from-wait") == 0) {
      from_wait = true;
    } else if (std::strcmp(argv[i], "--gaps") == 0 && i + 1 < argc) {
      gaps_given = true;
      gaps.clear();
      for (const char* s = argv[++i]; *s;) {
        char* end = nullptr;
        const double us = std::strtod(s, &end);
        if (end == s || !(us >= 0.1) || us > 1000000 || (*end != ',' && *end != 0)) {
          std::fprintf(stderr, "wakebench: --gaps takes microseconds from 0.1 to 1000000, comma-separated\n");
          return 2;
        }
        gaps.push_back(static_cast<int64_t>(us * 1000 + 0.5));
        s = *end == ',' ? end + 1 : end;
      }
    } else if (std::strcmp(argv[i], "--pingpong") == 0 && i + 1 < argc) {
      for (const char* s = argv[++i]; *s;) {
        char* end = nullptr;
        const double w = std::strtod(s, &end);
        const bool colon = end != s && *end == ':';
        const char* r0 = colon ? end + 1 : end;
        const double r = colon ? std::strtod(r0, &end) : -1;
        if (!colon || end == r0 || !(w >= 0) || !(r >= 0) || w > 1000 || r > 1000 || (*end != ',' && *end != 0)) {
          std::fprintf(stderr, "wakebench: --pingpong takes W:R pairs of microseconds (0 to 1000), comma-separated\n");
          return 2;
        }
        sides.push_back({static_cast<int64_t>(w * 1000 + 0.5), static_cast<int64_t>(r * 1000 + 0.5)});
        s = *end == ',' ? end + 1 : end;
      }
    } else if (std::strcmp(argv[i], "--after-long") == 0 && i + 1 < argc) {
      char* end = nullptr;
      before_long = std::strtol(argv[++i], &end, 10);
      if (*end == ',') before_short = std::strtol(end + 1, &end, 10);
      if (*end != 0 || before_long < 0 || before_long > 100 || before_short < 0 || before_short > 100) {
        std::fprintf(stderr, "wakebench: --after-long takes K,W: 5 ms idles, then idles of the gap (0 to 100 each)\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: gilsim-wakebench [--quick] [--gaps US,US,...] [--after-long K,W] [--from-wait]\n"
                           "       gilsim-wakebench [--quick] --pingpong W:R,W:R,...\n");
      return 2;
    }
  }
  if (std::thread::hardware_concurrency() < 2 || !pin(0)) {
    std::printf("wakebench: needs 2 CPUs\n");
    return 0;
  }
  if (!sides.empty()) {
    if (from_wait || before_long > 0 || gaps_given) {
      std::fprintf(stderr, "wakebench: --pingpong runs alone (no --gaps, --after-long or --from-wait)\n");
      return 2;
    }
    return pingpong(sides, quick);
  }
  std::thread w(waiter);
  usleep(10000);
  std::printf("%10s %8s %30s %26s %34s\n", "idle gap", "wakes", "futex_wake nobody p10/50/90/99",
              "futex_wake waiter p10/50/90", "wake -> running p10/50/90/99 (ns)");
  for (const int64_t gap : gaps) {
    const int n = before_long > 0 ? (quick ? 5 : 200) : quick ? 20 : gap >= 1000000 ? 1000 : 3000;
    std::vector<int64_t> bare, cost, lat;
    for (int i = 0; i < n; ++i) {
      for (long k = 0; k < before_long; ++k) (void)wake_after(5000000);
      for (long k = 0; k < before_short; ++k) (void)wake_after(gap);
      const Wake w = wake_after(gap);
      if (w.woke) {
        bare.push_back(w.bare);
        cost.push_back(w.cost);
        lat.push_back(w.latency);
      }
    }
    std::printf("%8.1fus %8zu %12ld/%ld/%ld/%ld %10ld/%ld/%ld %14ld/%ld/%ld/%ld\n", static_cast<double>(gap) / 1000, cost.size(),
                static_cast<long>(pct(bare, 10)), static_cast<long>(pct(bare, 50)), static_cast<long>(pct(bare, 90)),
                static_cast<long>(pct(bare, 99)), static_cast<long>(pct(cost, 10)), static_cast<long>(pct(cost, 50)),
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
