#include "tests/fuzz/fuzz_input.h"

#include <algorithm>
#include <string>

#include "models/analysis.h"
#include "models/input_error.h"
#include "models/invariants.h"
#include "models/report.h"
#include "models/scenario_loader.h"
#include "models/simulation.h"

namespace gilsim::fuzz {

bool run_input(const uint8_t* data, size_t size) {
  set_invariant_checking(true);
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    Scenario sc = load_scenario(parse_json_text(text, "fuzz.json"), "fuzz.json");
    // The checker costs O(threads + cores) per event: scale the budget so that a scenario of
    // 100,000 threads still finishes in milliseconds.
    const uint64_t width = sc.threads.size() + static_cast<uint64_t>(sc.machine.cores);
    sc.limits.max_events = std::min<uint64_t>({sc.limits.max_events, kEventBudget, 4000000 / width + 1});
    sc.limits.horizon = min(sc.limits.horizon, Time::s(10));
    const Outcome o = run_outcome(sc);
    const Analysis a = analyse(o);
    (void)report_json(o, a).dump();
    (void)report_text(o, a);
    (void)report_csv(o, a);
    return true;
  } catch (const InputError&) {
    return false;
  }
}

}  // namespace gilsim::fuzz
