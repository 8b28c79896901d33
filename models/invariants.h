#pragma once
/// The invariant checker: an Observer plus the engine's after-event hook that verifies, after
/// every event, what must hold in any correct run (one GIL holder per interpreter, no more running
/// threads than cores, monotonic time, state times adding up, legal state transitions, the py2
/// ticker's range, py3 drop requests only after a whole interval without a switch). A violation
/// throws InvariantViolation, which stops the run.

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/observer.h"
#include "sim/engine.h"

namespace gilsim {

class GilPolicy;
class Interpreter;
class Metrics;
class Py2Gil;
class Py3Gil;

/// Whether simulate() runs the checker. Default: on in builds configured with invariants
/// (meson buildtype debug or -Dinvariants=true), off otherwise; `--check-invariants` and the test
/// suite turn it on.
bool invariant_checking();
void set_invariant_checking(bool on);

/// A broken invariant: the event number, the simulated time, what broke, and the models' state.
class InvariantViolation : public std::logic_error {
public:
  InvariantViolation(uint64_t event, Time when, const std::string& what, std::string state);
  uint64_t event() const { return event_; }
  Time when() const { return when_; }
  /// "invariant violated at event N, t=...: <what>"
  const std::string& line() const { return line_; }
  /// A few lines describing every thread, core and GIL at the violation.
  const std::string& state() const { return state_; }

private:
  uint64_t event_;
  Time when_;
  std::string line_;
  std::string state_;
};

/// Whether a thread may go from `from` straight to `to` (the tables are in invariants.cpp);
/// `gil`: the policy has a GIL (false for nogil and one-thread processes).
bool legal_transition(ThreadState from, ThreadState to, bool gil = true);

class InvariantChecker final : public Observer, public EventHandler {
public:
  /// Observer-level checks only (times, transitions, GIL hand-offs); attach() adds the models.
  InvariantChecker(const Engine& engine, int threads);
  /// Reads the models' state after every event; `policies[i]` is interpreter i's GIL. `metrics`
  /// may be null.
  void attach(const Interpreter& ix, const std::vector<GilPolicy*>& policies, const Metrics* metrics);
  /// py3's switch interval, for the drop-request check (attach() sets it for Py3Gil).
  void set_switch_interval(Time interval) { switch_interval_ = interval; }

  void on_thread_state(Time now, int t, ThreadState s) override;
  void on_gil(Time now, int interp, int holder) override;
  void on_gil_event(Time now, GilEvent e, int t) override;
  void on_core(Time now, int core, int t) override;
  void on_io(Time now, int t) override { see(now, "on_io", t); }
  /// The after-event hook: checks the models' state.
  void on_event(uint32_t kind, uint32_t arg) override;

private:
  struct Thread {
    ThreadState state = ThreadState::kNotStarted;
    Time since;
    Time wait_since;  ///< when it last entered kWaitingGil
    int interp = 0;
  };
  struct Interp {
    int holder = -1;
    int last_holder = -1;  ///< last thread that held it (py3's last_holder)
    Time last_switch;      ///< when a thread other than last_holder last took it
  };

  void see(Time now, const char* what, int t);
  Interp& interp(int i);
  void check_models();
  [[noreturn]] void fail(const std::string& what) const;
  std::string dump() const;

  const Engine& engine_;
  const Interpreter* ix_ = nullptr;
  const Metrics* metrics_ = nullptr;
  std::vector<const Py2Gil*> py2_;  ///< the py2 policies, one per interpreter using py2
  std::vector<const Py3Gil*> py3_;
  Time switch_interval_ = Time::max();
  int interpreters_ = 1 << 20;  ///< GILs that exist (from attach; unit tests feeding events skip it)
  bool gil_ = true;  ///< every policy has a GIL
  Time last_;  ///< latest time seen by a callback or the hook
  std::vector<Thread> th_;
  std::vector<Interp> in_;
};

}  // namespace gilsim
