#pragma once
/// Builds the models from a scenario, runs them, and runs the serial baseline: the same
/// non-daemon work done back-to-back by one thread under the same interpreter.

#include <optional>
#include <string>
#include <vector>

#include "models/metrics.h"
#include "models/observer.h"
#include "models/scenario.h"
#include "sim/engine.h"

namespace gilsim {

struct ThreadResult {
  std::string name;
  bool daemon = false;
  bool finished = false;
  Time finish;
  Time cpu;  ///< time on a core
  uint64_t voluntary_switches = 0;    ///< left its core blocking
  uint64_t involuntary_switches = 0;  ///< preempted
  ThreadMetrics m;
};

struct CoreResult {
  Time busy;
  uint64_t context_switches = 0;
};

struct RunResult {
  RunStatus status = RunStatus::kDrained;
  bool complete = false;  ///< every non-daemon thread finished
  Time end;               ///< simulated time when the run stopped
  uint64_t events = 0;
  uint64_t fingerprint = 0;
  std::vector<ThreadResult> threads;
  std::vector<CoreResult> cores;
  GilMetrics gil;
};

/// Runs the scenario's threads. `extra` (a trace, say) observes the run besides the metrics.
RunResult simulate(const Scenario& sc, Observer* extra = nullptr);
/// Runs the serial baseline (daemon threads left out, starts ignored; peers run beside it).
RunResult simulate_serial(const Scenario& sc);

/// One scenario run with its baseline: what every report prints.
struct Outcome {
  Scenario scenario;  ///< the scenario as run (a copy: thread programs are shared)
  RunResult run;
  RunResult serial;
  /// serial_ns / makespan_ns; empty with `why` when undefined.
  std::optional<double> speedup;
  std::string why_no_speedup;
};

/// Runs both; throws InputError when the policy cannot be built for the scenario.
Outcome run_outcome(const Scenario& sc, Observer* extra = nullptr);

}  // namespace gilsim
