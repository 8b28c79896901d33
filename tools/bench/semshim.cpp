/* libgilsim-semshim.so (C++ compiled, C linkage): LD_PRELOAD into a Python 2.7 process to count and time the futex calls of
 * its GIL, without tracing overhead. Linux, x86_64 / 64-bit glibc only.
 *
 *   SEMSHIM_OUT=FILE LD_PRELOAD=build/tools/libgilsim-semshim.so python2.7 SCRIPT
 *
 * Python 2.7's GIL is a POSIX semaphore (Python/thread_pthread.h, USE_SEMAPHORES): the eval loop
 * releases it with sem_post and re-takes it with sem_wait at every check. This library replaces
 * sem_post, sem_wait and sem_trywait with glibc's own algorithm on glibc's own layout (nptl
 * sem_post.c, sem_waitcommon.c: value in the low 32 bits of the first 64-bit word, nwaiters in
 * the high 32; sem_init and sem_destroy stay glibc's), adding a clock read around each futex
 * call. At exit it appends one JSON line to $SEMSHIM_OUT: the posts, how many made a FUTEX_WAKE
 * and whether it woke a thread, the futex waits that slept or returned EAGAIN, how often the
 * lock changed hands, and the quantiles of the calls' durations and of the time from a waking
 * FUTEX_WAKE's start to the woken wait's return. Counts cover every semaphore of the process;
 * in a workload of counting threads only the GIL is contended. tools/validate/fight --python
 * runs it. Not for sem_timedwait (Python 2.7's lock never uses it).
 */
#include <cerrno>
#include <linux/futex.h>
#include <semaphore.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ctime>
#include <unistd.h>

#include "tail_end.h"

#define MAX_SAMPLES (1L << 22)

static int64_t *s_woke, *s_nobody, *s_latency, *s_first, *s_waiter, *s_register;
static long n_woke, n_nobody, n_latency, n_first, n_waiter, n_register;
static long posts_to_waiter[4];  /* hand-overs whose winner's 1st, 2nd, 3rd, later post found a waiter */
static int64_t grab_at;          /* when the last hand-over's winner took the lock */
static thread_local int64_t my_grab;   /* this thread's last hand-over grab, while it has not yet posted to a waiter */
static thread_local int my_posts;      /* its posts since then */
static long posts, futex_wakes, slow_paths, futex_waits, slept, eagain, acquires, handovers;
static int64_t woke_at;  /* start of the last FUTEX_WAKE that woke a thread */
static long last_tid;
static thread_local long my_tid;

static inline int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

static long futex(uint64_t *addr, int op, int val) { return syscall(SYS_futex, addr, op, val, nullptr, nullptr, 0); }

static int64_t *samples(void) {
  void *p = mmap(nullptr, MAX_SAMPLES * sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<int64_t *>(p);
}

__attribute__((constructor)) static void init(void) {
  s_woke = samples();
  s_nobody = samples();
  s_latency = samples();
  s_first = samples();
  s_waiter = samples();
  s_register = samples();
}

static void add(int64_t *a, long *n, int64_t v) {
  long i = __atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
  if (a && i < MAX_SAMPLES) a[i] = v;
}

static void bump(long *c) { __atomic_fetch_add(c, 1, __ATOMIC_RELAXED); }

static int cmp(const void *a, const void *b) {
  const int64_t x = *static_cast<const int64_t *>(a), y = *static_cast<const int64_t *>(b);
  return x < y ? -1 : x > y;
}

/* Finely sampled in the tail: a few wake-ups of milliseconds (a vCPU descheduled by the host)
 * would otherwise be spread over p99..p100 by the model's linear interpolation. p100 is the end
 * point that gives the last segment its samples' mean (tail_end.h); the maximum is KEY_max. */
static void quantiles(FILE *f, const char *key, int64_t *a, long n) {
  static const double ps[] = {0, 1, 5, 10, 25, 50, 75, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99, 100};
  if (n > MAX_SAMPLES) n = MAX_SAMPLES;
  if (a) qsort(a, static_cast<size_t>(n), sizeof *a, cmp);
  const auto at = [n](double p) { return static_cast<long>(static_cast<double>(n - 1) * p / 100.0); };
  fprintf(f, ", \"%s\": [", key);
  for (int i = 0; i < 16; ++i) {
    const long v = !(a && n) ? 0L : i == 15 ? static_cast<long>(tail_end(a, n, at(ps[14]))) : static_cast<long>(a[at(ps[i])]);
    fprintf(f, "%s[%g, %ld]", i ? ", " : "", ps[i], v);
  }
  fprintf(f, "], \"%s_max\": %ld", key, (a && n) ? static_cast<long>(a[n - 1]) : 0L);
}

__attribute__((destructor)) static void report(void) {
  const char *out = getenv("SEMSHIM_OUT");
  if (!out || posts == 0) return;
  FILE *f = fopen(out, "a");
  if (!f) return;
  fprintf(f,
          "{\"what\": \"semshim\", \"pid\": %d, \"posts\": %ld, \"acquires\": %ld, \"handovers\": %ld, "
          "\"futex_wakes\": %ld, \"wake_woke\": %ld, \"wake_nobody\": %ld, \"slow_paths\": %ld, "
          "\"futex_waits\": %ld, \"slept\": %ld, \"eagain\": %ld",
          static_cast<int>(getpid()), posts, acquires, handovers, futex_wakes, n_woke, n_nobody, slow_paths, futex_waits, slept,
          eagain);
  quantiles(f, "wake_woke_ns", s_woke, n_woke);
  quantiles(f, "wake_nobody_ns", s_nobody, n_nobody);
  quantiles(f, "wake_to_return_ns", s_latency, n_latency);
  /* The anatomy of a hand-over: from the winner's grab to its first post, and to its first post
   * that finds a waiter registered; from the grab to the loser's registration as a waiter. */
  quantiles(f, "grab_to_first_post_ns", s_first, n_first);
  quantiles(f, "grab_to_waiter_post_ns", s_waiter, n_waiter);
  quantiles(f, "grab_to_loser_registered_ns", s_register, n_register);
  fprintf(f, ", \"posts_to_waiter\": [%ld, %ld, %ld, %ld]", posts_to_waiter[0], posts_to_waiter[1], posts_to_waiter[2],
          posts_to_waiter[3]);
  fprintf(f, "}\n");
  fclose(f);
}

static inline uint64_t *word(sem_t *s) { return reinterpret_cast<uint64_t *>(s); }

static void acquired(void) {
  if (!my_tid) my_tid = static_cast<long>(syscall(SYS_gettid));
  bump(&acquires);
  if (__atomic_exchange_n(&last_tid, my_tid, __ATOMIC_RELAXED) != my_tid) {
    bump(&handovers);
    my_grab = now_ns();
    my_posts = 0;
    __atomic_store_n(&grab_at, my_grab, __ATOMIC_RELAXED);
  }
}

static int try_decrement(sem_t *s, uint64_t *d) {
  while ((uint32_t)*d > 0)
    if (__atomic_compare_exchange_n(word(s), d, *d - 1, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return 1;
  return 0;
}

extern "C" int sem_post(sem_t *s) noexcept {
  bump(&posts);
  const int64_t at = my_grab ? now_ns() : 0;
  uint64_t d = __atomic_fetch_add(word(s), 1, __ATOMIC_RELEASE);
  if (my_grab) {  /* a post of this hand-over's winner, until one finds a waiter */
    if (my_posts++ == 0) add(s_first, &n_first, at - my_grab);
    if ((d >> 32) != 0) {
      add(s_waiter, &n_waiter, at - my_grab);
      bump(&posts_to_waiter[my_posts > 3 ? 3 : my_posts - 1]);
      my_grab = 0;
    }
  }
  if ((d >> 32) != 0) {
    bump(&futex_wakes);
    int64_t t0 = now_ns();
    long r = futex(word(s), FUTEX_WAKE_PRIVATE, 1);
    int64_t c = now_ns() - t0;
    if (r > 0) {
      __atomic_store_n(&woke_at, t0, __ATOMIC_RELEASE);
      add(s_woke, &n_woke, c);
    } else {
      add(s_nobody, &n_nobody, c);
    }
  }
  return 0;
}

extern "C" int sem_trywait(sem_t *s) noexcept {
  uint64_t d = __atomic_load_n(word(s), __ATOMIC_RELAXED);
  if (try_decrement(s, &d)) {
    acquired();
    return 0;
  }
  errno = EAGAIN;
  return -1;
}

extern "C" int sem_wait(sem_t *s) {
  uint64_t d = __atomic_load_n(word(s), __ATOMIC_RELAXED);
  if (try_decrement(s, &d)) {
    acquired();
    return 0;
  }
  bump(&slow_paths);
  d = __atomic_fetch_add(word(s), 1ULL << 32, __ATOMIC_RELAXED) + (1ULL << 32);
  {
    const int64_t g = __atomic_load_n(&grab_at, __ATOMIC_RELAXED);
    if (g) add(s_register, &n_register, now_ns() - g);  /* may precede the grab it names: then negative */
  }
  for (;;) {
    if ((uint32_t)d == 0) {
      bump(&futex_waits);
      int64_t t0 = now_ns();
      long r = futex(word(s), FUTEX_WAIT_PRIVATE, 0);
      int64_t t1 = now_ns();
      if (r == 0) {
        bump(&slept);
        /* the waker records its call's start just after the call: wait for it, briefly */
        int64_t w = 0;
        for (int k = 0; k < 100000 && (w = __atomic_load_n(&woke_at, __ATOMIC_ACQUIRE)) < t0; ++k) {
        }
        if (w >= t0 && t1 >= w) add(s_latency, &n_latency, t1 - w);
      } else if (errno == EAGAIN) {
        bump(&eagain);
      }
      d = __atomic_load_n(word(s), __ATOMIC_RELAXED);
    }
    if ((uint32_t)d > 0 &&
        __atomic_compare_exchange_n(word(s), &d, (d - 1) - (1ULL << 32), 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      acquired();
      return 0;
    }
  }
}
