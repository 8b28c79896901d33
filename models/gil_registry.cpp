#include "models/gil_registry.h"

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
  Py2Params p;
  p.interval = c.tick * sc.interpreter.check_interval;
  p.syscall = c.syscall;
  p.wake = c.wake;
  p.gil_check = c.gil_check;
  return std::make_unique<Py2Gil>(p);
}

std::unique_ptr<GilPolicy> make_py3(const Scenario& sc) {
  Py3Params p;
  // CPython keeps the interval in whole microseconds (sys.setswitchinterval, take_gil's
  // `interval >= 1 ? interval : 1`).
  p.interval = Time::us(std::max<int64_t>(1, sc.interpreter.switch_interval.count() / 1000));
  p.check_quantum = sc.machine.costs.tick * sc.interpreter.check_every;
  p.syscall = sc.machine.costs.syscall;
  p.wake = sc.machine.costs.wake;
  return std::make_unique<Py3Gil>(p);
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
