/// gilsim run: simulate one scenario and print its report.

#include <cstdio>
#include <iostream>

#include "models/invariants.h"
#include "models/report.h"
#include "models/simulation.h"
#include "tools/gilsim/cli.h"
#include "tools/gilsim/output.h"
#include "tools/gilsim/run_outputs.h"

namespace gilsim::cli {

std::string run_limit_message(const Outcome& o) {
  const RunResult& r = o.run;
  const std::string at = " at simulated time " + human_time(r.end.count()) + " after " + std::to_string(r.events) + " events";
  switch (r.status) {
    case RunStatus::kEventBudget:
      return "the run hit its event budget (limits.max_events = " + std::to_string(o.scenario.limits.max_events) + ")" + at +
             "; a thread that never ends, or raise the budget with --max-events";
    case RunStatus::kHorizon:
      return "the run reached its time horizon (limits.horizon = " + human_time(o.scenario.limits.horizon.count()) + ")" + at +
             " with threads still running; raise it with --horizon";
    default:
      return "the run ended with threads still waiting (a deadlock in the model)" + at;
  }
}

int cmd_run(const std::vector<std::string>& args) {
  ScenarioOptions so;
  std::string format = "text", output, scenario;
  bool check = false;
  po::options_description d("gilsim run SCENARIO [options]");
  d.add_options()("help,h", "this help")
      ("format", po::value(&format), "text (default), json, jsonl (one line) or csv (a row per thread)")
      ("output,o", po::value(&output), "write the report to FILE (atomically) instead of stdout")
      ("check-invariants", po::bool_switch(&check), "verify the model's invariants after every event (exit 70 on a violation)");
  so.add_to(d);
  RunOutputs pictures;
  pictures.add_to(d);
  po::variables_map vm;
  if (!parse_scenario_command(args, d, "run", scenario, vm)) return kExitOk;
  check_format(format, {"text", "json", "jsonl", "csv"});
  pictures.check();
  if (check) set_invariant_checking(true);
  const Scenario sc = load_scenario_file(scenario, so.overrides());
  const Outcome o = run_outcome(sc, pictures.start(sc));
  if (!o.run.complete) {
    std::fprintf(stderr, "gilsim: error: %s: %s\n", scenario.c_str(), run_limit_message(o).c_str());
    return kExitLimit;
  }
  pictures.finish(o);
  const Analysis a = analyse(o);
  std::string text;
  if (format == "json") text = report_json(o, a).dump(2) + "\n";
  else if (format == "jsonl") text = report_json(o, a).dump() + "\n";
  else if (format == "csv") text = report_csv(o, a);
  else text = report_text(o, a);
  write_output(output, text);
  return kExitOk;
}

}  // namespace gilsim::cli
