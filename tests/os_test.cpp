#include <catch2/catch.hpp>

#include "models/os_scheduler.h"
#include "models/scenario_loader.h"
#include "tests/helpers.h"

using namespace gilsim;
using nlohmann::json;

namespace {
Scenario make(int cores, const std::string& gil, json threads, bool zero = true) {
  json doc = {{"machine", {{"cores", cores}}}, {"interpreter", {{"gil", gil}}}, {"threads", threads}};
  if (zero) doc["machine"]["costs"] = test::zero_costs();
  if (zero && gil == "py2") doc["machine"]["costs"]["tick"] = "10ns";
  return load_scenario(doc, "test.json");
}
}  // namespace

TEST_CASE("os: I/O-only threads overlap completely: speedup equals the thread count") {
  // System: 4 threads, each 10 x io 100ms, zero costs. Expectation: 1s threaded, 4s serial.
  for (const char* gil : {"py3", "py2"}) {
    const Scenario sc = make(2, gil, json::array({{{"name", "dl"}, {"count", 4},
        {"program", json::array({{{"loop", 10}, {"do", json::array({{{"io", "100ms"}}})}}})}}}));
    const Outcome o = run_outcome(sc);
    REQUIRE(o.run.complete);
    CHECK(o.run.end == Time::s(1));
    CHECK(o.serial.end == Time::s(4));
    CHECK(*o.speedup == 4.0);
  }
}

TEST_CASE("os: GIL-releasing C code scales with the cores") {
  // System: 4 threads of native 100ms. Expectation: makespan 100ms on 4 cores, 200ms on 2.
  for (int cores : {4, 2}) {
    const Scenario sc = make(cores, "py3", json::array({{{"name", "hash"}, {"count", 4}, {"program", json::array({{{"native", "100ms"}}})}}}));
    const Outcome o = run_outcome(sc);
    REQUIRE(o.run.complete);
    CHECK(o.run.end == Time::ms(100) * (4 / cores));
    CHECK(*o.speedup == Approx(cores));
  }
}

TEST_CASE("os: more threads than cores are time-sliced, so all finish together") {
  // System: 4 native threads of 30ms on 1 core, 3ms slices, zero costs. Expectation: round robin:
  // the makespan is 120ms and no thread finishes before 111ms (the last round is 4 x 3ms).
  const Scenario sc = make(1, "py3", json::array({{{"name", "n"}, {"count", 4}, {"program", json::array({{{"native", "30ms"}}})}}}));
  const RunResult r = simulate(sc);
  REQUIRE(r.complete);
  CHECK(r.end == Time::ms(120));
  for (const auto& t : r.threads) CHECK(t.finish >= Time::ms(111));
  CHECK(r.cores[0].context_switches >= 40);
}

TEST_CASE("os: a woken thread takes an idle core after the wake-up latency") {
  // System: one thread does io 1ms then cpu 1ms on 2 cores; wake-up latency fixed at 50us, other
  // costs zero. Expectation: it finishes at exactly 1ms + 50us + 1ms (+ 50us to start).
  json doc = {{"machine", {{"cores", 2}, {"costs", test::zero_costs()}}},
              {"threads", json::array({{{"program", json::array({{{"io", "1ms"}}, {{"cpu", "1ms"}}})}}})}};
  doc["machine"]["costs"]["wakeup_latency"] = "50us";
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::us(2100));
}

TEST_CASE("os: a wake-up onto a core idle for deep_idle.after or more takes the deep wake-up latency") {
  // System: one thread does io D then cpu 1ms on 1 core; wake-up latency 10us, deep_idle after
  // 200us with latency 30us (a kernel timer wakes it: no waker to pay), other costs zero.
  // Expectation: it starts at 10us (the core idle 0us), blocks at 10us and is woken at 10us + D
  // onto the core it left, idle for D: D = 1ms runs the cpu from 1.040ms, ends at 2.040ms;
  // D = 200us (the threshold itself counts as deep) ends at 1.240ms; D = 199us at 1.219ms;
  // D = 100us at 1.120ms. With deep_idle false every wake-up takes 10us: ends at 1.020ms + D.
  struct Case {
    const char* io;
    int64_t d_us;
    int64_t end_us;
  };
  for (const Case c : {Case{"1ms", 1000, 2040}, Case{"200us", 200, 1240}, Case{"199us", 199, 1219}, Case{"100us", 100, 1120}}) {
    json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()}}},
                {"threads", json::array({{{"program", json::array({{{"io", c.io}}, {{"cpu", "1ms"}}})}}})}};
    doc["machine"]["costs"]["wakeup_latency"] = "10us";
    doc["machine"]["costs"]["deep_idle"] = {{"after", "200us"}, {"wake", "7us"}, {"wakeup_latency", "30us"}};
    INFO("io " << c.io);
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.end.count() == Time::us(c.end_us).count());
    doc["machine"]["costs"]["deep_idle"] = false;
    CHECK(simulate(load_scenario(doc, "test.json")).end.count() == Time::us(1020 + c.d_us).count());
  }
}

TEST_CASE("os: a wake-up soon after the core's thread left takes the shallow wake-up latency") {
  // System: one thread does io D then cpu 1ms on 1 core; wake-up latency 10us, shallow_idle
  // before 5us with latency 2us, deep_idle after 200us with latency 30us (a kernel timer wakes
  // it: no waker to pay), other costs zero. Expectation: it starts at 10us (the core never had
  // a thread: not shallow), blocks at 10us and is woken at 10us + D onto the core it left:
  // D = 3us runs the cpu from 15us, ends at 1.015ms; D = 5us (the threshold is not shallow)
  // from 25us, ends at 1.025ms; D = 1ms deep, ends at 2.040ms.
  struct Case {
    const char* io;
    int64_t end_us;
  };
  for (const Case c : {Case{"3us", 1015}, Case{"5us", 1025}, Case{"1ms", 2040}}) {
    json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()}}},
                {"threads", json::array({{{"program", json::array({{{"io", c.io}}, {{"cpu", "1ms"}}})}}})}};
    doc["machine"]["costs"]["wakeup_latency"] = "10us";
    doc["machine"]["costs"]["shallow_idle"] = {{"before", "5us"}, {"wake", "1us"}, {"wakeup_latency", "2us"}};
    doc["machine"]["costs"]["deep_idle"] = {{"after", "200us"}, {"wake", "7us"}, {"wakeup_latency", "30us"}};
    INFO("io " << c.io);
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.end.count() == Time::us(c.end_us).count());
  }
}

TEST_CASE("os: a shallow window drawn per wake-up makes that share of the wake-ups shallow") {
  // System: one thread, started at 10us (the core never had a thread: not shallow), then 1000 x
  // (io 5us, cpu 1us) on 1 core; wake-up latency 10us, shallow latency 2us, zero costs. Each
  // io's timer wakes it 5us after it left its core. Expectation: with shallow_idle.before drawn
  // from uniform(6us, 10us) every wake-up is shallow: end 10 + 1000 x (5 + 2 + 1) = 8010us;
  // from uniform(1us, 4us) none is: 10 + 1000 x (5 + 10 + 1) = 16010us; from uniform(0, 10us)
  // a wake-up is shallow when the draw exceeds 5us, half the time: the end is 16010us less
  // 8us per shallow one, k of 1000, k binomial(1000, 0.5): 440 <= k <= 560 (3.8 sd). The
  // same seed gives the same k.
  const auto run = [](json before, uint64_t seed) {
    json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()}}}, {"seed", seed},
                {"threads", json::array({{{"program", json::array({{{"loop", 1000},
                                                                    {"do", json::array({{{"io", "5us"}}, {{"cpu", "1us"}}})}}})}}})}};
    doc["machine"]["costs"]["wakeup_latency"] = "10us";
    doc["machine"]["costs"]["shallow_idle"] = {{"before", before}, {"wake", "1us"}, {"wakeup_latency", "2us"}};
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    return r.end.count();
  };
  CHECK(run({{"uniform", {"6us", "10us"}}}, 1) == Time::us(8010).count());
  CHECK(run({{"uniform", {"1us", "4us"}}}, 1) == Time::us(16010).count());
  const int64_t end = run({{"uniform", {"0ns", "10us"}}}, 1);
  const int64_t k = (Time::us(16010).count() - end) / Time::us(8).count();
  INFO("end " << end << " ns, shallow wake-ups " << k);
  CHECK((Time::us(16010).count() - end) % Time::us(8).count() == 0);
  CHECK(k >= 440);
  CHECK(k <= 560);
  CHECK(run({{"uniform", {"0ns", "10us"}}}, 1) == end);
  CHECK(run({{"quantiles", {{0, "0ns"}, {100, "10us"}}}}, 1) != Time::us(16010).count());
}

TEST_CASE("os: deep_idle.adaptive: a long halt empties the host's poll window, short ones double it from 10us") {
  // System: as above (1 core, wake-up latency 10us, deep_idle after 200us with latency 30us),
  // adaptive; the thread does io 1ms, then 4 x io 30us, then cpu 1ms. Expectation: the 1ms halt
  // is deep (run at 1.040ms) and empties the window; the next three 30us halts outlast windows of
  // 0, 10 and 20us: deep, each 30us + 30us (runs at 1.100, 1.160, 1.220ms), the window growing
  // to 10, 20, 40us; the fourth fits in 40us: 10us (run at 1.260ms); the thread ends at 2.260ms.
  // Not adaptive, only the 1ms halt is deep: 1.040, 1.080, 1.120, 1.160, 1.200, end 2.200ms.
  json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()}}},
              {"threads", json::array({{{"program", json::array({{{"io", "1ms"}},
                                                                 {{"loop", 4}, {"do", json::array({{{"io", "30us"}}})}},
                                                                 {{"cpu", "1ms"}}})}}})}};
  doc["machine"]["costs"]["wakeup_latency"] = "10us";
  doc["machine"]["costs"]["deep_idle"] = {{"after", "200us"}, {"wake", "7us"}, {"wakeup_latency", "30us"}, {"adaptive", true}};
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end.count() == Time::us(2260).count());
  doc["machine"]["costs"]["deep_idle"]["adaptive"] = false;
  CHECK(simulate(load_scenario(doc, "test.json")).end.count() == Time::us(2200).count());
}

TEST_CASE("os: a host stall holds up the thread on the core for its length") {
  // System: 1 core, zero costs, costs.stall every 300us for 50us (fixed); one thread of cpu 1ms
  // put on the core at 0. Expectation: stalls at 300-350, 650-700 and 1000-1050us (each 300us
  // after the last one's end); the thread has done 300, 600 and 900us of work when they start
  // and ends at 1.150ms. With two threads of 1ms on 2 cores, each core stalls alike: both end
  // at 1.150ms. Without stalls: 1ms.
  for (const int n : {1, 2}) {
    json doc = {{"machine", {{"cores", n}, {"costs", test::zero_costs()}}},
                {"threads", json::array({{{"name", "c"}, {"count", n}, {"program", json::array({{{"native", "1ms"}}})}}})}};
    doc["machine"]["costs"]["stall"] = {{"every", "300us"}, {"for", "50us"}};
    INFO("threads " << n);
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    for (const auto& t : r.threads) CHECK(t.finish.count() == Time::us(1150).count());
    doc["machine"]["costs"]["stall"] = false;
    CHECK(simulate(load_scenario(doc, "test.json")).end.count() == Time::ms(1).count());
  }
}

TEST_CASE("os: a host stall of the GIL holder holds up the thread waiting for it") {
  // System: 2 cores, py3 5ms, zero costs, stall every 700us for 100us. A (cpu 500us) takes the
  // GIL at 0; B (cpu 500us) waits for it from 0 on the other core. Expectation: A's core stalls
  // at 700us, after A's 500us of work: A ends at 500us and drops; B takes the GIL at 500us, and
  // B's core stalls at 700-800us (its first stall, 700us after B was put on it at 0): B ends
  // at 1.100ms.
  json doc = {{"machine", {{"cores", 2}, {"costs", test::zero_costs()}}}, {"interpreter", {{"gil", "py3"}}},
              {"threads", json::array({{{"name", "A"}, {"program", json::array({{{"cpu", "500us"}}})}},
                                       {{"name", "B"}, {"program", json::array({{{"cpu", "500us"}}})}}})}};
  doc["machine"]["costs"]["stall"] = {{"every", "700us"}, {"for", "100us"}};
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.threads[0].finish.count() == Time::us(500).count());
  CHECK(r.threads[1].finish.count() == Time::us(1100).count());
}

TEST_CASE("os: host stalls with cores \"together\" hold up every core at once") {
  // System: 2 cores, zero costs, stall every 300us for 50us. A (native 1ms) on core 0 from 0; B
  // (io 400us, then native 280us) on core 1, asleep from 0 to 400us. Together: one series for
  // the machine, armed when the threads are put on their cores at 0: stalls at 300-350,
  // 650-700, 1000-1050us on both cores. A ends at 1.150ms; B runs 400-650, stalls, ends at
  // 730us. Each core on its own ("each", the default): core 1's stall at 300us finds it idle and
  // is dropped; B, put back on it at 400us, arms the next for 700us, and ends at 680us first.
  for (const auto& [cores, b_end] : {std::pair{"together", 730}, std::pair{"each", 680}}) {
    json doc = {{"machine", {{"cores", 2}, {"costs", test::zero_costs()}}},
                {"threads", json::array({{{"name", "A"}, {"program", json::array({{{"native", "1ms"}}})}},
                                         {{"name", "B"}, {"program", json::array({{{"io", "400us"}}, {{"native", "280us"}}})}}})}};
    doc["machine"]["costs"]["stall"] = {{"every", "300us"}, {"for", "50us"}, {"cores", cores}};
    INFO("cores " << cores);
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish.count() == Time::us(1150).count());
    CHECK(r.threads[1].finish.count() == Time::us(b_end).count());
  }
}

TEST_CASE("os: a context switch costs core time when a core changes threads") {
  // System: 2 native threads of 10ms on 1 core, 3ms slices, context switch 10us, no other cost.
  // Expectation: every dispatch of a different thread adds 10us: 20ms + switches x 10us.
  json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()}}},
              {"threads", json::array({{{"name", "n"}, {"count", 2}, {"program", json::array({{{"native", "10ms"}}})}}})}};
  doc["machine"]["costs"]["context_switch"] = "10us";
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::ms(20) + Time::us(10) * static_cast<int64_t>(r.cores[0].context_switches));
  CHECK(r.cores[0].context_switches >= 6);
}

TEST_CASE("os: a thread put on a core that has idled starts its work after the cold-start stall") {
  // costs.cold_start [[1ms, 2us], [10ms, 10us], [30ms, 12us]]: linear from (0, 0), flat after.
  const std::vector<ColdPoint> table{{Time::ms(1), Time::us(2)}, {Time::ms(10), Time::us(10)}, {Time::ms(30), Time::us(12)}};
  CHECK(OsScheduler::cold_stall(table, Time::zero()) == Time::zero());
  CHECK(OsScheduler::cold_stall(table, Time::us(500)) == Time::us(1));
  CHECK(OsScheduler::cold_stall(table, Time::ms(20)) == Time::us(11));
  CHECK(OsScheduler::cold_stall(table, Time::s(5)) == Time::us(12));
  // System: 2 cores, zero costs but that table; one thread: io 1ms, cpu 1ms, io 20ms, cpu 1ms,
  // io 500us, cpu 1ms. Each wake-up puts it back on its idle core: the first start is free (the
  // core never ran anything), then stalls of 2us, 11us and 1us. Expectation: the work ends at
  // 1 + 1.002 + 20 + 1.011 + 0.5 + 1.001 = 24.514ms (24.5ms without the table).
  json doc = {{"machine", {{"cores", 2}, {"costs", test::zero_costs()}}},
              {"threads", json::array({{{"program", json::array({{{"io", "1ms"}}, {{"cpu", "1ms"}}, {{"io", "20ms"}}, {{"cpu", "1ms"}},
                                                                 {{"io", "500us"}}, {{"cpu", "1ms"}}})}}})}};
  doc["machine"]["costs"]["cold_start"] = json::array({{"1ms", "2us"}, {"10ms", "10us"}, {"30ms", "12us"}});
  RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::us(24514));
  // Threads that take turns on one core never leave it idle: no stall. 2 native threads of 10ms,
  // 3ms slices: 20ms, as without the table.
  doc["machine"]["cores"] = 1;
  doc["threads"] = json::array({{{"name", "n"}, {"count", 2}, {"program", json::array({{{"native", "10ms"}}})}}});
  r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::ms(20));
}

TEST_CASE("os: the first native call after a long idle of the core pays costs.cold_native") {
  // costs.cold_native [[1ms, 2us], [10ms, 10us]], zero costs otherwise. One thread on 2 cores:
  // native 100us (its core never ran a thread: not cold), io 5ms, native 100us twice, io 500us,
  // native 100us. Back from each io on its idle core, only the first native call pays:
  // 2us + 8us x 4/9 = 5.555us (ns, rounded down) after the 5ms idle, 1us after the 500us one.
  // Expectation: 0.1 + 5 + 0.1 + 0.005555 + 0.1 + 0.5 + 0.1 + 0.001 = 5.906555ms.
  json doc = {{"machine", {{"cores", 2}, {"costs", test::zero_costs()}}},
              {"threads", json::array({{{"program", json::array({{{"native", "100us"}}, {{"io", "5ms"}}, {{"native", "100us"}},
                                                                 {{"native", "100us"}}, {{"io", "500us"}},
                                                                 {{"native", "100us"}}})}}})}};
  doc["machine"]["costs"]["cold_native"] = json::array({{"1ms", "2us"}, {"10ms", "10us"}});
  RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::ns(5906555));
  // Without the table: 5.9ms.
  doc["machine"]["costs"].erase("cold_native");
  r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::us(5900));
}

TEST_CASE("os: after a long idle of its core a thread runs costs.cold_slow slower until it has lost the excess") {
  // costs.cold_slow [[1ms, 0.5, 10us], [10ms, 0.25, 50us]], zero costs otherwise: linear from
  // (0, 0, 0), flat after the last. One thread on 2 cores: io 1ms, cpu 1ms, io 5ms, cpu 1ms,
  // io 20ms, cpu 100us; each wake-up puts it back on its idle core.
  //   after 1ms: 50 % slower for 20us of work (10us lost): cpu 1.010ms;
  //   after 5ms: 500000 - 250000 x 4/9 = 388,889 ppm, excess 10 + 40 x 4/9 = 27.777us, a window of
  //     27,777 x 10^6 / 388,889 = 71,426ns of work that takes 27,776ns more (ns, rounded down):
  //     cpu 1.027776ms;
  //   after 20ms: 25 % slower for 200us of work: the cpu 100us takes 125us.
  // Expectation: 1 + 1.010 + 5 + 1.027776 + 20 + 0.125 = 28.162776ms.
  json doc = {{"machine", {{"cores", 2}, {"costs", test::zero_costs()}}},
              {"threads", json::array({{{"program", json::array({{{"io", "1ms"}}, {{"cpu", "1ms"}}, {{"io", "5ms"}}, {{"cpu", "1ms"}},
                                                                 {{"io", "20ms"}}, {{"cpu", "100us"}}})}}})}};
  doc["machine"]["costs"]["cold_slow"] = json::array({{"1ms", 0.5, "10us"}, {"10ms", 0.25, "50us"}});
  RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::ns(28162776));
  doc["machine"]["costs"].erase("cold_slow");
  r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::us(28100));
  // A window cut by a preemption goes on with the work after it. One core, 3ms slices; a and b
  // each io 5ms then native 10ms. At 5ms both wake to the core idle for 5ms: the first on it gets
  // [[1ms, 0.5, 10us], [10ms, 0.25, 2ms]] at 5ms: 388,889 ppm, excess 894,444ns, a window of
  // 2,299,998ns of work. Its 3ms slice does 3ms x 10^6 / 1,388,889 = 2,159,999ns of work (840,001
  // lost); the 139,999ns of window left take 54,444ns more in its next slice. The other thread,
  // put on a core that never idled, runs at full speed. Expectation: 5 + 20 + 0.840001 +
  // 0.054444 = 25.894445ms.
  doc["machine"]["cores"] = 1;
  doc["machine"]["costs"]["cold_slow"] = json::array({{"1ms", 0.5, "10us"}, {"10ms", 0.25, "2ms"}});
  doc["threads"] = json::array({{{"name", "n"}, {"count", 2}, {"program", json::array({{{"io", "5ms"}}, {{"native", "10ms"}}})}}});
  r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::ns(25894445));
}

TEST_CASE("os: an idle core pulls a cache-hot queued thread only at the first tick after it goes cold") {
  // System: 2 cores, 3ms slices, zero costs. x (native 3.2ms) and z (native 20ms) share core 0,
  // y (native 3.1ms) has core 1. At 3ms x is sliced out with 0.2ms left, queued on core 0; at
  // 3.1ms core 1 goes idle. Linux (task_hot): x left its core 0.1ms ago, under the 500us
  // migration cost, so it is not pulled until it is cold (3.5ms), at the next scheduler tick.
  // Expectation: x finishes at tick + 0.2ms: 4.2ms with a 4ms tick, 3.8ms with a 300us tick
  // (3.6ms), and 3.3ms when nothing is ever hot (migration cost 0: pulled at 3.1ms); z, alone on
  // core 0 from 3ms, ends at 23ms.
  for (auto [cost, tick, finish] : {std::tuple{"500us", "4ms", Time::us(4200)}, std::tuple{"500us", "300us", Time::us(3800)},
                                    std::tuple{"0ns", "4ms", Time::us(3300)}}) {
    json doc = {{"machine", {{"cores", 2}, {"costs", test::zero_costs()},
                             {"scheduler", {{"timeslice", "3ms"}, {"migration_cost", cost}, {"tick_period", tick}}}}},
                {"threads", json::array({{{"name", "x"}, {"program", json::array({{{"native", "3200us"}}})}},
                                         {{"name", "y"}, {"program", json::array({{{"native", "3100us"}}})}},
                                         {{"name", "z"}, {"program", json::array({{{"native", "20ms"}}})}}})}};
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish == finish);
    CHECK(r.threads[1].finish == Time::us(3100));
    CHECK(r.threads[2].finish == Time::ms(23));  // z runs from 3ms, alone on core 0 once x is pulled
  }
}

TEST_CASE("os: eevdf: CPU hogs on one core take turns at scheduler ticks") {
  // System: 1 core, EEVDF, 1.5ms base slice, 4ms tick, zero costs; a and b native 10ms. A new
  // thread asks for half a slice (deadline 0.75ms): a runs first, protected while short of its
  // deadline, which it reaches at 0.75ms but the scheduler sees at the 4ms tick; then the
  // eligible thread with the earlier deadline runs. Expectation: a 0-4, b 4-8, a 8-12, b 12-16,
  // a 16-18 (done), b 18-20 (done).
  json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()},
                           {"scheduler", {{"policy", "eevdf"}, {"base_slice", "1500us"}, {"tick_period", "4ms"}}}}},
              {"threads", json::array({{{"name", "a"}, {"program", json::array({{{"native", "10ms"}}})}},
                                       {{"name", "b"}, {"program", json::array({{{"native", "10ms"}}})}}})}};
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.threads[0].finish == Time::ms(18));
  CHECK(r.threads[1].finish == Time::ms(20));
  // Each is preempted twice (a at 4 and 12ms, b at 8 and 16ms) and never blocks: getrusage's
  // nivcsw 2, nvcsw 0 (finishing is not a switch).
  for (const auto& t : r.threads) {
    CHECK(t.involuntary_switches == 2);
    CHECK(t.voluntary_switches == 0);
  }
}

TEST_CASE("os: eevdf: a woken thread with lag preempts a running thread that is not eligible") {
  // System: 1 core, EEVDF, 1.5ms slice, 4ms tick, zero costs. hog: native 10ms; io: io 1ms then
  // native 1ms. hog runs 0-4ms (tick); io runs at 4ms, blocks at once with lag V - v = 2ms (V is
  // the average of 0 and 4ms). At 5ms it wakes: placed at V - 2 x lag = 5 - 4 = 1ms, hog (5ms) is
  // not eligible (V = 3ms), so io preempts and ends at 6ms. Without wake-up preemption io waits
  // for the 8ms tick and ends at 9ms. Either way the core is busy 11ms and hog ends last, at 11ms.
  for (auto [preempt, io_end] : {std::pair{true, Time::ms(6)}, std::pair{false, Time::ms(9)}}) {
    json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()},
                             {"scheduler", {{"policy", "eevdf"}, {"base_slice", "1500us"}, {"tick_period", "4ms"},
                                            {"wakeup_preemption", preempt}}}}},
                {"threads", json::array({{{"name", "hog"}, {"program", json::array({{{"native", "10ms"}}})}},
                                         {{"name", "io"}, {"program", json::array({{{"io", "1ms"}}, {{"native", "1ms"}}})}}})}};
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[1].finish == io_end);
    CHECK(r.threads[0].finish == Time::ms(11));
    // hog is preempted at the 4ms tick and again for io (at its wake-up, or at the 8ms tick); io
    // blocks once (its I/O) and is never preempted.
    CHECK(r.threads[0].involuntary_switches == 2);
    CHECK(r.threads[0].voluntary_switches == 0);
    CHECK(r.threads[1].voluntary_switches == 1);
    CHECK(r.threads[1].involuntary_switches == 0);
  }
}

TEST_CASE("os: affinity keeps a thread on its cores, like sched_setaffinity") {
  // System: 2 cores, zero costs, two threads of native 10ms (no GIL needed). Expectation: pinned
  // both to core 1 they share it (makespan 20ms, core 0 never busy, and the serial baseline, one
  // thread that may run where they may, 20ms too: speedup 1); pinned apart they run in parallel
  // (10ms, each core busy 10ms); unpinned the same as apart.
  auto two = [](json a, json b) {
    json ta = {{"name", "a"}, {"program", json::array({{{"native", "10ms"}}})}};
    json tb = {{"name", "b"}, {"program", json::array({{{"native", "10ms"}}})}};
    if (!a.is_null()) ta["affinity"] = a;
    if (!b.is_null()) tb["affinity"] = b;
    return run_outcome(make(2, "py3", json::array({ta, tb})));
  };
  const Outcome same = two({1}, {1});
  REQUIRE(same.run.complete);
  CHECK(same.run.end == Time::ms(20));
  CHECK(same.run.cores[0].busy == Time::zero());
  CHECK(same.run.cores[1].busy == Time::ms(20));
  CHECK(same.serial.end == Time::ms(20));
  CHECK(*same.speedup == 1.0);
  const Outcome apart = two({1}, {0});
  CHECK(apart.run.end == Time::ms(10));
  CHECK(apart.run.cores[0].busy == Time::ms(10));
  CHECK(apart.run.cores[1].busy == Time::ms(10));
  CHECK(*apart.speedup == 2.0);
  const Outcome free = two(nullptr, nullptr);
  CHECK(free.run.end == Time::ms(10));
}

TEST_CASE("os: an idle core does not pull a thread it may not run on") {
  // System: 2 cores, zero costs; "hog" (native 30ms) and "late" (native 10ms, starting at 1ms)
  // both pinned to core 0, "free" (native 5ms, unpinned). Expectation: core 1 runs only "free"
  // (busy 5ms) although a thread waits on core 0 the whole time; core 0 time-slices hog and late
  // (busy 40ms), so the run ends at 40ms, and late, queued behind hog's 3ms slices, finishes
  // between 21ms and 40ms.
  json threads = json::array({
      {{"name", "hog"}, {"affinity", {0}}, {"program", json::array({{{"native", "30ms"}}})}},
      {{"name", "late"}, {"affinity", {0}}, {"start", "1ms"}, {"program", json::array({{{"native", "10ms"}}})}},
      {{"name", "free"}, {"program", json::array({{{"native", "5ms"}}})}}});
  const RunResult r = simulate(make(2, "py3", threads));
  REQUIRE(r.complete);
  CHECK(r.end == Time::ms(40));
  CHECK(r.cores[0].busy == Time::ms(40));
  CHECK(r.cores[1].busy == Time::ms(5));
  CHECK(r.threads[1].finish >= Time::ms(21));
}

TEST_CASE("os: resched \"ipi\": a wake-up from another core is queued by its interrupt, which preempts in user mode only") {
  // System: 2 cores, no GIL, CFS, zero costs but wakeup_latency 50us and socket_call 40us. rx,
  // pinned to core 1, blocks in recv at 50us (its start crosses the wake-up latency); hog, pinned
  // to core 1, starts at 100us and runs from 150us; tx, on core 0 from 50us, computes 2ms and
  // sends at 2050us, waking rx onto core 1, where hog's 1.9ms of virtual runtime are more than the
  // 1ms wake-up granularity ahead of rx's: rx preempts hog. rx then copies the message (40us)
  // and computes 1ms.
  // Expectation: "instant": rx is queued and runs at 2050us, and ends at 3090us. "ipi": core 1
  // queues rx when the interrupt arrives, at 2100us (resched_latency defaults to the wake-up
  // latency): hog in C code is preempted then (rx ends at 3140us); hog in a run of 40us send
  // calls (from 150us) is in the kernel then: its call that ended at 2070us did not see rx yet,
  // the one ending at 2110us switches it out (rx ends at 3150us). Either way hog is preempted
  // once and rx never.
  struct Case {
    const char* resched;
    bool hog_in_kernel;
    Time rx_end;
  };
  for (const Case& k : {Case{"instant", false, Time::us(3090)}, Case{"instant", true, Time::us(3090)},
                        Case{"ipi", false, Time::us(3140)}, Case{"ipi", true, Time::us(3150)}}) {
    CAPTURE(k.resched, k.hog_in_kernel);
    json costs = test::zero_costs();
    costs["wakeup_latency"] = "50us";
    costs["socket_call"] = "40us";
    const json hog = k.hog_in_kernel ? json::array({{{"loop", 250}, {"do", json::array({{{"send", "sink"}}})}}})
                                     : json::array({{{"native", "10ms"}}});
    const json doc = {
        {"machine", {{"cores", 2}, {"costs", costs}, {"scheduler", {{"resched", k.resched}}}}},
        {"interpreter", {{"gil", "nogil"}}},
        {"threads", json::array({{{"name", "rx"}, {"affinity", {1}}, {"program", json::array({{{"recv", "m"}}, {{"native", "1ms"}}})}},
                                 {{"name", "hog"}, {"affinity", {1}}, {"start", "100us"}, {"program", hog}},
                                 {{"name", "tx"}, {"affinity", {0}}, {"program", json::array({{{"native", "2ms"}}, {{"send", "m"}}})}}})}};
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish == k.rx_end);
    CHECK(r.threads[1].involuntary_switches == 1);
    CHECK(r.threads[0].involuntary_switches == 0);
  }
  // costs.resched_latency sets the interrupt's delay apart from the wake-up latency of idle cores:
  // 30us puts rx on core 1 at 2080us, hog in C code preempted then (rx ends at 3120us).
  json costs = test::zero_costs();
  costs["wakeup_latency"] = "50us";
  costs["resched_latency"] = "30us";
  costs["socket_call"] = "40us";
  const json doc = {
      {"machine", {{"cores", 2}, {"costs", costs}, {"scheduler", {{"resched", "ipi"}}}}},
      {"interpreter", {{"gil", "nogil"}}},
      {"threads", json::array({{{"name", "rx"}, {"affinity", {1}}, {"program", json::array({{{"recv", "m"}}, {{"native", "1ms"}}})}},
                               {{"name", "hog"}, {"affinity", {1}}, {"start", "100us"}, {"program", json::array({{{"native", "10ms"}}})}},
                               {{"name", "tx"}, {"affinity", {0}}, {"program", json::array({{{"native", "2ms"}}, {{"send", "m"}}})}}})}};
  CHECK(simulate(load_scenario(doc, "test.json")).threads[0].finish == Time::us(3120));
}

TEST_CASE("os: resched \"ipi\": a wake-up from inside a system call on the same core switches at the call's return") {
  // System: 1 core, py2, check interval 100, tick 10ns (a check every 1us), syscall 1us (its
  // compare at three quarters), other costs zero, CFS. a computes 20ms; b starts at 5000.5us
  // and preempts a (a new thread, 3ms of sleeper credit), finds the GIL held, enters futex_wait
  // and sleeps at its compare, 5001.25us. a, back, checks at 5001.75us: its sem_post's
  // FUTEX_WAKE (1us) wakes b onto a's core, where b preempts a. b's way back from futex_wait
  // (1us), then it takes the free GIL and computes 1ms.
  // Expectation: "instant": a is switched out as it wakes b, b ends at 6002.75us. "ipi": a
  // finishes its FUTEX_WAKE and is switched out on its return to user mode, before re-taking the
  // GIL: b ends 1us later, at 6003.75us. a is preempted twice either way, b blocks once.
  for (auto [mode, b_end] : {std::pair{"instant", Time::ns(6002750)}, std::pair{"ipi", Time::ns(6003750)}}) {
    CAPTURE(mode);
    json costs = test::zero_costs();
    costs["tick"] = "10ns";
    costs["syscall"] = "1us";
    const json doc = {{"machine", {{"cores", 1}, {"costs", costs}, {"scheduler", {{"resched", mode}}}}},
                      {"interpreter", {{"gil", "py2"}, {"check_interval", 100}}},
                      {"threads", json::array({{{"name", "a"}, {"program", json::array({{{"cpu", "20ms"}}})}},
                                               {{"name", "b"}, {"start", "5000500ns"}, {"program", json::array({{{"cpu", "1ms"}}})}}})}};
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[1].finish == b_end);
    CHECK(r.threads[0].involuntary_switches == 2);
    CHECK(r.threads[1].voluntary_switches == 1);
  }
}
