/// gilsim validate and gilsim policies: check scenarios without running them; list the policies.

#include <cstdio>
#include <iostream>

#include "models/gil_registry.h"
#include "models/input_error.h"
#include "tools/gilsim/cli.h"

namespace gilsim::cli {

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

int cmd_policies(const std::vector<std::string>&) {
  for (const auto& p : policies()) {
    std::printf("%s\n    %s\n    follows: %s\n", p.name, p.summary, p.follows);
    for (const auto& prm : p.params) std::printf("    interpreter.%s (default %s): %s\n", prm.key, prm.dflt, prm.meaning);
    std::printf("\n");
  }
  return kExitOk;
}

}  // namespace gilsim::cli
