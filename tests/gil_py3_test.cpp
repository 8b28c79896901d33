#include <catch2/catch.hpp>

#include "models/scenario_loader.h"
#include "tests/helpers.h"

using namespace gilsim;
using nlohmann::json;

namespace {
json base(int cores) {
  return {{"machine", {{"cores", cores}, {"costs", test::zero_costs()}}},
          {"interpreter", {{"gil", "py3"}, {"switch_interval", "5ms"}}}};
}
json thread(const std::string& name, const std::string& start, json program) {
  return {{"name", name}, {"start", start}, {"program", program}};
}
}  // namespace

TEST_CASE("py3: a CPU-bound holder is asked to drop one switch interval after a waiter arrives") {
  // System: A runs cpu 100ms from 0; B arrives at 1ms wanting cpu 10ms; zero costs, 2 cores.
  // Expectation: B's timed wait expires at 6ms: the drop request comes at exactly 6ms, A drops at
  // once (tick 0), B holds from 6ms. B is then forced out at 11ms, regains at 16ms, ends at 21ms;
  // A ends at 110ms.
  json doc = base(2);
  doc["threads"] = {thread("A", "0ms", {{{"cpu", "100ms"}}}), thread("B", "1ms", {{{"cpu", "10ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  CHECK(rec.times_of(GilEvent::kDropRequest) == std::vector<Time>{Time::ms(6), Time::ms(11), Time::ms(16)});
  CHECK(rec.times_of(GilEvent::kForcedSwitch) == std::vector<Time>{Time::ms(6), Time::ms(11), Time::ms(16)});
  CHECK(r.threads[1].finish == Time::ms(21));
  CHECK(r.threads[0].finish == Time::ms(110));
  CHECK(r.gil.drop_requests == 3);
  CHECK(r.gil.switches == 4);
  CHECK(r.gil.held == Time::ms(110));
}

TEST_CASE("py3: the waiter that asks takes the GIL; a waiter whose interval each switch restarts is passed over") {
  // System: three CPU threads (10ms each) from 0 on 3 cores, zero costs; a holds first, b and c
  // wait from 0. At 5ms b's wait expires first: b asks, and takes the GIL from a while still on
  // its core; c's wait expires at the same instant, finds the request made, and waits again from
  // just before that switch. a, forced out, waits from 5ms. At 10ms c's wait sees a switch since
  // it began (switch_number) and waits again; a's sees none: a asks and takes over from b. At
  // 15ms a ends (its second 5ms) and hands the GIL to the first waiter on the condition, b (c is
  // passed over once more). Expectation: drop requests at exactly 5ms and 10ms; a ends at 15ms, b
  // at 20ms, c (alone from 20ms) at 30ms.
  json doc = base(3);
  doc["threads"] = {thread("a", "0ms", {{{"cpu", "10ms"}}}), thread("b", "0ms", {{{"cpu", "10ms"}}}),
                    thread("c", "0ms", {{{"cpu", "10ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  CHECK(rec.times_of(GilEvent::kDropRequest) == std::vector<Time>{Time::ms(5), Time::ms(10)});
  CHECK(r.threads[0].finish.count() == Time::ms(15).count());
  CHECK(r.threads[1].finish.count() == Time::ms(20).count());
  CHECK(r.threads[2].finish.count() == Time::ms(30).count());
}

TEST_CASE("py3: an I/O thread next to a CPU-bound thread waits one whole interval per operation") {
  // System: the convoy with zero costs: cpu (daemon) forever; io does 10 x (io 1ms, cpu 0) .
  // Expectation: every reacquisition after I/O waits exactly 5ms: mean = p50 = max = 5ms, and the
  // I/O thread ends at 10 x (1ms + 5ms) = 60ms; each of its loop's 10 iterations (an operation,
  // as tools/validate times one) takes exactly 6ms.
  json doc = base(2);
  doc["threads"] = {{{"name", "cpu"}, {"daemon", true}, {"program", {{{"loop", "forever"}, {"do", {{{"cpu", "1ms"}}}}}}}},
                    {{"name", "io"}, {"start", "1us"}, {"program", {{{"loop", 10}, {"do", {{{"io", "1ms"}}}}}}}}};
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  const auto& io = r.threads[1];
  CHECK(io.finish == Time::ms(60) + Time::us(1) + Time::ms(5));  // first take waits 5ms too
  CHECK(io.m.io_ops == 10);
  CHECK(io.m.latency.count() == 11);
  CHECK(io.m.latency.min() == 5000000);
  CHECK(io.m.latency.max() == 5000000);
  CHECK(io.m.latency.percentile(50) == 5000000);
  CHECK(io.m.iteration.count() == 10);
  CHECK(io.m.iteration.min() == 6000000);
  CHECK(io.m.iteration.max() == 6000000);
  CHECK(io.m.iteration.percentile(50) == 6000000);
}

TEST_CASE("py3: FORCE_SWITCHING: a forced dropper cannot win the GIL straight back") {
  // System: two CPU threads on 2 cores with a 100us wake-up latency (so the dropper, still on its
  // core, would win any race). Expectation: every forced switch hands the GIL to the other thread.
  json doc = base(2);
  doc["machine"]["costs"]["wakeup_latency"] = "100us";
  doc["threads"] = {thread("a", "0ms", {{{"cpu", "30ms"}}}), thread("b", "0ms", {{{"cpu", "30ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  REQUIRE(rec.holds.size() >= 10);
  for (size_t i = 1; i < rec.holds.size(); ++i) CHECK(rec.holds[i].thread != rec.holds[i - 1].thread);
  CHECK(r.gil.forced_switches == r.gil.drop_requests);
}

TEST_CASE("py3: a voluntary release does not wait, so the releaser competes again at once") {
  // System: one thread alternates io 0us and cpu 1ms; nobody else. Expectation: no drop request,
  // no switch wait: 20 x 1ms = 20ms exactly.
  json doc = base(2);
  doc["threads"] = json::array({thread("a", "0ms", json::array({{{"loop", 20}, {"do", json::array({{{"io", "0us"}}, {{"cpu", "1ms"}}})}}}))});
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.end == Time::ms(20));
  CHECK(r.threads[0].m.io_ops == 20);
  CHECK(r.gil.drop_requests == 0);
}

TEST_CASE("py3: the eval breaker is seen at the next check point (check_every ticks)") {
  // System: A runs cpu from 0; B arrives at 1ms; tick 1us and check_every 1000 (a check every
  // 1ms of bytecode). Expectation: the request at 6ms is honoured at A's next 1ms boundary, 6ms.
  // With the request at 6.5ms (B arrives at 1.5ms) A drops at 7ms.
  json doc = base(2);
  doc["machine"]["costs"]["tick"] = "1us";
  doc["interpreter"]["check_every"] = 1000;
  doc["threads"] = {thread("A", "0ms", {{{"cpu", "50ms"}}}), thread("B", "1500us", {{{"cpu", "1ms"}}})};
  test::Recorder rec;
  simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(!rec.holds.empty());
  CHECK(rec.times_of(GilEvent::kDropRequest).front() == Time::us(6500));
  CHECK(rec.holds.front().thread == 0);
  CHECK(rec.holds.front().to == Time::ms(7));
}

TEST_CASE("py3: two CPU-bound threads on 4 cores are no faster than serial (article claim)") {
  // System: two threads counting 10M iterations each (20M ticks), default costs, 4 cores.
  // Expectation: speedup between 0.85 and 1.02 (1.53s sequential vs 1.57s threaded reported).
  json doc = {{"machine", {{"cores", 4}}}, {"interpreter", {{"gil", "py3"}}},
              {"threads", {{{"name", "count"}, {"count", 2}, {"program", {{{"cpu", {{"ticks", 20000000}}}}}}}}}};
  const Outcome o = run_outcome(load_scenario(doc, "test.json"));
  REQUIRE(o.speedup);
  CHECK(*o.speedup >= 0.85);
  CHECK(*o.speedup <= 1.02);
}

TEST_CASE("py3: the waiter whose wait expires is still on its core when the holder drops: no wake-up, no switch_cond wait") {
  // System: 2 cores, py3 5ms; syscall 1us, wake 2us, wake-up latency 10us, other costs 0.
  // A (cpu 100ms) runs from 10us; B (cpu 1ms) arrives at 1.010ms and waits. B's wait expires at
  // 6.010ms; back at 6.021ms (latency + syscall) it sets the drop request and goes back to its
  // wait, which takes it one futex call (1us); A sees the request at once and drops at 6.021ms:
  // B, still on its core, holds the GIL from 6.021ms; A pays its cond signal (1us), finds the GIL
  // taken (no switch_cond wait) and waits on the condition from 6.022ms. B's bytecode runs
  // 6.021-7.021ms; its exit wakes A (1us + 2us IPI): B ends at 7.024ms. A is back at 7.032ms
  // (latency + syscall) with 100 - 6.011 ms to go: ends at 101.021ms.
  json doc = base(2);
  doc["machine"]["costs"]["syscall"] = "1us";
  doc["machine"]["costs"]["wake"] = "2us";
  doc["machine"]["costs"]["wakeup_latency"] = "10us";
  doc["threads"] = {thread("A", "0ms", {{{"cpu", "100ms"}}}), thread("B", "1ms", {{{"cpu", "1ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  CHECK(rec.times_of(GilEvent::kForcedSwitch) == std::vector<Time>{Time::us(6021)});
  REQUIRE(rec.holds.size() >= 2);
  CHECK(rec.holds[1].thread == 1);
  CHECK(rec.holds[1].from.count() == Time::us(6021).count());
  CHECK(r.threads[1].finish.count() == Time::us(7024).count());
  CHECK(r.threads[0].finish.count() == Time::us(101021).count());
}

TEST_CASE("py3: the new holder pays the futex wake of the forced dropper waiting on switch_cond") {
  // System: as above, but A first runs native_gil 8ms (C code holding the GIL: no check point).
  // B's wait expires at 6.010ms; back at 6.021ms it asks, but A cannot drop inside its C code: at
  // 6.022ms B goes back to sleep on the condition. A's C code ends at 8.010ms; at its first check
  // it drops, wakes B (1us + 2us IPI) and, nobody having taken the GIL, waits on switch_cond from
  // 8.013ms. B is back at 8.021ms and takes the GIL; signalling switch_cond wakes A asleep on
  // another core: B pays 1us + 2us, so its bytecode runs 8.024-9.024ms. A is back at 8.032ms and
  // waits on the condition; B's exit wakes it (3us): B ends at 9.027ms (9.024ms without the
  // signal's cost). A is back at 9.035ms: ends at 109.035ms.
  json doc = base(2);
  doc["machine"]["costs"]["syscall"] = "1us";
  doc["machine"]["costs"]["wake"] = "2us";
  doc["machine"]["costs"]["wakeup_latency"] = "10us";
  doc["threads"] = {thread("A", "0ms", {{{"native_gil", "8ms"}}, {{"cpu", "100ms"}}}), thread("B", "1ms", {{{"cpu", "1ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  CHECK(rec.times_of(GilEvent::kDropRequest) == std::vector<Time>{Time::us(6021)});
  CHECK(rec.times_of(GilEvent::kForcedSwitch) == std::vector<Time>{Time::us(8010)});
  CHECK(r.threads[1].finish.count() == Time::us(9027).count());
  CHECK(r.threads[0].finish.count() == Time::us(109035).count());
}

TEST_CASE("py3: a drop during the waiter's futex call into the condition wait makes it return at once") {
  // System: 2 cores, py3 5ms; syscall 1us, wake 2us, wake-up latency 10us, other costs 0. A runs
  // cpu 1000.5us from 10us, then io 1ms; B (cpu 1ms) arrives at 1.010ms, finds the GIL locked and
  // goes into its timed wait: pthread_cond_timedwait releases the mutex, then its 1us futex_wait
  // compares the signal word 3/4 into the call, at 1.01075ms. A drops at 1.0105ms, before the
  // compare: its signal finds nobody asleep (1us, no IPI), and B's futex_wait returns EAGAIN at
  // the call's end, 1.011ms. Expectation: B holds the GIL from exactly 1.011ms (asleep, it would
  // be back at 1.0215ms: latency + syscall) and ends at 2.011ms.
  json doc = base(2);
  doc["machine"]["costs"]["syscall"] = "1us";
  doc["machine"]["costs"]["wake"] = "2us";
  doc["machine"]["costs"]["wakeup_latency"] = "10us";
  doc["threads"] = {thread("A", "0ms", {{{"cpu", "1000500ns"}}, {{"io", "1ms"}}}), thread("B", "1ms", {{{"cpu", "1ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  REQUIRE(rec.holds.size() >= 2);
  CHECK(rec.holds[1].thread == 1);
  CHECK(rec.holds[1].from.count() == Time::us(1011).count());
  CHECK(r.threads[1].finish.count() == Time::us(2011).count());
}

TEST_CASE("py3: a waiter back from an early return finds the GIL taken by a newcomer and waits again") {
  // System: as the case above (syscall 1us, wake 2us, wake-up latency 10us, other costs 0, 2
  // cores), with C (cpu 1ms) arriving at 1.0108ms. A drops at 1.0105ms; B's futex_wait compared
  // at 1.01075ms and returns EAGAIN at 1.011ms, but in between C found the GIL free and took it
  // at once (take_gil: `if (!locked) goto _ready`). B, back, sees `locked` and goes into a new
  // timed wait (its futex_wait compares at 1.01175ms: asleep). C's bytecode 1.0108-2.0108ms; its
  // exit signals B, asleep on the other core: 1us + 2us, C ends at 2.0138ms. B is back 10us + 1us
  // after the signal and holds from 2.0218ms to 3.0218ms. Expectation: exactly these times, and
  // one failed acquisition (B's). Were the retry at the compare, B would hold from 1.01075ms.
  json doc = base(2);
  doc["machine"]["costs"]["syscall"] = "1us";
  doc["machine"]["costs"]["wake"] = "2us";
  doc["machine"]["costs"]["wakeup_latency"] = "10us";
  doc["threads"] = {thread("A", "0ms", {{{"cpu", "1000500ns"}}, {{"io", "1ms"}}}), thread("B", "1ms", {{{"cpu", "1ms"}}}),
                    thread("C", "1010800ns", {{{"cpu", "1ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  REQUIRE(rec.holds.size() >= 3);
  CHECK(rec.holds[1].thread == 2);
  CHECK(rec.holds[1].from.count() == 1010800);
  CHECK(rec.holds[2].thread == 1);
  CHECK(rec.holds[2].from.count() == 2021800);
  CHECK(r.threads[2].finish.count() == 2013800);
  CHECK(r.threads[1].finish.count() == 3021800);
  CHECK(r.gil.failed_acquires == 1);
}

TEST_CASE("py3: a timed wait ends timer_slack after its deadline") {
  // System: as the first case (A cpu 100ms from 0, B arrives at 1ms, zero costs) with
  // costs.timer_slack 30us. Expectation: B's wait, begun at 1ms, ends at 1ms + 5ms + 30us: the drop
  // request comes at exactly 6.030ms; B then holds for 5ms and is asked to drop at 11.060ms (A's
  // wait, begun at 6.030ms, ends 5.030ms later).
  json doc = base(2);
  doc["machine"]["costs"]["timer_slack"] = "30us";
  doc["threads"] = {thread("A", "0ms", {{{"cpu", "100ms"}}}), thread("B", "1ms", {{{"cpu", "10ms"}}})};
  test::Recorder rec;
  const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
  REQUIRE(r.complete);
  const auto req = rec.times_of(GilEvent::kDropRequest);
  REQUIRE(req.size() >= 2);
  CHECK(req[0].count() == Time::us(6030).count());
  CHECK(req[1].count() == Time::us(11060).count());
}

TEST_CASE("the GIL taken on another core than its last release costs gil_transfer before the Python work") {
  // System: zero costs but costs.gil_transfer 10us, py3 5ms. A runs cpu 2ms from 0 (its first
  // acquisition: no earlier release, no transfer); B arrives at 1ms wanting cpu 1ms and waits.
  // On 2 cores: A drops at its exit, 2ms, on core 0; B takes the GIL at once on core 1 and first
  // pays the transfer: it ends at 3.010ms. On 1 core: B takes the GIL on core 0, where it was
  // released: no transfer, B ends at 3ms.
  for (const int cores : {2, 1}) {
    json doc = base(cores);
    doc["machine"]["costs"]["gil_transfer"] = "10us";
    doc["threads"] = {thread("A", "0ms", {{{"cpu", "2ms"}}}), thread("B", "1ms", {{{"cpu", "1ms"}}})};
    test::Recorder rec;
    const RunResult r = simulate(load_scenario(doc, "test.json"), &rec);
    INFO("cores " << cores);
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish == Time::ms(2));
    CHECK(r.threads[1].finish == (cores == 2 ? Time::us(3010) : Time::ms(3)));
    CHECK(r.gil.held == (cores == 2 ? Time::us(3010) : Time::ms(3)));
  }
}

TEST_CASE("py3: the dropper's signal to a waiter whose core idled deep_idle.after costs deep_idle.wake") {
  // System: 2 cores, py3 5ms, costs zero but wake 2us, wakeup_latency 10us, deep_idle after 200us
  // (wake 7us, latency 30us). A (cpu 1ms, then io 1ms) and B (cpu 1ms) start at 0 and reach
  // their cores at 10us; A takes the GIL, B waits on the condition, its core idle.
  // Expectation: A's drop for its io at 1.010ms signals B, whose core has idled 1ms: A pays 7us,
  // its io runs 1.017-2.017ms; B arrives at 1.040ms and ends at 2.040ms. A, woken by its timer
  // onto a core idle 1ms (30us), takes the free GIL and ends at 2.047ms. Without deep_idle: A
  // pays 2us, B ends at 2.020ms, A at 2.022ms.
  for (const bool deep : {true, false}) {
    json doc = base(2);
    doc["machine"]["costs"]["wake"] = "2us";
    doc["machine"]["costs"]["wakeup_latency"] = "10us";
    if (deep) doc["machine"]["costs"]["deep_idle"] = {{"after", "200us"}, {"wake", "7us"}, {"wakeup_latency", "30us"}};
    doc["threads"] = {thread("A", "0ms", {{{"cpu", "1ms"}}, {{"io", "1ms"}}}), thread("B", "0ms", {{{"cpu", "1ms"}}})};
    INFO("deep_idle " << deep);
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[1].finish.count() == Time::us(deep ? 2040 : 2020).count());
    CHECK(r.threads[0].finish.count() == Time::us(deep ? 2047 : 2022).count());
  }
}

TEST_CASE("iteration_ns times the outermost loop's iterations only") {
  // System: one thread alone, zero costs: 2 x (3 x cpu 1ms, then io 1ms), then cpu 5ms outside
  // any loop. Expectation: two iterations of exactly 4ms each (the inner loop's are not counted,
  // nor the work after the loop); the thread ends at 13ms.
  json doc = base(1);
  doc["threads"] = {{{"name", "t"},
                     {"program", {{{"loop", 2}, {"do", {{{"loop", 3}, {"do", {{{"cpu", "1ms"}}}}}, {{"io", "1ms"}}}}},
                                  {{"cpu", "5ms"}}}}}};
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.threads[0].finish == Time::ms(13));
  CHECK(r.threads[0].m.iteration.count() == 2);
  CHECK(r.threads[0].m.iteration.min() == 4000000);
  CHECK(r.threads[0].m.iteration.max() == 4000000);
}

TEST_CASE("iteration_ns reads a clock of interpreter.clock_resolution") {
  // System: one thread alone, zero costs: 10 iterations of cpu 1.3us. Exact, each is 1,300 ns.
  // Read with a 1us clock (each read rounded down to a whole microsecond, the run starting on
  // one), the iterations end at 1.3, 2.6, ..., 13.0 us and read 1, 2, 3, 5, 6, 7, 9, 10, 11, 13:
  // seven of 1us and three of 2us, summing to the 13us of the last read.
  for (const bool coarse : {false, true}) {
    json doc = base(1);
    if (coarse) doc["interpreter"]["clock_resolution"] = "1us";
    doc["threads"] = {{{"name", "t"}, {"program", {{{"loop", 10}, {"do", {{{"cpu", "1300ns"}}}}}}}}};
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish == Time::ns(13000));
    const LatencyHistogram& h = r.threads[0].m.iteration;
    CHECK(h.count() == 10);
    CHECK(h.min() == (coarse ? 1000 : 1300));
    CHECK(h.max() == (coarse ? 2000 : 1300));
    CHECK(h.mean() == 1300.0);
  }
}
