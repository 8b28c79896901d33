/* wake_pattern: does a futex wake-up onto an idle vCPU take longer or shorter depending on what
 * the two sides do around it? (docs/validation.md, "The socket peer's wake-up")
 *
 *   cc -O2 -o /tmp/wake_pattern tools/validate/probes/wake_pattern.c
 *   /tmp/wake_pattern spin GAP_US              # A wakes B GAP_US after B blocked, then spins
 *   /tmp/wake_pattern block GAP_US AFTER_US    # A wakes B, spins AFTER_US, blocks; B, back,
 *                                              # spins $BDELAY us (default 0.2), wakes A
 *   /tmp/wake_pattern sym                      # each side wakes the other, then blocks
 *
 * Two processes sharing a page: A pinned to CPU 0, B to CPU 1, each blocking in FUTEX_WAIT on a
 * word of its own. Prints the p10/p50/p90 of B's time from A's FUTEX_WAKE call to B's return
 * (spin, block: whether the waker halts soon after its wake-up or keeps running), of A's time
 * from B's FUTEX_WAKE call to A's return (block), or of the round trip (sym). Linux only; 400 timed wake-ups (sym: 20,000 round trips) after 20 untimed.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}
static void spin(double ns) {
  const double t = now();
  while (now() - t < ns) {
  }
}
static void pin(int cpu) {
  cpu_set_t s;
  CPU_ZERO(&s);
  CPU_SET(cpu, &s);
  sched_setaffinity(0, sizeof s, &s);
}
/* blocks until *w is set, then clears it */
static void wait_on(atomic_int* w) {
  while (!atomic_exchange(w, 0)) syscall(SYS_futex, w, FUTEX_WAIT, 0, NULL, NULL, 0);
}
static void post(atomic_int* w) {
  atomic_store(w, 1);
  syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}
static int cmp(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

struct shared {
  atomic_int a, b, stop, rounds_a;
  _Atomic double b_entered, b_back, a_back, b_wakes_a;
};

int main(int argc, char** argv) {
  if (argc < 2 || (strcmp(argv[1], "spin") && strcmp(argv[1], "block") && strcmp(argv[1], "sym"))) {
    fprintf(stderr, "usage: wake_pattern spin GAP_US | block GAP_US AFTER_US | sym\n");
    return 2;
  }
  const int block = !strcmp(argv[1], "block"), sym = !strcmp(argv[1], "sym");
  const double gap = argc > 2 ? atof(argv[2]) * 1e3 : 0, after = argc > 3 ? atof(argv[3]) * 1e3 : 0;
  const double bdelay = getenv("BDELAY") ? atof(getenv("BDELAY")) * 1e3 : 200;
  const int n = sym ? 20000 : 400, warm = sym ? 1000 : 20;
  struct shared* s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(s, 0, sizeof *s);
  const pid_t pid = fork();
  if (pid == 0) { /* B */
    pin(1);
    int round = 0;
    while (!s->stop) {
      if (sym) {
        wait_on(&s->b);
        post(&s->a);
        continue;
      }
      s->b_entered = now();
      wait_on(&s->b);
      s->b_back = now();
      if (block) { /* A is on its way to block: wake it once it has */
        ++round;
        while (s->rounds_a < round && !s->stop) {
        }
        spin(bdelay);
        s->b_wakes_a = now();
        post(&s->a);
        while (s->a_back < s->b_back && !s->stop) {
        }
      }
    }
    _exit(0);
  }
  pin(0);
  usleep(10000);
  double* v = malloc(sizeof(double) * (size_t)n);
  double* vb = malloc(sizeof(double) * (size_t)n); /* block: B's own wake-up, as in spin */
  int k = 0;
  for (int i = 0; i < n + warm; ++i) {
    if (sym) {
      const double t = now();
      post(&s->b);
      wait_on(&s->a);
      if (i >= warm) v[k++] = now() - t;
      continue;
    }
    while (s->b_entered < s->b_back) { /* B's next wait */
    }
    const double entered = s->b_entered;
    while (now() - entered < gap) {
    }
    const double t2 = now();
    post(&s->b);
    if (block) {
      spin(after);
      ++s->rounds_a;
      wait_on(&s->a);
      s->a_back = now();
      if (i >= warm) v[k] = s->a_back - s->b_wakes_a;
    }
    while (s->b_back < t2) {
    }
    if (block && i >= warm) vb[k++] = s->b_back - t2;
    if (!block && i >= warm) v[k++] = s->b_back - t2;
    spin(3000);
  }
  s->stop = 1;
  post(&s->b);
  post(&s->a);
  waitpid(pid, NULL, 0);
  qsort(v, (size_t)k, sizeof(double), cmp);
  if (block) {
    qsort(vb, (size_t)k, sizeof(double), cmp);
    printf("block gap %.0f us after %.0f us: B back after A's wake p10 %.1f p50 %.1f p90 %.1f us\n", gap / 1e3,
           after / 1e3, vb[k / 10] / 1e3, vb[k / 2] / 1e3, vb[9 * k / 10] / 1e3);
  }
  printf("%s gap %.0f us after %.0f us bdelay %.1f us: %s p10 %.1f p50 %.1f p90 %.1f us\n", argv[1], gap / 1e3,
         after / 1e3, bdelay / 1e3, sym ? "round trip" : block ? "A back after B's wake" : "B back after A's wake",
         v[k / 10] / 1e3, v[k / 2] / 1e3, v[9 * k / 10] / 1e3);
  return 0;
}
