#pragma once
/// Shared pieces of the command line: exit codes, usage errors, option parsing, and the options
/// every scenario-loading command takes.

#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "models/scenario_loader.h"
#include "models/simulation.h"

namespace gilsim {
struct Outcome;
}

namespace gilsim::cli {

namespace po = boost::program_options;

inline constexpr int kExitOk = 0;
inline constexpr int kExitExpectation = 1;  ///< an --expect failed
inline constexpr int kExitUsage = 2;        ///< bad usage or bad scenario
inline constexpr int kExitLimit = 3;        ///< the run hit its event budget or time horizon
inline constexpr int kExitInvariant = 70;   ///< a model invariant broke (a bug in gilsim; EX_SOFTWARE)

/// A command-line mistake: printed as one line, exit status 2.
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

  void add_to(po::options_description& d);
  /// The overrides in the order they apply: --set values, then --gil, --seed and the limits.
  std::vector<Override> overrides() const;
};

/// Parses `args` with `d` (and positionals), turning Boost's errors into UsageError.
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& d,
                        const po::positional_options_description& pos);

/// Parses a command that takes one SCENARIO argument besides the options in `d`. Returns false
/// when --help was asked for (and printed); throws UsageError when the scenario is missing.
bool parse_scenario_command(const std::vector<std::string>& args, const po::options_description& d, const char* command,
                            std::string& scenario, po::variables_map& vm);

/// Throws UsageError unless `format` is one of `allowed` ("text, json or csv" in the message).
void check_format(const std::string& format, std::initializer_list<const char*> allowed);

/// A command: its name, one line of help, and its entry point (arguments after the name).
struct Command {
  const char* name;
  const char* usage;
  int (*run)(const std::vector<std::string>& args);
};
const std::vector<Command>& commands();

int cmd_run(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
int cmd_policies(const std::vector<std::string>& args);
int cmd_random(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);

/// The one-line reason a run stopped before its threads finished (event budget, horizon).
std::string run_limit_message(const gilsim::Outcome& o);

}  // namespace gilsim::cli
