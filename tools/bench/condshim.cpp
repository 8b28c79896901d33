/* libgilsim-condshim.so (C++ compiled, C linkage): LD_PRELOAD into a Python 3 process to count
 * and time the condition-variable waits of its GIL, without tracing overhead. Linux, glibc only.
 *
 *   CONDSHIM_OUT=FILE LD_PRELOAD=build/tools/libgilsim-condshim.so python3 SCRIPT
 *
 * Python 3's GIL (Python/ceval_gil.h up to 3.11, ceval_gil.c since) waits with
 * pthread_cond_timedwait on gil->cond (take_gil's COND_TIMED_WAIT, one switch interval) and with
 * pthread_cond_wait on gil->switch_cond only (drop_gil's COND_WAIT under FORCE_SWITCHING: the
 * forced dropper waits until another thread has taken the GIL); the interpreter's own locks are
 * semaphores. This library wraps both calls (glibc's own, found with dlvsym) with a read of
 * the time stamp counter on each side and, at exit, appends one JSON line per thread that waited to $CONDSHIM_OUT: the
 * timed waits and how many timed out, the switch_cond waits, and the quantiles of their
 * durations. A switch_cond wait that returns within a few microseconds did not sleep (its
 * futex_wait returned EAGAIN, the new holder's signal having come first, or it never blocked);
 * one that slept lasts a wake-up at least. A forced drop that finds the GIL already taken makes
 * no switch_cond wait at all: the asker's timeouts less the switch_cond waits estimate those.
 * Cost: two reads of the time stamp counter and a few stores per wait (x86_64 only).
 * docs/validation-measurements.md, "The forced dropper's wait, untraced".
 */
#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <vector>

namespace {

using WaitFn = int (*)(pthread_cond_t*, pthread_mutex_t*);
using TimedFn = int (*)(pthread_cond_t*, pthread_mutex_t*, const struct timespec*);

// The current condition-variable ABI (GLIBC_2.3.2): plain dlsym would find the compatibility
// version of 2.2.5, which expects the old layout. Without it the process cannot go on.
void* glibc_fn(const char* name) {
  void* f = dlvsym(RTLD_NEXT, name, "GLIBC_2.3.2");
  if (!f) {
    std::fprintf(stderr, "libgilsim-condshim: %s@GLIBC_2.3.2 not found (glibc on x86_64 only)\n", name);
    std::abort();
  }
  return f;
}
WaitFn real_wait() {
  static const WaitFn f = reinterpret_cast<WaitFn>(glibc_fn("pthread_cond_wait"));
  return f;
}
TimedFn real_timed() {
  static const TimedFn f = reinterpret_cast<TimedFn>(glibc_fn("pthread_cond_timedwait"));
  return f;
}

int64_t clock_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// The time stamp counter, read in a few nanoseconds (clock_gettime takes 20-30 ns, and the reads
// after a wait fall where the caller holds the mutex: the races this measures are decided within
// about a hundred nanoseconds). Converted with the rate measured at load.
double ns_per_tick = 1.0;
__attribute__((constructor)) void measure_tsc() {
  const int64_t c0 = clock_ns();
  const uint64_t t0 = __builtin_ia32_rdtsc();
  while (clock_ns() - c0 < 20000000) {
  }
  const uint64_t t1 = __builtin_ia32_rdtsc();
  ns_per_tick = static_cast<double>(clock_ns() - c0) / static_cast<double>(t1 - t0);
}
inline uint64_t ticks() { return __builtin_ia32_rdtsc(); }
inline int64_t to_ns(uint64_t d) { return static_cast<int64_t>(static_cast<double>(d) * ns_per_tick); }

struct PerThread {
  long tid = 0;
  long timed = 0, timed_out = 0, switch_waits = 0;
  std::vector<int64_t> switch_ns, signalled_ns;  // switch_cond waits; timed waits that were signalled
  PerThread* next = nullptr;
};

std::mutex registry_mutex;
PerThread* registry = nullptr;

__thread PerThread* self_ __attribute__((tls_model("initial-exec"))) = nullptr;

PerThread& me() {
  PerThread*& p = self_;
  if (!p) {
    p = new PerThread;
    p->tid = static_cast<long>(syscall(SYS_gettid));
    p->switch_ns.reserve(1 << 16);
    p->signalled_ns.reserve(1 << 16);
    std::lock_guard<std::mutex> g(registry_mutex);
    p->next = registry;
    registry = p;
  }
  return *p;
}

void put_quantiles(FILE* f, const char* key, std::vector<int64_t>& v) {
  std::sort(v.begin(), v.end());
  std::fprintf(f, ", \"%s\": [", key);
  const double ps[] = {10, 25, 50, 75, 90, 99};
  for (int i = 0; i < 6; ++i) {
    const int64_t q = v.empty() ? 0 : v[static_cast<size_t>(static_cast<double>(v.size() - 1) * ps[i] / 100.0)];
    std::fprintf(f, "%s%ld", i ? ", " : "", static_cast<long>(q));
  }
  std::fprintf(f, "]");
}

long count_below(const std::vector<int64_t>& v, int64_t ns) {
  return static_cast<long>(std::count_if(v.begin(), v.end(), [ns](int64_t x) { return x < ns; }));
}

__attribute__((destructor)) void report() {
  const char* out = std::getenv("CONDSHIM_OUT");
  if (!out) return;
  FILE* f = std::fopen(out, "a");
  if (!f) return;
  std::lock_guard<std::mutex> g(registry_mutex);
  for (PerThread* p = registry; p; p = p->next) {
    if (p->timed == 0 && p->switch_waits == 0) continue;
    std::fprintf(f, "{\"pid\": %ld, \"tid\": %ld, \"timed_waits\": %ld, \"timed_out\": %ld, \"switch_waits\": %ld",
                 static_cast<long>(getpid()), p->tid, p->timed, p->timed_out, p->switch_waits);
    std::fprintf(f, ", \"switch_waits_under_5us\": %ld", count_below(p->switch_ns, 5000));
    put_quantiles(f, "switch_wait_ns_p10_25_50_75_90_99", p->switch_ns);
    put_quantiles(f, "signalled_wait_ns_p10_25_50_75_90_99", p->signalled_ns);
    std::fprintf(f, "}\n");
  }
  std::fclose(f);
}

}  // namespace

extern "C" {

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  PerThread& t = me();
  const uint64_t a = ticks();
  const int r = real_wait()(c, m);
  t.switch_ns.push_back(to_ns(ticks() - a));
  ++t.switch_waits;
  return r;
}

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abstime) {
  PerThread& t = me();
  const uint64_t a = ticks();
  const int r = real_timed()(c, m, abstime);
  const uint64_t b = ticks();
  ++t.timed;
  if (r == ETIMEDOUT) ++t.timed_out;
  else t.signalled_ns.push_back(to_ns(b - a));
  return r;
}

}  // extern "C"
