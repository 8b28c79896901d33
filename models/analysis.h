#pragma once
/// What a run means: convoys (waits after I/O against the thread run alone), starvation,
/// fairness among CPU-bound threads, and the speedup against the ideal for the core count.

#include <optional>
#include <string>
#include <vector>

#include "models/scenario.h"
#include "models/simulation.h"

namespace gilsim {

/// A wait longer than this marks a thread as starved. Default: 100ms, or 10 switch intervals
/// when that is longer.
Time starvation_threshold(const Scenario& sc);

struct ThreadAnalysis {
  bool releases = false;   ///< its program releases the GIL (io or native phases)
  bool cpu_bound = false;  ///< its program has only cpu and native_gil phases
  double wait_share = 0;   ///< share of its runnable time spent waiting for the GIL
  bool starved = false;    ///< a single wait longer than the starvation threshold
  std::optional<double> io_ops_per_s;
  std::optional<Time> alone;  ///< how long its program takes with no other thread
  std::optional<double> alone_io_ops_per_s;
  std::optional<double> slowdown;  ///< its time in the run over its time alone
};

struct Analysis {
  std::vector<ThreadAnalysis> threads;
  Time starvation_threshold;
  std::optional<double> jain;  ///< Jain's index of GIL time among CPU-bound threads (>= 2)
  std::optional<double> ideal_speedup;
  std::string bound;      ///< "gil", "cores", "io" or "" (speedup close to ideal)
  std::string bound_why;  ///< one line with the numbers
};

/// Analyses a finished outcome. With `alone` set, runs each thread that releases the GIL alone
/// (once per thread of the scenario file: replicas share the result).
Analysis analyse(const Outcome& o, bool alone = true);

}  // namespace gilsim
