#pragma once
/// gilsim run's pictures of the run: --trace (a Chrome/Perfetto trace file) and --timeline (an
/// SVG or PNG picture), from their options to their files.

#include <memory>
#include <optional>
#include <string>

#include "models/observer.h"
#include "models/simulation.h"
#include "models/timeline.h"
#include "models/trace.h"
#include "tools/gilsim/cli.h"
#include "tools/gilsim/output.h"

namespace gilsim::cli {

/// Parses "START:END" (durations; "0" allowed; END empty: to the end of the run).
/// Throws UsageError naming `option`.
Window parse_window(const std::string& option, const std::string& text);
/// Parses a byte count: digits with an optional KiB, MiB or GiB. Throws UsageError.
uint64_t parse_bytes(const std::string& option, const std::string& text);

class RunOutputs {
public:
  void add_to(po::options_description& d);
  /// Checks the options before the run. Throws UsageError.
  void check();
  /// Opens the outputs for `sc`; returns what should observe the run (null: nothing asked).
  Observer* start(const Scenario& sc);
  /// Writes the outputs of a complete run (prints a warning for a trace cut at its limit).
  void finish(const Outcome& o);

private:
  std::string trace_, trace_window_, trace_limit_, timeline_, timeline_window_;
  int timeline_width_ = kTimelineDefaultWidth;
  TraceOptions trace_opt_;
  Window timeline_win_{Time::zero(), kDefaultTimelineSpan};
  bool png_ = false;
  std::optional<AtomicFile> trace_file_;
  std::unique_ptr<TraceWriter> trace_w_;
  std::unique_ptr<Timeline> timeline_w_;
  ObserverList both_;
};

}  // namespace gilsim::cli
