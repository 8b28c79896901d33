#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <thread>

#include "models/analysis.h"
#include "models/input_error.h"
#include "models/report.h"
#include "models/simulation.h"
#include "tests/helpers.h"
#include "tools/gilsim/sweep_plan.h"

using namespace gilsim;
using namespace gilsim::sweep;
using nlohmann::json;

namespace {

std::vector<int64_t> ints(const std::vector<json>& v) {
  std::vector<int64_t> out;
  for (const auto& x : v) out.push_back(x.get<int64_t>());
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.line();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("sweep ranges: a..b steps by 1, :+k adds k, :xk multiplies by k, never past b") {
  CHECK(ints(parse_vary("machine.cores=1..64:x2").values) == std::vector<int64_t>{1, 2, 4, 8, 16, 32, 64});
  CHECK(ints(parse_vary("machine.cores=1..10:+3").values) == std::vector<int64_t>{1, 4, 7, 10});
  CHECK(ints(parse_vary("machine.cores=2..12:+5").values) == std::vector<int64_t>{2, 7, 12});
  CHECK(ints(parse_vary("threads.0.count=0..4").values) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(ints(parse_vary("machine.cores=3..20:x3").values) == std::vector<int64_t>{3, 9});
  CHECK(ints(parse_vary("machine.cores=5..5").values) == std::vector<int64_t>{5});
  CHECK(ints(parse_vary("machine.cores=1,2..3,8").values) == std::vector<int64_t>{1, 2, 3, 8});
}

TEST_CASE("sweep lists: values are JSON when they parse, strings otherwise; commas inside JSON stay") {
  const Axis a = parse_vary("interpreter.switch_interval=1ms,5ms,20ms");
  CHECK(a.path == "interpreter.switch_interval");
  CHECK(a.values == std::vector<json>{"1ms", "5ms", "20ms"});
  const Axis b = parse_vary(R"(machine.costs.wakeup_latency={"uniform":["20us","60us"]},5us,1000)");
  REQUIRE(b.values.size() == 3);
  CHECK(b.values[0] == json::parse(R"({"uniform":["20us","60us"]})"));
  CHECK(b.values[1] == "5us");
  CHECK(b.values[2] == 1000);
  CHECK(parse_vary("interpreter.gil=py2,py3").values == std::vector<json>{"py2", "py3"});
  CHECK(parse_vary("machine.profile=../p.json").values == std::vector<json>{"../p.json"});
}

TEST_CASE("sweep: a malformed --vary is one line naming the argument and the fault") {
  CHECK(error_of([] { parse_vary("machine.cores"); }) ==
        "--vary \"machine.cores\": expected PATH=V1,V2,... or PATH=a..b, e.g. interpreter.switch_interval=1ms,5ms");
  CHECK(error_of([] { parse_vary("=1,2"); }).rfind("--vary \"=1,2\": expected PATH=", 0) == 0);
  CHECK(error_of([] { parse_vary("machine.cores="); }) == "--vary \"machine.cores=\": no values after '='");
  CHECK(error_of([] { parse_vary("machine.cores=1,,2"); }) == "--vary \"machine.cores=1,,2\": empty value in the list");
  CHECK(error_of([] { parse_vary("machine.cores=8..1"); }) == "--vary \"machine.cores=8..1\": \"8..1\": the range is empty: 8 > 1");
  CHECK(error_of([] { parse_vary("machine.cores=1..8:x1"); }) ==
        "--vary \"machine.cores=1..8:x1\": \"1..8:x1\": a factor step must be at least 2");
  CHECK(error_of([] { parse_vary("machine.cores=0..8:x2"); }) ==
        "--vary \"machine.cores=0..8:x2\": \"0..8:x2\": a factor range must start at 1 or more");
  CHECK(error_of([] { parse_vary("machine.cores=1..8:+0"); }) ==
        "--vary \"machine.cores=1..8:+0\": \"1..8:+0\": a step must be at least 1");
  CHECK(error_of([] { parse_vary("machine.cores=1..x"); }) ==
        "--vary \"machine.cores=1..x\": \"1..x\": a range is a..b, a..b:+k or a..b:xk with integers a <= b (e.g. 1..64:x2)");
}

TEST_CASE("sweep plan: the cartesian product varies the first axis slowest; ids are zero-padded indices") {
  // System: 3 intervals x 4 thread counts, 1 replication. Expectation: 12 points, "00".."11".
  const Plan p = make_plan({}, {parse_vary("interpreter.switch_interval=1ms,5ms,20ms"), parse_vary("threads.0.count=1..4")}, 1);
  REQUIRE(p.points.size() == 12);
  CHECK(p.runs() == 12);
  CHECK(p.point_id(0) == "00");
  CHECK(p.point_id(11) == "11");
  CHECK(p.points[0].values_json().dump() == R"({"interpreter.switch_interval":"1ms","threads.0.count":1})");
  CHECK(p.points[1].values_json().dump() == R"({"interpreter.switch_interval":"1ms","threads.0.count":2})");
  CHECK(p.points[4].values_json().dump() == R"({"interpreter.switch_interval":"5ms","threads.0.count":1})");
  CHECK(p.points[11].values_json().dump() == R"({"interpreter.switch_interval":"20ms","threads.0.count":4})");
}

TEST_CASE("sweep plan: replications are the innermost index of the runs") {
  const Plan p = make_plan({}, {parse_vary("machine.cores=1,2")}, 3);
  CHECK(p.runs() == 6);
  CHECK(p.run(4).point == 1);
  CHECK(p.run(4).replication == 1);
  CHECK(p.point_id(1) == "1");
}

TEST_CASE("sweep plan: explicit points are crossed with the axes; a path both fixed and varied is an error") {
  const std::vector<nlohmann::ordered_json> pts = {{{"interpreter.gil", "py2"}}, {{"interpreter.gil", "py3"}}};
  const Plan p = make_plan(pts, {parse_vary("machine.cores=1,2")}, 1);
  REQUIRE(p.points.size() == 4);
  CHECK(p.points[1].values_json().dump() == R"({"interpreter.gil":"py2","machine.cores":2})");
  CHECK(p.points[2].values_json().dump() == R"({"interpreter.gil":"py3","machine.cores":1})");
  CHECK(error_of([&] { make_plan(pts, {parse_vary("interpreter.gil=py2")}, 1); }) ==
        "/points/0: \"interpreter.gil\" is both a point's value and a varied path");
  CHECK(error_of([] { make_plan({}, {parse_vary("machine.cores=1"), parse_vary("machine.cores=2")}, 1); }) ==
        "--vary: the path \"machine.cores\" is varied twice");
}

TEST_CASE("sweep seeds: derived from the point's identity, not from the order of the axes or of the runs") {
  const Plan a = make_plan({}, {parse_vary("machine.cores=1,2"), parse_vary("interpreter.gil=py2,py3")}, 1);
  const Plan b = make_plan({}, {parse_vary("interpreter.gil=py3,py2"), parse_vary("machine.cores=2,1")}, 1);
  // a's point 1 is (cores 1, py3); b's point 0 is (py3, cores 2)... b's point 1 is (py3, cores 1).
  CHECK(a.points[1].key() == R"(interpreter.gil="py3";machine.cores=1)");
  CHECK(a.points[1].key() == b.points[1].key());
  CHECK(run_seed(7, a.points[1].key(), 0) == run_seed(7, b.points[1].key(), 0));
  std::set<uint64_t> seeds;
  for (const auto& p : a.points)
    for (int r = 0; r < 3; ++r) seeds.insert(run_seed(7, p.key(), r));
  CHECK(seeds.size() == 12);
  CHECK(run_seed(7, "machine.cores=1", 0) != run_seed(8, "machine.cores=1", 0));
  // Pinned: a change here changes every sweep's results.
  CHECK(run_seed(7, "machine.cores=1", 0) == 0x674f4fe17719c476ULL);
}

TEST_CASE("sweep shards: contiguous blocks that cover every run exactly once") {
  CHECK(shard_range(10, 1, 3) == std::pair<size_t, size_t>{0, 3});
  CHECK(shard_range(10, 2, 3) == std::pair<size_t, size_t>{3, 6});
  CHECK(shard_range(10, 3, 3) == std::pair<size_t, size_t>{6, 10});
  CHECK(shard_range(2, 1, 4) == std::pair<size_t, size_t>{0, 0});
  CHECK(shard_range(2, 4, 4) == std::pair<size_t, size_t>{1, 2});
  size_t next = 0;
  for (size_t k = 1; k <= 7; ++k) {
    const auto [f, l] = shard_range(100, k, 7);
    CHECK(f == next);
    next = l;
  }
  CHECK(next == 100);
  CHECK(parse_shard("2/8") == std::pair<size_t, size_t>{2, 8});
  CHECK(error_of([] { parse_shard("0/3"); }) == "--shard \"0/3\": expected K/N with 1 <= K <= N, e.g. 2/8");
  CHECK(error_of([] { parse_shard("4/3"); }) == "--shard \"4/3\": expected K/N with 1 <= K <= N, e.g. 2/8");
  CHECK(error_of([] { parse_shard("a/b"); }) == "--shard \"a/b\": expected K/N with 1 <= K <= N, e.g. 2/8");
}

TEST_CASE("sweep: simulations on parallel threads give the same bytes as one after another") {
  // System: the convoy (a CPU thread and an I/O thread, random wake-up latency), 4 seeds run
  // serially, then the same 4 on 4 threads at once. Expectation: identical JSON reports (no
  // shared mutable state in the simulator).
  const std::string text = R"({"name":"c","machine":{"cores":2},"threads":[
    {"name":"cpu","daemon":true,"program":[{"loop":"forever","do":[{"cpu":"1ms"}]}]},
    {"name":"io","program":[{"loop":50,"do":[{"io":"15us"},{"cpu":{"ticks":300}}]}]}]})";
  auto report = [&](uint64_t seed) {
    Scenario sc = test::scenario(text);
    sc.seed = seed;
    const Outcome o = run_outcome(sc);
    return report_json(o, analyse(o)).dump();
  };
  std::vector<std::string> serial, parallel(4);
  for (uint64_t s = 0; s < 4; ++s) serial.push_back(report(s));
  std::vector<std::thread> ts;
  for (uint64_t s = 0; s < 4; ++s) ts.emplace_back([&, s] { parallel[s] = report(s); });
  for (auto& t : ts) t.join();
  CHECK(parallel == serial);
  CHECK(serial[0] != serial[1]);
}
