#include "models/gil_registry.h"

#include "models/gil_free.h"
#include "models/gil_py2.h"
#include "models/gil_py3.h"
#include "models/input_error.h"

namespace gilsim {

namespace {

std::unique_ptr<GilPolicy> make_py2(const Scenario& sc) {
  const Costs& c = sc.machine.costs;
  if (c.tick <= Time::zero())
    throw InputError(sc.file, "/machine/costs/tick",
                     "the py2 GIL counts ticks between checks, so a tick must cost more than 0ns");
  if (sc.interpreter.check_interval > kMaxDurationNs / c.tick.count())
    throw InputError(sc.file, "/interpreter/check_interval",
                     "check_interval x machine.costs.tick is more than 2^53 ns (about 104 days) between checks");
  Py2Params p;
  p.interval = c.tick * sc.interpreter.check_interval;
  p.syscall = c.syscall;
  p.wake = wake_costs(c);
  p.gil_check = c.gil_check;
  p.seed = sc.seed;
  return std::make_unique<Py2Gil>(p);
}

std::unique_ptr<GilPolicy> make_py3_with(const Scenario& sc, int64_t check_every) {
  if (sc.machine.costs.tick > Time::zero() && check_every > kMaxDurationNs / sc.machine.costs.tick.count())
    throw InputError(sc.file, "/interpreter/check_every",
                     "check_every x machine.costs.tick is more than 2^53 ns (about 104 days) between checks");
  Py3Params p;
  // CPython keeps the interval in whole microseconds (sys.setswitchinterval, take_gil's
  // `interval >= 1 ? interval : 1`).
  p.interval = Time::us(std::max<int64_t>(1, sc.interpreter.switch_interval.count() / 1000));
  p.check_quantum = sc.machine.costs.tick * check_every;
  p.syscall = sc.machine.costs.syscall;
  p.wake = wake_costs(sc.machine.costs);
  p.timer_slack = sc.machine.costs.timer_slack;
  p.seed = sc.seed;
  return std::make_unique<Py3Gil>(p);
}

std::unique_ptr<GilPolicy> make_py3(const Scenario& sc) { return make_py3_with(sc, sc.interpreter.check_every); }

// 3.10+: the eval breaker is checked only at function entry, backward jumps and calls
// (bpo-29988): once per loop iteration, 3 ticks of the countdown loop.
std::unique_ptr<GilPolicy> make_py310(const Scenario& sc) {
  return make_py3_with(sc, sc.interpreter.check_every_set ? sc.interpreter.check_every : 3);
}

std::unique_ptr<GilPolicy> make_nogil(const Scenario& sc) {
  FreeParams p;
  p.overhead_ppm = static_cast<int64_t>(sc.interpreter.nogil_overhead * 1e6 + 0.5);
  return std::make_unique<FreeGil>(p);
}

std::unique_ptr<GilPolicy> make_processes(const Scenario& sc) {
  const InterpreterConfig& in = sc.interpreter;
  FreeParams p;
  if (in.ipc_bytes > 0 && in.ipc_per_byte.count() > (kMaxDurationNs - in.process_spawn.count()) / in.ipc_bytes)
    throw InputError(sc.file, "/interpreter/ipc_bytes", "ipc_bytes x ipc_per_byte overflows the duration range");
  p.spawn = in.process_spawn + in.ipc_per_byte * in.ipc_bytes;
  return std::make_unique<FreeGil>(p);
}

}  // namespace

const std::vector<PolicyInfo>& policies() {
  static const std::vector<PolicyInfo> table = {
      {"py2", "Python 2.7 tick GIL: release and re-acquire every check_interval ticks, no hand-off",
       "Python/ceval.c (_Py_Ticker), Python/thread_pthread.h (USE_SEMAPHORES), glibc sem_post/sem_wait",
       {{"check_interval", "100", "ticks between checks (sys.setcheckinterval)"}},
       make_py2},
      {"py3", "Python 3.2+ interval GIL: timed waits, drop requests, forced switching",
       "Python/ceval_gil.h take_gil/drop_gil (3.2-3.11), Python/ceval_gil.c (3.12+)",
       {{"switch_interval", "5ms", "sys.setswitchinterval; kept in whole microseconds"},
        {"check_every", "1", "ticks between eval-breaker checks (1: every bytecode, as 3.2-3.9)"}},
       make_py3},
      {"py310", "Python 3.10+ interval GIL: as py3, but the eval breaker is only checked at backward jumps and calls",
       "Python/ceval.c CHECK_EVAL_BREAKER at JUMP_BACKWARD/RESUME/CALL (bpo-29988, 3.10)",
       {{"switch_interval", "5ms", "sys.setswitchinterval"},
        {"check_every", "3", "ticks between eval-breaker checks (one countdown-loop iteration)"}},
       make_py310},
      {"nogil", "free-threaded CPython (PEP 703, 3.13t/3.14t): no GIL, threads run Python code in parallel",
       "PEP 703 / PEP 779: single-thread overhead of about 5-10%",
       {{"nogil_overhead", "0.075", "extra cost of bytecode as a ratio (0.075 = 7.5% slower)"}},
       make_nogil},
      {"processes", "multiprocessing: every thread runs in a process of its own, with its own interpreter and GIL",
       "multiprocessing (spawn): process start-up and pickled arguments",
       {{"process_spawn", "30ms", "start-up of one process (spawn, interpreter start, imports)"},
        {"ipc_bytes", "0", "bytes sent to each process (arguments and results)"},
        {"ipc_per_byte", "1ns", "cost of moving one byte between processes (pickle and pipe)"}},
       make_processes},
  };
  return table;
}

const PolicyInfo* find_policy(std::string_view name) {
  for (const auto& p : policies())
    if (name == p.name) return &p;
  return nullptr;
}

std::string policy_names() {
  std::string s;
  for (const auto& p : policies()) s += std::string(s.empty() ? "" : ", ") + p.name;
  return s;
}

}  // namespace gilsim
