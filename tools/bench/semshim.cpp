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
 * runs it. Not for sem_timedwait (Python 2.7's lock never uses it). With SEMSHIM_ANATOMY=1 it
 * also times each hand-over and each post (below); those keys are zero without it.
 *
 * The bookkeeping is per thread (counters and samples in memory only its thread writes, merged
 * at exit): a counter shared by both threads would move a cache line between the cores at every
 * call, as the semaphore's own word does, and at a check interval of 10 such shared counters
 * halved the fight's speed. What stays shared is written at a hand-over or a wake-up only (the
 * last holder, the grab's time, a waking FUTEX_WAKE's start).
 */
#include <cerrno>
#include <sched.h>
#include <linux/futex.h>
#include <semaphore.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ctime>
#include <unistd.h>

#include "tail_end.h"

#define MAX_SAMPLES (1L << 22)
#define MAX_THREADS 256

enum Kind {
  kWoke, kNobody, kLatency, kFirst, kWaiter, kRegister, kEagain, kPostGrab, kPostReg, kWakeRetReg, kEagainRetGrab,
  kFirstEagain, kFirstWoken, kAfterWoke, kAfterNobody, kAfterPlain, kKinds
};
enum Count {
  cPosts, cAcquires, cHandovers, cFutexWakes, cSlowPaths, cFutexWaits, cSlept, cEagain, cHowFast, cHowEagain, cHowWoken, cPtw0,
  cCounts = cPtw0 + 4
};

#define CPUS 8

struct Stats {  /* one thread's; only that thread writes it */
  long count[cCounts];
  long posts_on[CPUS];  /* its posts on each CPU (sched_getcpu; the last entry: CPU 7 and up) */
  long n[kKinds];
  int64_t *s[kKinds];
};

static Stats *all[MAX_THREADS];
static int nall;
static thread_local Stats *me;

/* SEMSHIM_ANATOMY=1: also time each hand-over and each post (a clock read and a getcpu at every
 * post: ~40 ns on a check of ~100 ns at check interval 10, which slows the fight itself). Without
 * it the shim reads the clock only around futex calls. */
static bool anatomy;
__attribute__((constructor)) static void init(void) {
  const char *a = getenv("SEMSHIM_ANATOMY");
  anatomy = a && *a && *a != '0';
}

static int64_t grab_at;  /* when the last hand-over's winner took the lock */
static int64_t woke_at;  /* start of the last FUTEX_WAKE that woke a thread */
static long last_tid;
static thread_local long my_tid;
static thread_local int64_t my_grab;      /* this thread's last hand-over grab, while it has not yet posted to a waiter */
static thread_local int my_posts;         /* its posts since then */
static thread_local int64_t my_post;      /* its last post */
static thread_local int64_t my_wake_ret;  /* the return of its last post's FUTEX_WAKE (0: none) */
static thread_local int64_t my_post_end;  /* when its last post returned, while it kept the lock since */
static thread_local int my_post_kind;     /* that post: 0 no FUTEX_WAKE, 1 woke nobody, 2 woke a thread */
static thread_local int my_grab_how;      /* how its last hand-over grab came: 0 fast path, 1 after EAGAIN, 2 woken */
struct alignas(64) Slot {
  int64_t at;
};
static Slot last_post[MAX_THREADS];       /* each thread's last post, in a cache line only it writes */
static thread_local int my_slot = -1;

static inline int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

static long futex(uint64_t *addr, int op, int val) { return syscall(SYS_futex, addr, op, val, nullptr, nullptr, 0); }

static void *map(size_t bytes) {
  void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

static Stats *stats(void) {
  if (me) return me;
  me = static_cast<Stats *>(map(sizeof(Stats)));  /* zeroed; on failure nothing is counted */
  if (!me) return nullptr;
  const int i = __atomic_fetch_add(&nall, 1, __ATOMIC_ACQ_REL);
  if (i >= MAX_THREADS) return me;
  my_slot = i;
  __atomic_store_n(&all[i], me, __ATOMIC_RELEASE);
  return me;
}

static void bump(Count c) {
  if (Stats *m = stats()) ++m->count[c];
}

static void add(Kind k, int64_t v) {
  Stats *m = stats();
  if (!m) return;
  if (!m->s[k]) m->s[k] = static_cast<int64_t *>(map(MAX_SAMPLES * sizeof(int64_t)));
  if (m->s[k] && m->n[k] < MAX_SAMPLES) m->s[k][m->n[k]] = v;
  ++m->n[k];
}

static int cmp(const void *a, const void *b) {
  const int64_t x = *static_cast<const int64_t *>(a), y = *static_cast<const int64_t *>(b);
  return x < y ? -1 : x > y;
}

/* Finely sampled in the tail: a few wake-ups of milliseconds (a vCPU descheduled by the host)
 * would otherwise be spread over p99..p100 by the model's linear interpolation. p100 is the end
 * point that gives the last segment its samples' mean (tail_end.h); the maximum is KEY_max. */
static void quantiles(FILE *f, const char *key, Kind k, int threads) {
  static const double ps[] = {0, 1, 5, 10, 25, 50, 75, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99, 100};
  /* the samples thread i kept */
  const auto kept = [k](int i) { return all[i] && all[i]->s[k] ? (all[i]->n[k] < MAX_SAMPLES ? all[i]->n[k] : MAX_SAMPLES) : 0L; };
  long n = 0;
  for (int i = 0; i < threads; ++i) n += kept(i);
  int64_t *a = n ? static_cast<int64_t *>(map(static_cast<size_t>(n) * sizeof(int64_t))) : nullptr;
  if (a) {
    long at = 0;
    for (int i = 0; i < threads; ++i) {
      const long m = kept(i);
      if (m) memcpy(a + at, all[i]->s[k], static_cast<size_t>(m) * sizeof(int64_t));
      at += m;
    }
    qsort(a, static_cast<size_t>(n), sizeof *a, cmp);
  }
  const auto idx = [n](double p) { return static_cast<long>(static_cast<double>(n - 1) * p / 100.0); };
  fprintf(f, ", \"%s\": [", key);
  for (int i = 0; i < 16; ++i) {
    const long v = !(a && n) ? 0L : i == 15 ? static_cast<long>(tail_end(a, n, idx(ps[14]))) : static_cast<long>(a[idx(ps[i])]);
    fprintf(f, "%s[%g, %ld]", i ? ", " : "", ps[i], v);
  }
  fprintf(f, "], \"%s_max\": %ld", key, (a && n) ? static_cast<long>(a[n - 1]) : 0L);
}

__attribute__((destructor)) static void report(void) {
  const char *out = getenv("SEMSHIM_OUT");
  const int threads = nall < MAX_THREADS ? nall : MAX_THREADS;
  long c[cCounts] = {}, n[kKinds] = {};
  for (int i = 0; i < threads; ++i) {
    if (!all[i]) continue;
    for (int j = 0; j < cCounts; ++j) c[j] += all[i]->count[j];
    for (int j = 0; j < kKinds; ++j) n[j] += all[i]->n[j];
  }
  if (!out || c[cPosts] == 0) return;
  FILE *f = fopen(out, "a");
  if (!f) return;
  fprintf(f,
          "{\"what\": \"semshim\", \"pid\": %d, \"posts\": %ld, \"acquires\": %ld, \"handovers\": %ld, "
          "\"futex_wakes\": %ld, \"wake_woke\": %ld, \"wake_nobody\": %ld, \"slow_paths\": %ld, "
          "\"futex_waits\": %ld, \"slept\": %ld, \"eagain\": %ld, \"anatomy\": %s",
          static_cast<int>(getpid()), c[cPosts], c[cAcquires], c[cHandovers], c[cFutexWakes], n[kWoke], n[kNobody],
          c[cSlowPaths], c[cFutexWaits], c[cSlept], c[cEagain], anatomy ? "true" : "false");
  quantiles(f, "wake_woke_ns", kWoke, threads);
  quantiles(f, "wake_nobody_ns", kNobody, threads);
  quantiles(f, "wake_to_return_ns", kLatency, threads);
  /* The anatomy of a hand-over: from the winner's grab to its first post, and to its first post
   * that finds a waiter registered; from the grab to the loser's registration as a waiter. */
  quantiles(f, "grab_to_first_post_ns", kFirst, threads);
  quantiles(f, "grab_to_waiter_post_ns", kWaiter, threads);
  quantiles(f, "grab_to_loser_registered_ns", kRegister, threads);
  /* The loser's side: a futex_wait that returned EAGAIN, from call to return; from the post that
   * released the lock to the other thread's grab; from a thread's own post to its registration as
   * a waiter (its FUTEX_WAKE, the failed decrement and sem_wait's slow-path entry). */
  quantiles(f, "eagain_ns", kEagain, threads);
  quantiles(f, "post_to_grab_ns", kPostGrab, threads);
  quantiles(f, "post_to_registered_ns", kPostReg, threads);
  /* User code right after a futex call: from a FUTEX_WAKE's return to the same thread's
   * registration as a waiter, from an EAGAIN return to the decrement that took the lock, and the
   * winner's grab to its first post split by how the grab came (after EAGAIN, after a sleep). */
  quantiles(f, "wake_return_to_registered_ns", kWakeRetReg, threads);
  quantiles(f, "eagain_return_to_grab_ns", kEagainRetGrab, threads);
  quantiles(f, "grab_to_first_post_eagain_ns", kFirstEagain, threads);
  quantiles(f, "grab_to_first_post_woken_ns", kFirstWoken, threads);
  /* A holder that keeps the lock: from a post's return to its next post, by what that post did
   * (a FUTEX_WAKE that woke a thread, one that woke nobody, none), from the post's start where it
   * made no call: the check interval's work and whatever the call left behind. */
  quantiles(f, "woke_to_next_post_ns", kAfterWoke, threads);
  quantiles(f, "nobody_to_next_post_ns", kAfterNobody, threads);
  quantiles(f, "plain_to_next_post_ns", kAfterPlain, threads);
  fprintf(f, ", \"posts_to_waiter\": [%ld, %ld, %ld, %ld]", c[cPtw0], c[cPtw0 + 1], c[cPtw0 + 2], c[cPtw0 + 3]);
  /* how each hand-over's grab came: sem_wait's first try, a retry after futex_wait returned
   * EAGAIN, a retry after it slept and was woken */
  fprintf(f, ", \"handovers_by\": {\"first_try\": %ld, \"after_eagain\": %ld, \"after_sleep\": %ld}", c[cHowFast],
          c[cHowEagain], c[cHowWoken]);
  /* where each thread that posted made its posts: two threads on one CPU fight differently */
  fprintf(f, ", \"posts_by_thread_cpu\": [");
  for (int i = 0, first = 1; i < threads; ++i) {
    if (!all[i] || !all[i]->count[cPosts]) continue;
    fprintf(f, "%s[", first ? "" : ", ");
    for (int j = 0; j < CPUS; ++j) fprintf(f, "%s%ld", j ? ", " : "", all[i]->posts_on[j]);
    fprintf(f, "]");
    first = 0;
  }
  fprintf(f, "]");
  fprintf(f, "}\n");
  fclose(f);
}

static inline uint64_t *word(sem_t *s) { return reinterpret_cast<uint64_t *>(s); }

/* The latest post by another thread than this one: the post that released the lock it took. */
static int64_t others_last_post(void) {
  int64_t best = 0;
  const int threads = __atomic_load_n(&nall, __ATOMIC_ACQUIRE);
  for (int i = 0; i < threads && i < MAX_THREADS; ++i) {
    if (i == my_slot) continue;
    const int64_t p = __atomic_load_n(&last_post[i].at, __ATOMIC_RELAXED);
    if (p > best) best = p;
  }
  return best;
}

static void acquired(int how = 0, int64_t ret = 0) {
  if (!my_tid) my_tid = static_cast<long>(syscall(SYS_gettid));
  bump(cAcquires);
  if (__atomic_load_n(&last_tid, __ATOMIC_RELAXED) != my_tid) {  /* written at hand-overs only */
    __atomic_store_n(&last_tid, my_tid, __ATOMIC_RELAXED);
    bump(cHandovers);
    bump(static_cast<Count>(cHowFast + how));
    if (!anatomy) return;
    my_grab = now_ns();
    my_posts = 0;
    my_grab_how = how;
    if (how == 1) add(kEagainRetGrab, my_grab - ret);
    const int64_t p = others_last_post();
    if (p) add(kPostGrab, my_grab - p);
    __atomic_store_n(&grab_at, my_grab, __ATOMIC_RELAXED);
  }
}

static int try_decrement(sem_t *s, uint64_t *d) {
  while ((uint32_t)*d > 0)
    if (__atomic_compare_exchange_n(word(s), d, *d - 1, 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return 1;
  return 0;
}

/* sem_post's FUTEX_WAKE, timed; returns whether it woke a thread. */
static int futex_wake(sem_t *s) {
  bump(cFutexWakes);
  const int64_t t0 = now_ns();
  const long r = futex(word(s), FUTEX_WAKE_PRIVATE, 1);
  const int64_t t1 = now_ns();
  my_wake_ret = t1;
  if (r > 0) {
    __atomic_store_n(&woke_at, t0, __ATOMIC_RELEASE);
    add(kWoke, t1 - t0);
  } else {
    add(kNobody, t1 - t0);
  }
  return r > 0;
}

extern "C" int sem_post(sem_t *s) noexcept {
  bump(cPosts);
  if (!anatomy) {
    const uint64_t d = __atomic_fetch_add(word(s), 1, __ATOMIC_RELEASE);
    if ((d >> 32) != 0) futex_wake(s);
    return 0;
  }
  if (Stats *m = stats()) {
    const int cpu = sched_getcpu();
    if (cpu >= 0) ++m->posts_on[cpu < CPUS ? cpu : CPUS - 1];
  }
  const int64_t at = now_ns();
  uint64_t d = __atomic_fetch_add(word(s), 1, __ATOMIC_RELEASE);
  static const Kind after[] = {kAfterPlain, kAfterNobody, kAfterWoke};  /* by my_post_kind */
  if (my_post_end) add(after[my_post_kind], at - my_post_end);
  my_post = at;
  my_wake_ret = 0;
  my_post_kind = 0;
  if (my_slot >= 0) __atomic_store_n(&last_post[my_slot].at, at, __ATOMIC_RELAXED);
  if (my_grab) {  /* a post of this hand-over's winner, until one finds a waiter */
    if (my_posts++ == 0) {
      add(kFirst, at - my_grab);
      if (my_grab_how == 1) add(kFirstEagain, at - my_grab);
      if (my_grab_how == 2) add(kFirstWoken, at - my_grab);
    }
    if ((d >> 32) != 0) {
      add(kWaiter, at - my_grab);
      bump(static_cast<Count>(cPtw0 + (my_posts > 3 ? 3 : my_posts - 1)));
      my_grab = 0;
    }
  }
  if ((d >> 32) != 0) {
    const int woke = futex_wake(s);
    my_post_kind = woke ? 2 : 1;
  }
  my_post_end = my_post_kind ? my_wake_ret : at;
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
  bump(cSlowPaths);
  my_post_end = 0;  /* it lost the lock: its next post is not a holder's next check */
  d = __atomic_fetch_add(word(s), 1ULL << 32, __ATOMIC_RELAXED) + (1ULL << 32);
  if (anatomy) {
    const int64_t r = now_ns();
    const int64_t g = __atomic_load_n(&grab_at, __ATOMIC_RELAXED);
    if (g) add(kRegister, r - g);  /* may precede the grab it names: then negative */
    if (my_post) add(kPostReg, r - my_post);
    if (my_wake_ret) add(kWakeRetReg, r - my_wake_ret);
  }
  int how = 0;
  int64_t ret = 0;
  for (;;) {
    if ((uint32_t)d == 0) {
      bump(cFutexWaits);
      int64_t t0 = now_ns();
      long r = futex(word(s), FUTEX_WAIT_PRIVATE, 0);
      int64_t t1 = now_ns();
      ret = t1;
      how = r == 0 ? 2 : 1;
      if (r == 0) {
        bump(cSlept);
        /* the waker records its call's start just after the call: wait for it, briefly */
        int64_t w = 0;
        for (int k = 0; k < 100000 && (w = __atomic_load_n(&woke_at, __ATOMIC_ACQUIRE)) < t0; ++k) {
        }
        if (w >= t0 && t1 >= w) add(kLatency, t1 - w);
      } else if (errno == EAGAIN) {
        bump(cEagain);
        add(kEagain, t1 - t0);
      }
      d = __atomic_load_n(word(s), __ATOMIC_RELAXED);
    }
    if ((uint32_t)d > 0 &&
        __atomic_compare_exchange_n(word(s), &d, (d - 1) - (1ULL << 32), 1, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      acquired(how, ret);
      return 0;
    }
  }
}
