#include <catch2/catch.hpp>

#include "models/analysis.h"
#include "models/scenario_loader.h"
#include "tests/helpers.h"

using namespace gilsim;
using nlohmann::json;

namespace {
json zero(int cores, const std::string& gil) {
  return {{"machine", {{"cores", cores}, {"costs", test::zero_costs()}}}, {"interpreter", {{"gil", gil}}}};
}
}  // namespace

TEST_CASE("convoy metrics: one I/O thread next to a CPU thread under py3, zero costs") {
  // System: cpu (daemon) forever; io starts at 1us and does 10 x io 1ms. Expectation: every return
  // from I/O waits exactly one 5ms interval, blamed on cpu; io ends at 65.001ms: 10 ops in 65ms
  // = 153.846 ops/s against 1,000 ops/s alone (10ms), a slowdown of exactly 6.5.
  json doc = zero(2, "py3");
  doc["threads"] = {{{"name", "cpu"}, {"daemon", true}, {"program", {{{"loop", "forever"}, {"do", {{{"cpu", "1ms"}}}}}}}},
                    {{"name", "io"}, {"start", "1us"}, {"program", {{{"loop", 10}, {"do", {{{"io", "1ms"}}}}}}}}};
  const Scenario sc = load_scenario(doc, "t.json");
  const Outcome o = run_outcome(sc);
  const Analysis a = analyse(o);
  const auto& io = o.run.threads[1];
  CHECK(io.m.return_latency.count() == 10);
  CHECK(io.m.return_latency.min() == 5000000);
  CHECK(io.m.return_latency.max() == 5000000);
  CHECK(io.m.blockers[0].thread == 0);
  CHECK(io.m.blockers[0].waited == Time::ms(55));  // the start wait plus 10 returns
  REQUIRE(a.threads[1].slowdown);
  CHECK(*a.threads[1].slowdown == 6.5);
  CHECK(*a.threads[1].io_ops_per_s == Approx(10 / 0.065));
  CHECK(*a.threads[1].alone_io_ops_per_s == 1000.0);
  CHECK(a.bound == "gil");
}

TEST_CASE("wait share and Jain's index: two CPU threads alternate every interval") {
  // System: A and B, 10ms of cpu each, 2 cores, zero costs. A holds 0-5 and 10-15, B 5-10 and
  // 15-20. Expectation: A waits 5 of its 15ms (1/3), B 10 of 20ms (1/2); equal GIL time: Jain 1.
  json doc = zero(2, "py3");
  doc["threads"] = {{{"name", "A"}, {"program", {{{"cpu", "10ms"}}}}}, {{"name", "B"}, {"program", {{{"cpu", "10ms"}}}}}};
  const Outcome o = run_outcome(load_scenario(doc, "t.json"));
  const Analysis a = analyse(o);
  CHECK(a.threads[0].wait_share == Approx(1.0 / 3));
  CHECK(a.threads[1].wait_share == Approx(0.5));
  REQUIRE(a.jain);
  CHECK(*a.jain == 1.0);
  CHECK(*a.ideal_speedup == 2.0);
  CHECK(*o.speedup == 1.0);
}

TEST_CASE("Jain's index falls with unequal GIL time; a long wait is flagged as starvation") {
  // System: py3 with a 20ms interval (starvation threshold: 10 intervals = 200ms). A: cpu 1s
  // from 0; B: cpu 20ms from 0; zero costs. GIL time A 1s, B 20ms: Jain = 1.02^2 / (2 x (1 +
  // 0.0004)) = 0.52; B's waits (20ms) are below the threshold. With a 300ms interval the
  // threshold is 3s.
  json doc = zero(2, "py3");
  doc["interpreter"]["switch_interval"] = "20ms";
  doc["threads"] = {{{"name", "A"}, {"program", {{{"cpu", "1s"}}}}}, {{"name", "B"}, {"program", {{{"cpu", "20ms"}}}}}};
  const Outcome o = run_outcome(load_scenario(doc, "t.json"));
  const Analysis a = analyse(o);
  REQUIRE(a.jain);
  CHECK(*a.jain == Approx(1.02 * 1.02 / (2 * (1 + 0.0004))));
  CHECK(a.starvation_threshold == Time::ms(200));
  CHECK_FALSE(a.threads[1].starved);
  doc["interpreter"]["switch_interval"] = "300ms";
  const Outcome o2 = run_outcome(load_scenario(doc, "t.json"));
  const Analysis a2 = analyse(o2);
  CHECK(a2.starvation_threshold == Time::s(3));
}

TEST_CASE("a thread waiting longer than the threshold is flagged as starved") {
  // System: py3, 2 cores, zero costs. A runs C code that keeps the GIL for 300ms (one long tick:
  // the drop request cannot be honoured inside it); B arrives at 1ms wanting 1ms of bytecode.
  // Expectation: B waits from 1ms to 300ms: 299ms, over the 100ms threshold: starved.
  json doc = zero(2, "py3");
  doc["threads"] = {{{"name", "A"}, {"program", {{{"native_gil", "300ms"}}}}},
                    {{"name", "B"}, {"start", "1ms"}, {"program", {{{"cpu", "1ms"}}}}}};
  const Outcome o = run_outcome(load_scenario(doc, "t.json"));
  const Analysis a = analyse(o);
  CHECK(o.run.threads[1].m.longest_wait == Time::ms(299));
  CHECK(a.threads[1].starved);
  CHECK_FALSE(a.threads[0].starved);
}

TEST_CASE("nogil: threads run in parallel and bytecode pays the free-threading overhead") {
  // System: two CPU threads of 10ms on 2 cores, zero costs, overhead 0.075. Expectation: both
  // end at 10.75ms; the serial baseline is 21.5ms: speedup exactly 2.
  json doc = zero(2, "nogil");
  doc["threads"] = {{{"name", "c"}, {"count", 2}, {"program", {{{"cpu", "10ms"}}}}}};
  const Outcome o = run_outcome(load_scenario(doc, "t.json"));
  CHECK(o.run.end == Time::us(10750));
  CHECK(o.serial.end == Time::us(21500));
  CHECK(*o.speedup == 2.0);
  CHECK(o.run.gil.switches == 0);
}

TEST_CASE("processes: each thread pays the process start-up, the serial baseline does not") {
  // System: four CPU threads of 100ms on 4 cores, zero costs, process_spawn 30ms and 1MB of
  // arguments at 1ns a byte. Expectation: makespan 100 + 30 + 1.048576ms; serial 400ms.
  json doc = zero(4, "processes");
  doc["interpreter"]["ipc_bytes"] = 1048576;
  doc["threads"] = {{{"name", "w"}, {"count", 4}, {"program", {{{"cpu", "100ms"}}}}}};
  const Outcome o = run_outcome(load_scenario(doc, "t.json"));
  CHECK(o.run.end == Time::ms(130) + Time::ns(1048576));
  CHECK(o.serial.end == Time::ms(400));
  CHECK(*o.speedup == Approx(400.0 / 131.048576));
}

TEST_CASE("py310: the drop request is honoured at the next back edge (every 3 ticks)") {
  // System: tick 1us; A runs from 0, B arrives at 1.5us... use B at 1000.5us: request at
  // 6000.5us, next multiple of 3us of A's bytecode is 6003us (A started at 0 with zero costs).
  json doc = zero(2, "py310");
  doc["machine"]["costs"]["tick"] = "1us";
  doc["threads"] = {{{"name", "A"}, {"program", {{{"cpu", "50ms"}}}}}, {{"name", "B"}, {"start", "1000500ns"}, {"program", {{{"cpu", "1ms"}}}}}};
  test::Recorder rec;
  simulate(load_scenario(doc, "t.json"), &rec);
  REQUIRE(!rec.holds.empty());
  CHECK(rec.times_of(GilEvent::kDropRequest).front() == Time::ns(6000500));
  CHECK(rec.holds.front().to == Time::us(6003));
}

TEST_CASE("processes block: each process has its own GIL; threads within one share it") {
  // System: two processes, each with two CPU threads of 100ms, 4 cores, zero costs, process
  // start-up 10ms (paid on a core by each process's first thread; its other threads start when
  // it is up). Expectation: inside a process the GIL serialises 200ms of work after the 10ms
  // start-up; the processes run in parallel: makespan 210ms, serial 400ms, and GIL holds never
  // overlap within a process while they do across processes.
  json doc = zero(4, "py3");
  doc["interpreter"]["process_spawn"] = "10ms";
  doc["processes"] = {{{"name", "p"}, {"count", 2}, {"threads", {{{"name", "t"}, {"count", 2}, {"program", {{{"cpu", "100ms"}}}}}}}}};
  const Scenario sc = load_scenario(doc, "t.json");
  REQUIRE(sc.threads.size() == 4);
  CHECK(sc.threads[0].name == "p#0/t#0");
  CHECK(sc.threads[3].name == "p#1/t#1");
  CHECK(sc.interpreters == 3);
  CHECK(sc.threads[0].spawn == Time::ms(10));
  CHECK(sc.threads[1].start == Time::ms(10));
  const Outcome o = run_outcome(sc);
  CHECK(o.run.end == Time::ms(210));
  CHECK(o.serial.end == Time::ms(400));
  CHECK(o.run.gil.held == Time::ms(400));  // summed over the two processes' GILs
}
