#include <catch2/catch.hpp>

#include "models/input_error.h"
#include "models/scenario_loader.h"
#include "tests/helpers.h"

using namespace gilsim;
using nlohmann::json;

namespace {
/// The "<path>: <message>" of the error loading `text`.
std::string load_error(const std::string& text) {
  try {
    test::scenario(text);
  } catch (const InputError& e) {
    return e.path() + ": " + e.what();
  }
  FAIL("loaded without error: " << text);
  return "";
}
const char* kOk = R"({"threads":[{"program":[{"cpu":"1ms"}]}]})";
}  // namespace

TEST_CASE("loader: a minimal scenario takes the documented defaults") {
  const Scenario sc = test::scenario(kOk);
  CHECK(sc.machine.cores == 2);
  CHECK(sc.interpreter.gil == "py3");
  CHECK(sc.interpreter.switch_interval == Time::ms(5));
  CHECK(sc.interpreter.check_interval == 100);
  CHECK(sc.machine.costs.tick == Time::ns(25));
  CHECK(sc.machine.scheduler.timeslice == Time::ms(3));
  CHECK(sc.seed == 1);
  REQUIRE(sc.threads.size() == 1);
  CHECK(sc.threads[0].name == "thread0");
}

TEST_CASE("loader: count replicates threads as name#i, loops compile with jumps") {
  const Scenario sc = test::scenario(R"({"threads":[{"name":"w","count":3,"start":"2ms",
      "program":[{"loop":4,"do":[{"io":"1ms"},{"cpu":{"ticks":10}}]}]}]})");
  REQUIRE(sc.threads.size() == 3);
  CHECK(sc.threads[2].name == "w#2");
  CHECK(sc.threads[1].start == Time::ms(2));
  const auto& p = *sc.threads[0].program;
  REQUIRE(p.size() == 5);  // begin, io, cpu, end-loop, end
  CHECK(p[0].kind == Op::Kind::kLoopBegin);
  CHECK(p[0].count == 4);
  CHECK(p[0].jump == 3);
  CHECK(p[3].jump == 0);
  CHECK(p[2].dur.kind == DurationSpec::Kind::kTicks);
}

TEST_CASE("loader: every error names the JSON path and the reason") {
  CHECK(load_error(R"({"threads":[{"program":[{"cpu":"-1ms"}]}]})") == "/threads/0/program/0/cpu: bad duration \"-1ms\": negative duration (expected a number and a unit: ns, us, ms or s, e.g. \"1.5ms\")");
  CHECK(load_error(R"({"threads":[{"program":[{"cpu":"1ms","io":"1ms"}]}]})") == "/threads/0/program/0: a phase has exactly one key: cpu, io, native, native_gil, send, recv or loop");
  CHECK(load_error(R"({"machine":{"cores":0},"threads":[]})") == "/machine/cores: a machine needs at least 1 core, got 0");
  CHECK(load_error(R"({"machine":{"cpus":4},"threads":[]})") == "/machine/cpus: unknown key \"cpus\" (allowed: cores, profile, costs, scheduler)");
  CHECK(load_error(R"({"threads":[]})") == "/threads: a scenario needs at least one thread");
  CHECK(load_error(R"({"machine":{"scheduler":{"resched":"later"}},"threads":[]})") == "/machine/scheduler/resched: expected \"instant\" or \"ipi\", got \"later\"");
  CHECK(load_error(R"({"threads":[{"program":[]}]})") == "/threads/0/program: empty list of phases");
  CHECK(load_error(R"({"threads":[{"program":[{"cpu":-5}]}]})") == "/threads/0/program/0/cpu: negative duration -5");
  CHECK(load_error(R"({"threads":[{"program":[{"cpu":1.5}]}]})") == "/threads/0/program/0/cpu: expected a duration (a string such as \"5ms\" or an integer of nanoseconds), got a fractional number");
  CHECK(load_error(R"({"threads":[{"program":[{"cpu":18446744073709551615}]}]})") == "/threads/0/program/0/cpu: duration too large: 18446744073709551615 ns (at most 2^53 ns, about 104 days)");
  CHECK(load_error(R"({"threads":[{"daemon":true,"program":[{"cpu":"1ms"}]}]})") == "/threads: every thread is a daemon: the run would never end (mark one \"daemon\": false)");
  CHECK(load_error(R"({"interpreter":{"gil":"py4"},"threads":[{"program":[{"cpu":"1ms"}]}]})").rfind("/interpreter/gil: unknown GIL policy \"py4\"", 0) == 0);
  CHECK(load_error(R"({"threads":[{"program":[{"io":{"ticks":5}}]}]})") == "/threads/0/program/0/io: ticks are only for CPU phases (cpu, native, native_gil) and costs of code");
  CHECK(load_error(R"({"threads":[{"program":[{"loop":2}]}]})") == "/threads/0/program/0: \"loop\" without \"do\": write {\"loop\": n, \"do\": [...]}");
  CHECK(load_error(R"({"threads":[{"program":[{"cpu":{"uniform":["5ms","1ms"]}}]}]})") == "/threads/0/program/0/cpu/uniform: uniform low is above high");
  CHECK(load_error(R"({"threads":[{"name":"a","program":[{"cpu":"1ms"}]},{"name":"a","program":[{"cpu":"1ms"}]}]})") == "/threads/1: duplicate thread name \"a\"");
  CHECK(load_error(R"({"interpreter":{"switch_interval":"0us"},"threads":[{"program":[{"cpu":"1ms"}]}]})") == "/interpreter/switch_interval: must be at least 1us (CPython keeps it in whole microseconds and rejects 0)");
  CHECK(load_error(R"({"machine":{"cores":2},"threads":[{"affinity":[2],"program":[{"cpu":"1ms"}]}]})") == "/threads/0/affinity/0: core 2 does not exist: machine.cores is 2 (cores are numbered from 0)");
  CHECK(load_error(R"({"threads":[{"affinity":[],"program":[{"cpu":"1ms"}]}]})") == "/threads/0/affinity: expected a non-empty list of core numbers (0 to machine.cores - 1), got an empty list");
  CHECK(load_error(R"({"threads":[{"affinity":0,"program":[{"cpu":"1ms"}]}]})") == "/threads/0/affinity: expected a non-empty list of core numbers (0 to machine.cores - 1), got an integer");
  CHECK(load_error(R"({"threads":[{"affinity":[1,1],"program":[{"cpu":"1ms"}]}]})") == "/threads/0/affinity/1: core 1 is listed twice");
  CHECK(load_error(R"({"threads":[{"affinity":[18446744073709551615],"program":[{"cpu":"1ms"}]}]})") == "/threads/0/affinity/0: core 18446744073709551615 does not exist: machine.cores is 2 (cores are numbered from 0)");
  CHECK(load_error(R"({"threads":[{"affinity":[-3],"program":[{"cpu":"1ms"}]}]})") == "/threads/0/affinity/0: core -3 does not exist: machine.cores is 2 (cores are numbered from 0)");
  CHECK(load_error(R"({"threads":[{"affinity":["0"],"program":[{"cpu":"1ms"}]}]})") == "/threads/0/affinity/0: expected an integer, got a string");
}

TEST_CASE("loader: affinity is kept sorted and shared by a thread's replicas") {
  const Scenario sc = test::scenario(R"({"machine":{"cores":4},"threads":[{"name":"w","count":2,"affinity":[3,1],"program":[{"cpu":"1ms"}]},{"name":"x","program":[{"cpu":"1ms"}]}]})");
  REQUIRE(sc.threads.size() == 3);
  CHECK(sc.threads[0].affinity == std::vector<int>{1, 3});
  CHECK(sc.threads[1].affinity == std::vector<int>{1, 3});
  CHECK(sc.threads[2].affinity.empty());
}

TEST_CASE("loader: quantile distributions load for costs and phases, with exact errors") {
  // System: a measured wake-up latency table in machine.costs and one on an I/O phase.
  // Expectation: both load as quantile tables; each malformed table names its JSON path.
  const Scenario sc = test::scenario(R"({"machine":{"costs":{"wakeup_latency":{"quantiles":[[0,"4us"],[10,"6.2us"],[50,"6.3us"],[100,"14.5us"]]},
      "syscall":{"quantiles":[[0,"400ns"],[100,"500ns"]]}}},
      "threads":[{"program":[{"io":{"quantiles":[[0,"1ms"],[100,"2ms"]]}}]}]})");
  CHECK(sc.machine.costs.wakeup_latency.kind == DurationSpec::Kind::kQuantiles);
  CHECK(sc.machine.costs.wakeup_latency.typical(Time::zero()) == Time::ns(6300));
  CHECK(sc.machine.costs.syscall.kind == DurationSpec::Kind::kQuantiles);
  CHECK((*sc.threads[0].program)[0].dur.table->size() == 2);
  const std::string pre = R"({"machine":{"costs":{"wakeup_latency":{"quantiles":)";
  const std::string post = R"(}}},"threads":[{"program":[{"cpu":"1ms"}]}]})";
  const std::string path = "/machine/costs/wakeup_latency/quantiles";
  CHECK(load_error(pre + R"("6us")" + post) == path + ": quantiles takes [[percent, duration], ...] from [0, ...] to [100, ...]");
  CHECK(load_error(pre + R"([[10,"6us"],[100,"7us"]])" + post) == path + ": the first point must be at percent 0");
  CHECK(load_error(pre + R"([[0,"6us"],[90,"7us"]])" + post) == path + ": the last point must be at percent 100");
  CHECK(load_error(pre + R"([[0,"6us"],[50,"7us"],[40,"8us"],[100,"9us"]])" + post) == path + "/2/0: percents must increase: 40 after 50.0");
  CHECK(load_error(pre + R"([[0,"6us"],[50,"5us"],[100,"9us"]])" + post) == path + "/1/1: values must not decrease (a quantile table is a CDF)");
  CHECK(load_error(pre + R"([[0,"6us"],[101,"9us"]])" + post) == path + "/1/0: must be between 0.0 and 100.0, got 101");
  CHECK(load_error(pre + R"([[0,"6us"],[100]])" + post) == path + "/1: expected [percent, duration]: quantiles takes [[percent, duration], ...] from [0, ...] to [100, ...]");
}

TEST_CASE("loader: malformed JSON, duplicate keys and deep nesting are errors with a place") {
  CHECK_THROWS_WITH(parse_json_text("{\"a\": 1,}", "f.json"), Catch::Contains("invalid JSON"));
  try {
    parse_json_text(R"({"threads":[{"name":"a","name":"b"}]})", "f.json");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.path() == "/threads/0/name");
    CHECK(std::string(e.what()) == "duplicate key \"name\"");
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  CHECK_THROWS_WITH(parse_json_text(deep, "f.json"), Catch::Contains("nesting deeper than 64"));
}

TEST_CASE("loader: --set overrides values, creating missing object keys") {
  json doc = parse_json_text(R"({"threads":[{"count":1,"program":[{"cpu":"1ms"}]}]})", "f.json");
  apply_override(doc, parse_override("interpreter.switch_interval=1ms"), "f.json");
  apply_override(doc, parse_override("threads.0.count=4"), "f.json");
  apply_override(doc, parse_override("machine.cores=8"), "f.json");
  const Scenario sc = load_scenario(doc, "f.json");
  CHECK(sc.interpreter.switch_interval == Time::ms(1));
  CHECK(sc.threads.size() == 4);
  CHECK(sc.machine.cores == 8);
  CHECK_THROWS_WITH(apply_override(doc, parse_override("threads.5.count=1"), "f.json"), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(parse_override("novalue"), Catch::Contains("expected PATH=VALUE"));
}

TEST_CASE("loader: count 0 leaves a thread out, so a sweep can vary a thread's count from zero") {
  // System: a daemon CPU thread with count 0 next to one I/O thread. Expectation: one thread, "io".
  const Scenario sc = test::scenario(R"({"threads":[{"name":"cpu","daemon":true,"count":0,"program":[{"cpu":"1ms"}]},
    {"name":"io","program":[{"io":"1ms"}]}]})");
  REQUIRE(sc.threads.size() == 1);
  CHECK(sc.threads[0].name == "io");
  CHECK_THROWS_WITH(test::scenario(R"({"threads":[{"name":"w","count":0,"program":[{"cpu":"1ms"}]}]})"),
                    Catch::Contains("every thread has count 0: nothing to run"));
}
