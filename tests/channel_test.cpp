#include <catch2/catch.hpp>

#include "models/analysis.h"
#include "models/input_error.h"
#include "models/scenario_loader.h"
#include "tests/helpers.h"

using namespace gilsim;
using nlohmann::json;

namespace {
/// 2 cores, py3; every cost zero except those given.
json machine(json costs) {
  json c = test::zero_costs();
  for (auto& [k, v] : costs.items()) c[k] = v;
  return {{"cores", 2}, {"costs", c}};
}

/// A client in the main process doing `n` round trips to an echo server in another process.
json echo(int n, const std::string& client_start, const std::string& server_cpu) {
  json doc = json::parse(R"({
    "interpreter": {"gil": "py3", "process_spawn": "0ns"},
    "threads": [{"name": "client", "program": [{"loop": 1, "do": [{"send": "q"}, {"recv": "a"}]}]}],
    "processes": [{"name": "echo", "threads": [{"name": "server", "daemon": true,
      "program": [{"loop": "forever", "do": [{"recv": "q"}, {"cpu": "0ns"}, {"send": "a"}]}]}]}]
  })");
  doc["machine"] = machine({{"wake", "2us"}, {"wakeup_latency", "10us"}, {"socket_call", "1us"}});
  doc["threads"][0]["start"] = client_start;
  doc["threads"][0]["program"][0]["loop"] = n;
  doc["processes"][0]["threads"][0]["program"][0]["do"][1]["cpu"] = server_cpu;
  return doc;
}
}  // namespace

TEST_CASE("channels: an echo round trip costs two wake-ups, two calls with their IPIs, and the server's work") {
  // System: server (own process) starts at 0 and blocks in recv at 10us (wake-up latency 10us).
  // Client starts at 100us, arrives at 110us on core 0. Round trip: send (socket_call 1us + wake
  // 2us: the server goes to the idle core 1) -> client blocks in recv at 113us; server arrives at
  // 120us (woken at 110us), cpu 4us, send at 124us wakes the client (arrives 134us); the next
  // send starts at 134us: 24us per round trip. Expectation: 3 round trips end at 110 + 3 x 24 =
  // 182us exactly; 6 I/O ops for the client, 7 for the server (every send and recv, and its
  // fourth recv, blocked for good).
  const Outcome o = run_outcome(load_scenario(echo(3, "100us", "4us"), "test.json"));
  REQUIRE(o.run.complete);
  CHECK(o.run.threads[0].finish == Time::us(182));
  CHECK(o.run.threads[0].m.io_ops == 6);
  CHECK(o.run.threads[1].m.io_ops == 7);
  // The serial baseline keeps the peer (the server) running beside the serialised work, and so
  // does the client's run alone. Both start at 0 and arrive at 10us: the client's first send
  // finds the server not yet in recv (the message waits: 1us, no wake), the server's recv takes
  // it at once (1us), cpu 4us, and its reply wakes the client at 15us (arrives 25us). From then
  // on 24us per round trip: the third reply arrives at 25 + 2 x 24 = 73us.
  REQUIRE(o.serial.complete);
  CHECK(o.serial.end.count() == Time::us(73).count());
  const Analysis a = analyse(o);
  REQUIRE(a.threads[0].alone);
  CHECK(a.threads[0].alone->count() == Time::us(73).count());
  CHECK(a.threads[0].slowdown == Approx(82.0 / 73.0));
}

TEST_CASE("channels: messages sent before anyone receives wait in the channel; recv then does not block") {
  // System: producer sends 3 messages from 0 (socket_call 1us each); consumer starts at 1ms and
  // receives 3. Zero wake-up latency. Expectation: producer ends at 3us; the consumer never
  // blocks: 3 calls of 1us, ending at 1.003ms; nobody sleeps in I/O.
  json doc = {{"machine", machine({{"socket_call", "1us"}})},
              {"interpreter", {{"gil", "py3"}}},
              {"threads", {{{"name", "producer"}, {"program", {{{"loop", 3}, {"do", {{{"send", "c"}}}}}}}},
                           {{"name", "consumer"}, {"start", "1ms"}, {"program", {{{"loop", 3}, {"do", {{{"recv", "c"}}}}}}}}}}};
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.threads[0].finish == Time::us(3));
  CHECK(r.threads[1].finish == Time::us(1003));
  CHECK(r.threads[1].m.in_state[static_cast<size_t>(ThreadState::kIo)] == Time::zero());
}

TEST_CASE("channels: two receivers on one channel are served first come, first served") {
  // System: r1 blocks in recv at 0, r2 at 1ms; the sender sends at 2ms and 3ms (zero costs).
  // Expectation: r1 gets the first message (ends at 2ms), r2 the second (ends at 3ms).
  json doc = {{"machine", machine(json::object())},
              {"interpreter", {{"gil", "py3"}}},
              {"threads", {{{"name", "r1"}, {"program", {{{"recv", "c"}}}}},
                           {{"name", "r2"}, {"start", "1ms"}, {"program", {{{"recv", "c"}}}}},
                           {{"name", "s"}, {"start", "2ms"}, {"program", {{{"send", "c"}}, {{"io", "1ms"}}, {{"send", "c"}}}}}}}};
  const RunResult r = simulate(load_scenario(doc, "test.json"));
  REQUIRE(r.complete);
  CHECK(r.threads[0].finish == Time::ms(2));
  CHECK(r.threads[1].finish == Time::ms(3));
}

TEST_CASE("channels: a recv with no sender anywhere is an input error naming its path") {
  json doc = {{"threads", {{{"name", "a"}, {"program", {{{"cpu", "1ms"}}, {{"recv", "nobody"}}}}}}}};
  try {
    (void)load_scenario(doc, "test.json");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.path() + ": " + e.what() == "/threads/0/program/1/recv: nothing sends on channel \"nobody\": this recv would wait forever");
  }
  json bad = {{"threads", {{{"name", "a"}, {"program", {{{"send", 3}}}}}}}};
  try {
    (void)load_scenario(bad, "test.json");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.path() + ": " + e.what() == "/threads/0/program/0/send: expected a channel name (a string), got an integer");
  }
}
