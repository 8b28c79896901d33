#include "tools/gilsim/cli.h"

#include <iostream>

namespace gilsim::cli {

void ScenarioOptions::add_to(po::options_description& d) {
  d.add_options()
      ("gil", po::value(&gil), "GIL policy, overriding interpreter.gil (see 'gilsim policies')")
      ("set", po::value(&sets)->composing(), "PATH=VALUE: override a scenario value, e.g. machine.cores=8 (repeatable)")
      ("seed", po::value(&seed), "random seed, overriding the scenario's")
      ("max-events", po::value(&max_events), "event budget, overriding limits.max_events")
      ("horizon", po::value(&horizon), "simulated-time limit, overriding limits.horizon (e.g. 10s)");
}

std::vector<Override> ScenarioOptions::overrides() const {
  std::vector<Override> o;
  for (const auto& s : sets) o.push_back(parse_override(s));
  if (!gil.empty()) o.push_back({"interpreter.gil", nlohmann::json(gil).dump()});
  if (!seed.empty()) o.push_back({"seed", seed});
  if (!max_events.empty()) o.push_back({"limits.max_events", max_events});
  if (!horizon.empty()) o.push_back({"limits.horizon", nlohmann::json(horizon).dump()});
  return o;
}

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

bool parse_scenario_command(const std::vector<std::string>& args, const po::options_description& d, const char* command,
                            std::string& scenario, po::variables_map& vm) {
  po::options_description all;
  all.add(d).add_options()("scenario", po::value(&scenario));
  po::positional_options_description pos;
  pos.add("scenario", 1);
  vm = parse(args, all, pos);
  if (vm.count("help")) {
    std::cout << d;
    return false;
  }
  if (scenario.empty()) throw UsageError(std::string(command) + " needs a scenario file");
  return true;
}

void check_format(const std::string& format, std::initializer_list<const char*> allowed) {
  std::string list;
  size_t i = 0;
  for (const char* a : allowed) {
    if (format == a) return;
    list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + std::string(a);
    ++i;
  }
  throw UsageError("--format must be " + list + ", got \"" + format + "\"");
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", "run SCENARIO        simulate a scenario and report (text, json, jsonl or csv)", cmd_run},
      {"compare", "compare SCENARIO    run it under several GIL policies (--gil py2,py3,nogil) side by side; --expect for CI", cmd_compare},
      {"sweep", "sweep SCENARIO      run a scenario over a design of parameter values (JSON Lines)", cmd_sweep},
      {"validate", "validate SCENARIO.. load and check scenarios, run nothing", cmd_validate},
      {"policies", "policies            list the GIL policies and their parameters", cmd_policies},
      {"random", "random --seed N      print a random valid scenario (the property tests' generator)", cmd_random},
  };
  return table;
}

}  // namespace gilsim::cli
