// gilsim-py3fightbench: Python 3's interval GIL without the interpreter. Linux only.
//
//   gilsim-py3fightbench [--cpu K] [--interval-us US] [--tick-ns NS] [--op-gil-ns NS]
//                        [--seconds S] [--repeats R] [--pin IO,CPU1,..] [--log FILE] [--quick]
//
// take_gil() and drop_gil() of CPython 3.11 (Python/ceval_gil.h) written out over the same glibc
// calls the interpreter makes (Python/condvar.h: pthread_mutex_t, pthread_cond_t on
// CLOCK_MONOTONIC, pthread_cond_timedwait for COND_TIMED_WAIT), FORCE_SWITCHING included:
// gil->mutex, gil->cond, switch_mutex, switch_cond, locked, last_holder, switch_number and
// gil_drop_request, each step in CPython's order. Threads are not pinned unless --pin says so.
//
// K CPU threads run the eval loop's shape: { work(tick); if (gil_drop_request) { drop_gil;
// take_gil } } (eval_frame_handle_pending). One I/O thread runs io_echo.py --mode poll's op:
// { work(op_gil) with the GIL; drop_gil; select() on a socket with nothing to read, timeout 0;
// take_gil } (Py_BEGIN/END_ALLOW_THREADS around the call, Modules/selectmodule.c). `work` is a
// register-only loop that stores its result to one word all threads share (only the GIL's
// holder runs it, so the word moves between cores with the GIL, as the interpreter's state does).
//
// What it counts, per run (one JSON object per line): the I/O thread's ops/s, its op time's
// p50/p90, its turns (ops between two take_gil calls that had to wait), the asks (a timed-out
// waiter setting gil_drop_request; `io_asks`: the I/O thread's), the holder's reaction to an
// ask (from the asker's store to the holder's drop_gil: p10/p50/p90), how often the forced
// dropper and the takers found gil->mutex held (a pthread_mutex_trylock first, which changes
// nothing in the mutex when it fails), and what the forced dropper found at its
// FORCE_SWITCHING check: the GIL already taken (last_holder changed: no wait), a
// COND_WAIT(switch_cond) that returned within 5 us, or a sleep, with the sleep's median.
// libgilsim-condshim.so reports the same three outcomes for a real interpreter; gilsim's model
// of this code is models/gil_py3.cpp; tools/validate/py3fight compares the two. `--log FILE`
// writes every step of every thread of the last run (time, thread, step, CPU) for
// `tools/validate/py3fight --asks`.
// The clock reads (clock_gettime, vDSO) add about 20 ns to each timed step.
#include <pthread.h>
#include <sched.h>
#include <sys/select.h>
#include <sys/socket.h>
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

namespace {

// struct _gil_runtime_state (Include/internal/pycore_gil.h, 3.11) and gil_drop_request.
struct Gil {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  pthread_mutex_t switch_mutex;
  pthread_cond_t switch_cond;
  std::atomic<int> locked{0};
  unsigned long switch_number = 0;
  std::atomic<int> last_holder{-1};
  std::atomic<int> drop_request{0};
  long interval_us = 5000;
};

// --log: every GIL step of every thread with its time and CPU, written after the run.
enum Ev : uint8_t { kWaitIn, kWaitOutTimeout, kWaitOutOther, kAsk, kDropIn, kSignalled, kSwitchIn, kSwitchOut, kNoWait, kTaken, kSelect };
const char* const kEvName[] = {"wait", "timeout", "woken", "ask", "drop", "signalled", "switch_wait", "switch_back", "no_wait", "taken", "select"};
struct LogRec {
  int64_t t;
  uint8_t thread, ev, cpu;
};
thread_local std::vector<LogRec>* t_log = nullptr;
void logev(int me, Ev e) {
  if (t_log && t_log->size() < t_log->capacity())
    t_log->push_back({now_ns(), static_cast<uint8_t>(me), e, static_cast<uint8_t>(sched_getcpu())});
}

struct Counts {  // written by one thread each, summed after the run
  long asks = 0, forced = 0, nowait = 0, short_wait = 0, slept = 0, mutex_held = 0, take_mutex_held = 0, takes = 0;
  std::vector<int64_t> sleeps, reactions;
};
std::atomic<int64_t> g_ask_at{0};  // when the last drop request was set

// Python/condvar.h, PyCOND_TIMEDWAIT: an absolute CLOCK_MONOTONIC deadline (_PyThread_cond_after).
bool cond_timed_wait(Gil& g, long us) {
  timespec abs{};
  clock_gettime(CLOCK_MONOTONIC, &abs);
  const int64_t ns = static_cast<int64_t>(abs.tv_nsec) + us * 1000;
  abs.tv_sec += static_cast<time_t>(ns / 1000000000);
  abs.tv_nsec = static_cast<long>(ns % 1000000000);
  return pthread_cond_timedwait(&g.cond, &g.mutex, &abs) == ETIMEDOUT;
}

// drop_gil(), 3.11: last_holder = tstate; under gil->mutex locked = 0 and COND_SIGNAL(cond); then,
// FORCE_SWITCHING, with the drop request still set, wait on switch_cond until someone else has
// taken the GIL.
// `exiting`: the thread's last release (tstate NULL in CPython, as at thread exit): no
// FORCE_SWITCHING wait, which could otherwise wait for a thread that has stopped already.
void drop_gil(Gil& g, int me, Counts& c, bool forced, bool exiting = false) {
  logev(me, kDropIn);
  if (forced) c.reactions.push_back(now_ns() - g_ask_at.load(std::memory_order_relaxed));
  g.last_holder.store(me, std::memory_order_relaxed);
  // pthread_mutex_trylock first only to count the contended drops; a failed trylock changes
  // nothing in the mutex, and the lock that follows takes glibc's usual path.
  if (pthread_mutex_trylock(&g.mutex) != 0) {
    if (forced) ++c.mutex_held;
    pthread_mutex_lock(&g.mutex);
  }
  g.locked.store(0, std::memory_order_relaxed);
  pthread_cond_signal(&g.cond);
  pthread_mutex_unlock(&g.mutex);
  logev(me, kSignalled);
  if (!exiting && g.drop_request.load(std::memory_order_relaxed)) {
    pthread_mutex_lock(&g.switch_mutex);
    if (g.last_holder.load(std::memory_order_relaxed) == me) {
      g.drop_request.store(0, std::memory_order_relaxed);  // RESET_GIL_DROP_REQUEST
      logev(me, kSwitchIn);
      const int64_t t0 = now_ns();
      pthread_cond_wait(&g.switch_cond, &g.switch_mutex);
      const int64_t d = now_ns() - t0;
      logev(me, kSwitchOut);
      if (forced) {
        if (d < 5000) {
          ++c.short_wait;
        } else {
          ++c.slept;
          c.sleeps.push_back(d);
        }
      }
    } else if (forced) {
      ++c.nowait;
      logev(me, kNoWait);
    }
    pthread_mutex_unlock(&g.switch_mutex);
  } else if (forced) {
    ++c.nowait;  // the new holder has already reset the request
  }
}

// take_gil(), 3.11. Returns whether it had to wait.
bool take_gil(Gil& g, int me, Counts& c) {
  if (pthread_mutex_trylock(&g.mutex) != 0) {  // counted as in drop_gil
    ++c.take_mutex_held;
    pthread_mutex_lock(&g.mutex);
  }
  ++c.takes;
  bool waited = false;
  bool drop_requested = false;
  while (g.locked.load(std::memory_order_relaxed)) {
    waited = true;
    const unsigned long saved = g.switch_number;
    logev(me, kWaitIn);
    const bool timed_out = cond_timed_wait(g, g.interval_us);
    logev(me, timed_out ? kWaitOutTimeout : kWaitOutOther);
    if (timed_out && g.locked.load(std::memory_order_relaxed) && g.switch_number == saved) {
      g_ask_at.store(now_ns(), std::memory_order_relaxed);
      g.drop_request.store(1, std::memory_order_relaxed);  // SET_GIL_DROP_REQUEST
      drop_requested = true;
      ++c.asks;
      logev(me, kAsk);
    }
  }
  // _ready:
  pthread_mutex_lock(&g.switch_mutex);
  g.locked.store(1, std::memory_order_relaxed);
  if (g.last_holder.load(std::memory_order_relaxed) != me) {
    g.last_holder.store(me, std::memory_order_relaxed);
    ++g.switch_number;
  }
  pthread_cond_signal(&g.switch_cond);
  pthread_mutex_unlock(&g.switch_mutex);
  if (drop_requested) g.drop_request.store(0, std::memory_order_relaxed);
  pthread_mutex_unlock(&g.mutex);
  logev(me, kTaken);
  return waited;
}

struct Config {
  int cpu = 1;
  long interval_us = 5000;
  double tick_ns = 40, op_gil_ns = 1500, seconds = 2;
  std::string log;  ///< --log FILE
  /// --pin IO,CPU1,CPU2,...: the CPU each thread is bound to (-1: any), the I/O thread first.
  std::vector<int> pin;
};

void pin_to(const Config& cfg, int me) {
  if (static_cast<size_t>(me) >= cfg.pin.size() || cfg.pin[static_cast<size_t>(me)] < 0) return;
  if (!pin(cfg.pin[static_cast<size_t>(me)])) {
    std::fprintf(stderr, "gilsim-py3fightbench: cannot pin thread %d to CPU %d\n", me, cfg.pin[static_cast<size_t>(me)]);
    std::exit(1);
  }
}

std::string pin_text(const Config& cfg) {
  std::string s;
  for (const int c : cfg.pin) {
    if (!s.empty()) s.push_back(',');
    s.append(std::to_string(c));
  }
  return s;
}

void run(const Config& cfg, double per_iter, int rep) {
  Gil g;
  pthread_mutex_init(&g.mutex, nullptr);
  pthread_mutex_init(&g.switch_mutex, nullptr);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&g.cond, &attr);
  pthread_cond_init(&g.switch_cond, nullptr);
  g.interval_us = cfg.interval_us;

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    std::perror("socketpair");
    std::exit(1);
  }
  const auto tick = static_cast<uint64_t>(cfg.tick_ns / per_iter + 0.5);
  const auto op_gil = static_cast<uint64_t>(cfg.op_gil_ns / per_iter + 0.5);
  std::atomic<bool> stop{false};
  std::vector<Counts> counts(static_cast<size_t>(cfg.cpu) + 1);
  std::vector<long> checks(static_cast<size_t>(cfg.cpu), 0);
  std::vector<int64_t> op_ns;
  op_ns.reserve(1 << 20);
  long turns = 0;
  std::vector<std::vector<LogRec>> logs(static_cast<size_t>(cfg.cpu) + 1);
  if (!cfg.log.empty())
    for (auto& l : logs) l.reserve(size_t{1} << 22);
  t_log = &logs[0];
  pin_to(cfg, 0);

  // Every thread starts by taking the GIL, the I/O thread first, as the workload's threads do.
  Counts boot;
  take_gil(g, 0, boot);
  std::vector<std::thread> cpus;
  for (int k = 0; k < cfg.cpu; ++k) {
    cpus.emplace_back([&, k] {
      const int me = k + 1;
      Counts& c = counts[static_cast<size_t>(me)];
      t_log = &logs[static_cast<size_t>(me)];
      pin_to(cfg, me);
      long n = 0;
      take_gil(g, me, c);
      while (!stop.load(std::memory_order_relaxed)) {
        work(tick);
        ++n;
        if (g.drop_request.load(std::memory_order_relaxed)) {  // the eval breaker
          ++c.forced;
          drop_gil(g, me, c, true);
          take_gil(g, me, c);
        }
      }
      checks[static_cast<size_t>(k)] = n;
      drop_gil(g, me, c, false, true);
    });
  }
  Counts& ic = counts[0];
  const int64_t start = now_ns();
  const int64_t end = start + static_cast<int64_t>(cfg.seconds * 1e9);
  int64_t t = start;
  while (t < end) {
    work(op_gil);
    drop_gil(g, 0, ic, false);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    timeval zero{0, 0};
    select(sv[0] + 1, &rd, nullptr, nullptr, &zero);
    logev(0, kSelect);
    if (take_gil(g, 0, ic)) ++turns;
    const int64_t t2 = now_ns();
    op_ns.push_back(t2 - t);
    t = t2;
  }
  const double wall = static_cast<double>(t - start) / 1e9;
  stop.store(true);
  drop_gil(g, 0, ic, false, true);
  for (auto& th : cpus) th.join();
  t_log = nullptr;
  if (!cfg.log.empty()) {  // the last repeat's steps, in time order: t_ns thread step cpu
    std::vector<LogRec> all;
    for (auto& l : logs) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end(), [](const LogRec& a, const LogRec& b) { return a.t < b.t; });
    if (FILE* f = std::fopen(cfg.log.c_str(), "w")) {
      for (const LogRec& r : all)
        std::fprintf(f, "%lld %d %s %d\n", static_cast<long long>(r.t - start), r.thread, kEvName[r.ev], r.cpu);
      std::fclose(f);
    }
  }

  Counts all;
  for (auto& c : counts) {
    all.asks += c.asks;
    all.forced += c.forced;
    all.nowait += c.nowait;
    all.short_wait += c.short_wait;
    all.slept += c.slept;
    all.mutex_held += c.mutex_held;
    if (&c != &ic) {
      all.take_mutex_held += c.take_mutex_held;
      all.takes += c.takes;
    }
    all.sleeps.insert(all.sleeps.end(), c.sleeps.begin(), c.sleeps.end());
    all.reactions.insert(all.reactions.end(), c.reactions.begin(), c.reactions.end());
  }
  long cpu_checks = 0;
  for (const long n : checks) cpu_checks += n;
  const auto ops = static_cast<long>(op_ns.size());
  std::sort(op_ns.begin(), op_ns.end());
  std::sort(all.reactions.begin(), all.reactions.end());
  std::sort(all.sleeps.begin(), all.sleeps.end());
  auto q = [](const std::vector<int64_t>& v, int p) { return static_cast<long long>(pct_sorted(v, p)); };
  std::printf(
      "{\"what\": \"run\", \"repeat\": %d, \"cpu\": %d, \"interval_us\": %ld, \"tick_ns\": %.0f, \"op_gil_ns\": %.0f, "
      "\"pin\": \"%s\", \"seconds\": %.3f, \"io_ops\": %ld, \"io_ops_per_s\": %.1f, \"op_p50_ns\": %lld, \"op_p90_ns\": %lld, "
      "\"turns\": %ld, \"ops_per_turn\": %.2f, \"cpu_checks_per_s\": %.0f, \"asks\": %ld, \"io_asks\": %ld, "
      "\"forced_drops\": %ld, \"reaction_p10_p50_p90_ns\": [%lld, %lld, %lld], \"mutex_held\": %ld, \"take_found_mutex_held\": {\"io\": [%ld, %ld], \"cpu\": [%ld, %ld]}, "
      "\"dropper\": {\"no_wait\": %ld, \"under_5us\": %ld, \"slept\": %ld, \"sleep_p50_ns\": %lld}}\n",
      rep, cfg.cpu, cfg.interval_us, cfg.tick_ns, cfg.op_gil_ns, pin_text(cfg).c_str(), wall, ops, static_cast<double>(ops) / wall,
      q(op_ns, 50), q(op_ns, 90), turns, turns > 0 ? static_cast<double>(ops) / static_cast<double>(turns) : 0.0,
      static_cast<double>(cpu_checks) / wall, all.asks, ic.asks, all.forced, q(all.reactions, 10), q(all.reactions, 50),
      q(all.reactions, 90), all.mutex_held, ic.take_mutex_held, ic.takes, all.take_mutex_held, all.takes, all.nowait,
      all.short_wait, all.slept, q(all.sleeps, 50));
  std::fflush(stdout);
  close(sv[0]);
  close(sv[1]);
  pthread_cond_destroy(&g.cond);
  pthread_cond_destroy(&g.switch_cond);
}

// The I/O op's system call alone: select() on a socket with nothing to read, zero timeout; the
// median over 21 blocks of 1000 calls (the `native` phase of gilsim's scenario).
double select_ns() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
  std::vector<int64_t> per;
  for (int b = 0; b < 21; ++b) {
    const int64_t t0 = now_ns();
    for (int i = 0; i < 1000; ++i) {
      fd_set rd;
      FD_ZERO(&rd);
      FD_SET(sv[0], &rd);
      timeval zero{0, 0};
      select(sv[0] + 1, &rd, nullptr, nullptr, &zero);
    }
    per.push_back(now_ns() - t0);
  }
  close(sv[0]);
  close(sv[1]);
  return static_cast<double>(pct(per, 50)) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  int repeats = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "--quick") {
      cfg.seconds = 0.2;
    } else if (a == "--cpu" && has) {
      cfg.cpu = std::atoi(argv[++i]);
    } else if (a == "--interval-us" && has) {
      cfg.interval_us = std::atol(argv[++i]);
    } else if (a == "--tick-ns" && has) {
      cfg.tick_ns = std::atof(argv[++i]);
    } else if (a == "--op-gil-ns" && has) {
      cfg.op_gil_ns = std::atof(argv[++i]);
    } else if (a == "--seconds" && has) {
      cfg.seconds = std::atof(argv[++i]);
    } else if (a == "--pin" && has) {
      for (char* p = std::strtok(argv[++i], ","); p; p = std::strtok(nullptr, ",")) cfg.pin.push_back(std::atoi(p));
    } else if (a == "--log" && has) {
      cfg.log = argv[++i];
    } else if (a == "--repeats" && has) {
      repeats = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: gilsim-py3fightbench [--cpu K] [--interval-us US] [--tick-ns NS] [--op-gil-ns NS] "
                   "[--seconds S] [--repeats R] [--pin IO,CPU1,..] [--log FILE] [--quick]\n");
      return 2;
    }
  }
  if (cfg.cpu < 0 || cfg.interval_us < 1 || cfg.seconds <= 0 || repeats < 1) {
    std::fprintf(stderr, "gilsim-py3fightbench: --cpu >= 0, --interval-us >= 1, --seconds > 0, --repeats >= 1\n");
    return 2;
  }
  const double per_iter = calibrate_iter();
  cpu_set_t allowed;
  const int cpus = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : 0;
  std::printf("{\"what\": \"machine\", \"cpus\": %d, \"ns_per_work_iteration\": %.4f, \"select_ns\": %.0f}\n", cpus,
              per_iter, select_ns());
  for (int r = 0; r < repeats; ++r) run(cfg, per_iter, r);
  return 0;
}
