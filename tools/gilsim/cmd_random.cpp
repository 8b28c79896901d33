/// gilsim random: print the random scenario the property tests run for a seed.

#include <iostream>

#include "models/random_scenario.h"
#include "tools/gilsim/cli.h"
#include "tools/gilsim/output.h"

namespace gilsim::cli {

int cmd_random(const std::vector<std::string>& args) {
  std::string seed_text = "1";
  std::string output;
  po::options_description d("gilsim random [options]");
  d.add_options()("help,h", "this help")
      ("seed", po::value(&seed_text), "generator seed (default 1); the same seed prints the same scenario")
      ("output,o", po::value(&output), "write the scenario to FILE (atomically) instead of stdout");
  const auto vm = parse(args, d, po::positional_options_description());
  if (vm.count("help")) {
    std::cout << d;
    return kExitOk;
  }
  uint64_t seed = 0;
  bool digits = !seed_text.empty() && seed_text.size() <= 20;
  for (char c : seed_text) digits = digits && c >= '0' && c <= '9';
  if (!digits || (seed_text.size() == 20 && seed_text > "18446744073709551615"))
    throw UsageError("--seed must be an integer from 0 to 18446744073709551615, got \"" + seed_text + "\"");
  seed = std::stoull(seed_text);
  write_output(output, random_scenario(seed).dump(2) + "\n");
  return kExitOk;
}

}  // namespace gilsim::cli
