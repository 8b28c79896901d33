/// gilsim: the command line. The only user of Boost.Program_options.

#include <cstdio>
#include <string>
#include <vector>

#include "gilsim_version.h"
#include "models/input_error.h"
#include "models/invariants.h"
#include "tools/gilsim/cli.h"

using namespace gilsim;
using namespace gilsim::cli;

namespace {

void usage(FILE* out) {
  std::fputs("usage: gilsim <command> [options]\n\ncommands:\n", out);
  for (const auto& c : commands()) std::fprintf(out, "  %s\n", c.usage);
  std::fputs("  version             print the version\n\n'gilsim <command> --help' shows a command's options.\n", out);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(stderr);
    return kExitUsage;
  }
  const std::string cmd = args.front();
  args.erase(args.begin());
  try {
    for (const auto& c : commands())
      if (cmd == c.name) return c.run(args);
    if (cmd == "version" || cmd == "--version") {
      std::printf("gilsim %s\n", GILSIM_VERSION);
      return kExitOk;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h") {
      usage(stdout);
      return kExitOk;
    }
    throw UsageError("unknown command \"" + cmd + "\"");
  } catch (const InputError& e) {
    std::fprintf(stderr, "gilsim: error: %s\n", e.line().c_str());
    return kExitUsage;
  } catch (const InvariantViolation& e) {
    std::fprintf(stderr, "gilsim: %s\n%s", e.line().c_str(), e.state().c_str());
    return kExitInvariant;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gilsim: error: %s (see 'gilsim --help')\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gilsim: error: %s\n", e.what());
    return kExitUsage;
  }
}
