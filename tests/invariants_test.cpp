#include <catch2/catch.hpp>

#include <functional>

#include "models/invariants.h"
#include "models/scenario_loader.h"
#include "tests/helpers.h"

using namespace gilsim;
using S = ThreadState;

namespace {

/// Runs `steps[i]` as the engine's i-th event, at the times given, so the checker sees a clock.
class Script final : public EventHandler {
public:
  std::vector<std::pair<Time, std::function<void()>>> steps;
  void run(Engine& e) {
    for (size_t i = 0; i < steps.size(); ++i) e.schedule(e.make_timer(this, 0, static_cast<uint32_t>(i), 0), steps[i].first);
    e.run(RunLimits{});
  }
  void on_event(uint32_t, uint32_t arg) override { steps[arg].second(); }
};

std::string violation_of(Script& s, Engine& e) {
  try {
    s.run(e);
  } catch (const InvariantViolation& v) {
    return v.line();
  }
  return "";
}

}  // namespace

TEST_CASE("invariants: the transition table allows the model's moves and nothing out of finished") {
  // System: legal_transition. Expectation: start -> runnable, I/O -> runnable, waiting -> running
  // with the GIL are legal; not_started -> running_gil, running_native -> running_gil (a take
  // always passes through waiting) and anything out of finished are not.
  CHECK(legal_transition(S::kNotStarted, S::kRunnable));
  CHECK(legal_transition(S::kIo, S::kRunnable));
  CHECK(legal_transition(S::kWaitingGil, S::kRunningGil));
  CHECK(legal_transition(S::kRunningGil, S::kRunnable));
  CHECK_FALSE(legal_transition(S::kNotStarted, S::kRunningGil));
  CHECK_FALSE(legal_transition(S::kRunningNative, S::kRunningGil));
  for (int s = 0; s < kThreadStateCount; ++s) CHECK_FALSE(legal_transition(S::kFinished, static_cast<S>(s)));
}

TEST_CASE("invariants: an illegal transition stops the run with the event number and the time") {
  // System: a checker over 2 threads; thread 0 starts (runnable) at 1us, then jumps to finished at
  // 2us. Expectation: the second event fails with the exact line.
  Engine e;
  InvariantChecker c(e, 2);
  e.set_after_event(&c);
  Script s;
  s.steps = {{Time::us(1), [&] { c.on_thread_state(e.now(), 0, S::kRunnable); }},
             {Time::us(2), [&] { c.on_thread_state(e.now(), 0, S::kFinished); }}};
  CHECK(violation_of(s, e) ==
        "invariant violated at event 2, t=2000ns: thread 0 went from runnable to finished, which is not a legal transition");
}

TEST_CASE("invariants: a second GIL holder is caught") {
  // System: thread 0 takes the GIL at 1us, thread 1 takes it at 3us without a release.
  // Expectation: a violation naming both.
  Engine e;
  InvariantChecker c(e, 2);
  Script s;
  s.steps = {{Time::us(1), [&] { c.on_gil(e.now(), 0, 0); }}, {Time::us(3), [&] { c.on_gil(e.now(), 0, 1); }}};
  CHECK(violation_of(s, e) ==
        "invariant violated at event 2, t=3000ns: thread 1 took the GIL of interpreter 0 while thread 0 holds it");
}

TEST_CASE("invariants: a py3 drop request needs a whole interval without a switch and a waiter of one interval") {
  // System: interval 5ms; thread 0 takes the GIL at 0; thread 1 waits from 1ms. Expectation: a
  // drop request at 5.5ms fails (the waiter has waited 4.5ms); one at 6ms passes; after a switch
  // to thread 1 at 7ms, a request at 10ms fails (3ms since the switch).
  auto run = [](Time request_at, bool switch_first) {
    Engine e;
    InvariantChecker c(e, 2);
    c.set_switch_interval(Time::ms(5));
    Script s;
    s.steps = {{Time::zero(), [&] { c.on_gil(e.now(), 0, 0); }},
               {Time::ms(1), [&] {
                  c.on_thread_state(e.now(), 1, S::kRunnable);
                  c.on_thread_state(e.now(), 1, S::kRunningNative);
                  c.on_thread_state(e.now(), 1, S::kWaitingGil);
                }}};
    int holder = 0;
    if (switch_first) {
      s.steps.push_back({Time::ms(7), [&] {
                           c.on_gil(e.now(), 0, -1);
                           c.on_gil(e.now(), 0, 1);
                           c.on_thread_state(e.now(), 1, S::kRunningGil);
                           c.on_thread_state(e.now(), 0, S::kRunnable);
                           c.on_thread_state(e.now(), 0, S::kRunningNative);
                           c.on_thread_state(e.now(), 0, S::kWaitingGil);
                         }});
      holder = 1;
    }
    s.steps.push_back({request_at, [&, holder] { c.on_gil_event(e.now(), GilEvent::kDropRequest, holder); }});
    return violation_of(s, e);
  };
  CHECK(run(Time::us(5500), false) ==
        "invariant violated at event 3, t=5500000ns: a drop request without a thread that has waited one interval "
        "(5000000ns) for the GIL");
  CHECK(run(Time::ms(6), false) == "");
  CHECK(run(Time::ms(10), true) ==
        "invariant violated at event 4, t=10000000ns: a drop request 3000000ns after the last switch, less than the "
        "interval 5000000ns");
}

TEST_CASE("invariants: the checker passes the GIL scenarios of the test suite's own models") {
  // System: two CPU threads on 2 cores under py2 and under py3, and an I/O thread next to a CPU
  // thread, with the checker attached to the real models. Expectation: no violation; the hook
  // does not change the run (same fingerprint with the checker off).
  for (const char* gil : {"py2", "py3"}) {
    nlohmann::json doc = nlohmann::json::parse(R"({"machine": {"cores": 2}, "threads": [
        {"name": "cpu", "count": 2, "program": [{"cpu": "20ms"}]},
        {"name": "io", "program": [{"loop": 50, "do": [{"io": "100us"}, {"cpu": "20us"}]}]}]})");
    doc["interpreter"] = {{"gil", gil}};
    const Scenario sc = load_scenario(doc, "test.json");
    set_invariant_checking(true);
    const RunResult on = simulate(sc);
    set_invariant_checking(false);
    const RunResult off = simulate(sc);
    set_invariant_checking(true);
    CHECK(on.complete);
    CHECK(on.fingerprint == off.fingerprint);
    CHECK(on.events == off.events);
  }
}
