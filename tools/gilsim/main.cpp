/// gilsim: the command line. The only user of Boost.Program_options.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "gilsim_version.h"
#include "models/gil_registry.h"
#include "models/input_error.h"
#include "models/report.h"
#include "models/scenario_loader.h"
#include "models/simulation.h"
#include "tools/gilsim/output.h"

namespace po = boost::program_options;
using namespace gilsim;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitLimit = 3;

const char* kUsage =
    "usage: gilsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO        simulate a scenario and report (text, json or csv)\n"
    "  validate SCENARIO.. load and check scenarios, run nothing\n"
    "  policies            list the GIL policies and their parameters\n"
    "  version             print the version\n"
    "\n"
    "'gilsim <command> --help' shows a command's options.\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Options shared by the commands that load a scenario.
struct ScenarioOptions {
  std::string gil;
  std::vector<std::string> sets;
  std::string seed;
  std::string max_events;
  std::string horizon;

  void add_to(po::options_description& d) {
    d.add_options()
        ("gil", po::value(&gil), "GIL policy, overriding interpreter.gil (see 'gilsim policies')")
        ("set", po::value(&sets)->composing(), "PATH=VALUE: override a scenario value, e.g. machine.cores=8 (repeatable)")
        ("seed", po::value(&seed), "random seed, overriding the scenario's")
        ("max-events", po::value(&max_events), "event budget, overriding limits.max_events")
        ("horizon", po::value(&horizon), "simulated-time limit, overriding limits.horizon (e.g. 10s)");
  }
  std::vector<Override> overrides() const {
    std::vector<Override> o;
    for (const auto& s : sets) o.push_back(parse_override(s));
    if (!gil.empty()) o.push_back({"interpreter.gil", "\"" + gil + "\""});
    if (!seed.empty()) o.push_back({"seed", seed});
    if (!max_events.empty()) o.push_back({"limits.max_events", max_events});
    if (!horizon.empty()) o.push_back({"limits.horizon", "\"" + horizon + "\""});
    return o;
  }
};

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& d,
                        const po::positional_options_description& pos) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(d).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return vm;
}

std::string run_limit_message(const Outcome& o) {
  const RunResult& r = o.run;
  const std::string at = " at simulated time " + human_time(r.end.count()) + " after " + std::to_string(r.events) + " events";
  switch (r.status) {
    case RunStatus::kEventBudget:
      return "the run hit its event budget (limits.max_events = " + std::to_string(o.scenario->limits.max_events) + ")" + at +
             "; a thread that never ends, or raise the budget with --max-events";
    case RunStatus::kHorizon:
      return "the run reached its time horizon (limits.horizon = " + human_time(o.scenario->limits.horizon.count()) + ")" + at +
             " with threads still running; raise it with --horizon";
    default:
      return "the run ended with threads still waiting (a deadlock in the model)" + at;
  }
}

int cmd_run(const std::vector<std::string>& args) {
  ScenarioOptions so;
  std::string format = "text", output, scenario;
  po::options_description d("gilsim run SCENARIO [options]");
  d.add_options()("help,h", "this help")
      ("format", po::value(&format), "text (default), json or csv")
      ("output,o", po::value(&output), "write the report to FILE (atomically) instead of stdout");
  so.add_to(d);
  po::options_description all;
  all.add(d).add_options()("scenario", po::value(&scenario));
  po::positional_options_description pos;
  pos.add("scenario", 1);
  const auto vm = parse(args, all, pos);
  if (vm.count("help")) {
    std::cout << d;
    return kExitOk;
  }
  if (scenario.empty()) throw UsageError("run needs a scenario file");
  if (format != "text" && format != "json" && format != "csv") throw UsageError("--format must be text, json or csv, got \"" + format + "\"");
  const Scenario sc = load_scenario_file(scenario, so.overrides());
  const Outcome o = run_outcome(sc);
  if (!o.run.complete) {
    std::fprintf(stderr, "gilsim: error: %s: %s\n", scenario.c_str(), run_limit_message(o).c_str());
    return kExitLimit;
  }
  std::string text;
  if (format == "json") text = report_json(o).dump(2) + "\n";
  else if (format == "csv") text = report_csv(o);
  else text = report_text(o);
  write_output(output, text);
  return kExitOk;
}

int cmd_validate(const std::vector<std::string>& args) {
  ScenarioOptions so;
  std::vector<std::string> files;
  po::options_description d("gilsim validate SCENARIO... [options]");
  d.add_options()("help,h", "this help");
  so.add_to(d);
  po::options_description all;
  all.add(d).add_options()("scenario", po::value(&files));
  po::positional_options_description pos;
  pos.add("scenario", -1);
  const auto vm = parse(args, all, pos);
  if (vm.count("help")) {
    std::cout << d;
    return kExitOk;
  }
  if (files.empty()) throw UsageError("validate needs at least one scenario file");
  int status = kExitOk;
  for (const auto& f : files) {
    try {
      const Scenario sc = load_scenario_file(f, so.overrides());
      find_policy(sc.interpreter.gil)->make(sc);  // the policy's own checks
      std::printf("%s: ok (%zu threads, %d cores, policy %s)\n", f.c_str(), sc.threads.size(), sc.machine.cores,
                  sc.interpreter.gil.c_str());
    } catch (const InputError& e) {
      std::fprintf(stderr, "gilsim: error: %s\n", e.line().c_str());
      status = kExitUsage;
    }
  }
  return status;
}

int cmd_policies() {
  for (const auto& p : policies()) {
    std::printf("%s\n    %s\n    follows: %s\n", p.name, p.summary, p.follows);
    for (const auto& prm : p.params) std::printf("    interpreter.%s (default %s): %s\n", prm.key, prm.dflt, prm.meaning);
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  try {
    if (cmd == "run") return cmd_run(args);
    if (cmd == "validate") return cmd_validate(args);
    if (cmd == "policies") return cmd_policies();
    if (cmd == "version" || cmd == "--version") {
      std::printf("gilsim %s\n", GILSIM_VERSION);
      return kExitOk;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    throw UsageError("unknown command \"" + cmd + "\"");
  } catch (const InputError& e) {
    std::fprintf(stderr, "gilsim: error: %s\n", e.line().c_str());
    return kExitUsage;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gilsim: error: %s (see 'gilsim --help')\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gilsim: error: %s\n", e.what());
    return kExitUsage;
  }
}
