#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/invariants.h"
#include "tests/fuzz/fuzz_input.h"

using namespace gilsim;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool replay(const fs::path& p) {
  const std::string bytes = slurp(p);
  return fuzz::run_input(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::vector<fs::path> files_in(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && (ext.empty() || e.path().extension() == ext) && e.path().filename() != "README.md")
      v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("fuzz regressions: every saved crasher loads or is rejected cleanly, and runs without a violation") {
  // System: each file of tests/fuzz/regressions/ (inputs the fuzzer once crashed, hung or broke an
  // invariant on) through the fuzz target's path: parse, load, simulate under 20k events with the
  // invariant checker. Expectation: no exception other than InputError, no sanitizer report.
  const auto files = files_in(fs::path(GILSIM_SOURCE_DIR) / "tests/fuzz/regressions", "");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    INFO(f.string());
    try {
      replay(f);
    } catch (const InvariantViolation& e) {
      FAIL(e.line() << "\n" << e.state());
    }
  }
}

TEST_CASE("fuzz seed corpus: every bundled scenario is valid input for the fuzz target") {
  // System: scenarios/*.json through the fuzz target's path. Expectation: each loads (returns
  // true) and runs its 20k-event slice without a violation.
  const auto files = files_in(fs::path(GILSIM_SOURCE_DIR) / "scenarios", ".json");
  REQUIRE(files.size() >= 10);
  for (const auto& f : files) {
    INFO(f.string());
    CHECK(replay(f));
  }
}

TEST_CASE("hostile corpus: every file of tests/bad is rejected cleanly by the fuzz target's path") {
  // System: the malformed and hostile scenarios of tests/bad/ (their exact CLI lines are checked
  // by tests/cli/cli_test.py) through parse + load + simulate. Expectation: each is an InputError
  // (run_input returns false); none crashes, hangs or reaches the simulation.
  const auto files = files_in(fs::path(GILSIM_SOURCE_DIR) / "tests/bad", ".json");
  REQUIRE(files.size() >= 40);
  for (const auto& f : files) {
    if (f.filename() == "expected.json") continue;
    INFO(f.string());
    CHECK_FALSE(replay(f));
  }
}
