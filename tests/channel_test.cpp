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

TEST_CASE("channels: an echo round trip: wake-ups, IPIs, copies, and the write-space wake of the writer") {
  // System: server (own process) blocks in recv at 10us (wake-up latency 10us, wake 2us,
  // socket_call 1us, other costs 0). Client arrives at 110us on core 0; its send (1us + 2us IPI:
  // the server goes to the idle core 1) ends at 113us, its recv blocks. The server arrives at
  // 120us, copies (1us); reading frees the client's buffer, which wakes the client blocked in recv
  // (unix_write_space: +2us IPI; it arrives at 131us); cpu 123-127us, reply at 127us (the client
  // is on its way: the message waits), recv blocks at 128us. The client arrives at 131us, takes
  // the reply (1us) and frees the server's buffer (+2us: the server arrives at 141us), sends at
  // 134us (the message waits for the server), blocks at 135us. From then on each side finds the
  // other's message when it arrives: replies taken at 131, 151 and 171us.
  // Expectation: the client ends at 174us exactly; 6 I/O ops for the client, 7 for the server
  // (every send and recv, the fourth recv blocked for good; looking again after a write-space
  // wake-up is not a new op).
  const Outcome o = run_outcome(load_scenario(echo(3, "100us", "4us"), "test.json"));
  REQUIRE(o.run.complete);
  CHECK(o.run.threads[0].finish.count() == Time::us(174).count());
  json eevdf = echo(3, "100us", "4us");  // every wake-up here finds an idle core: EEVDF changes nothing
  eevdf["machine"]["scheduler"] = {{"policy", "eevdf"}};
  CHECK(simulate(load_scenario(eevdf, "test.json")).threads[0].finish.count() == Time::us(174).count());
  CHECK(o.run.threads[0].m.io_ops == 6);
  CHECK(o.run.threads[1].m.io_ops == 7);
  // The serial baseline keeps the peer (the server) running beside the serialised work, and so
  // does the client's run alone: both are exactly the run with the client starting at 0.
  const RunResult from0 = simulate(load_scenario(echo(3, "0us", "4us"), "test.json"));
  REQUIRE(o.serial.complete);
  CHECK(o.serial.end.count() == from0.threads[0].finish.count());
  const Analysis a = analyse(o);
  REQUIRE(a.threads[0].alone);
  CHECK(a.threads[0].alone->count() == from0.threads[0].finish.count());
}

TEST_CASE("channels: costs.socket_wakeup_latency times the socket wake-ups onto idle cores, not the thread's start") {
  // System: the echo above with socket_wakeup_latency 4us (wakeup_latency 10us stays for the
  // threads' starts). The client arrives at 110us; its send (110-113us) wakes the server, there at
  // 114us: copy 114-115us, the freed buffer wakes the client (115-117us, there at 119us), cpu
  // 117-121us. The client, back at 119us, finds no reply yet and blocks again; the reply at
  // 121us wakes it (121-124us, there at 125us), the server blocks at 124us. Client: copy
  // 125-126us, frees the server's buffer (126-128us, server there at 130us), send 128-129us,
  // blocks. Server at 130us: takes the request and frees the client's (130-133us, client there at
  // 134us, blocks again: no reply), cpu 133-137us, reply 137-140us (client there at 141us).
  // Client: copy 141-142us, wake 142-144us (server at 146us), send 144-145us; the server's turn
  // repeats at 146us shifted by 16us: reply 153-156us, the client there at 157us, copy 157-158us,
  // the freed buffer's wake 158-160us.
  // Expectation: the client ends at 160us exactly; with socket_wakeup_latency 10us, at 174us,
  // as without it.
  for (const auto& [latency, end] : {std::pair{"4us", 160}, std::pair{"10us", 174}}) {
    json doc = echo(3, "100us", "4us");
    doc["machine"]["costs"]["socket_wakeup_latency"] = latency;
    INFO("socket_wakeup_latency " << latency);
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish.count() == Time::us(end).count());
  }
}

TEST_CASE("channels: a reader woken onto the writer's core runs as soon as the send returns (sync wake-up)") {
  // System: 1 core, py3, socket_call 1us, every other cost 0. R blocks in recv at 0; S starts at
  // 10us, sends (10-11us) and then runs cpu 5us; R runs cpu 2us once it has the message.
  // Expectation: R, woken synchronously onto S's core, runs when S's send returns: copy 11-12us,
  // GIL (free: S is preempted inside its call), cpu 12-14us: R ends at 14us; S resumes, takes the
  // GIL, cpu 14-19us. (Without the sync rule S would run on to 16us first.)
  // The same under EEVDF, where the sync wakee is the next pick (the next buddy).
  for (const char* policy : {"cfs", "eevdf"}) {
    json doc = {{"machine", {{"cores", 1}, {"costs", test::zero_costs()}, {"scheduler", {{"policy", policy}}}}},
                {"interpreter", {{"gil", "py3"}}},
                {"threads", {{{"name", "R"}, {"program", {{{"recv", "c"}}, {{"cpu", "2us"}}}}},
                             {{"name", "S"}, {"start", "10us"}, {"program", {{{"send", "c"}}, {{"cpu", "5us"}}}}}}}};
    doc["machine"]["costs"]["socket_call"] = "1us";
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish.count() == Time::us(14).count());
    CHECK(r.threads[1].finish.count() == Time::us(19).count());
  }
}

TEST_CASE("channels: waking a receiver whose core idled deep_idle.after costs the sender deep_idle.wake") {
  // System: 2 cores, py3, costs zero but wake 2us, wakeup_latency 10us, deep_idle after 200us
  // (wake 7us, latency 30us). R, in a process of its own, starts at 0 and blocks in recv at 10us
  // on its core; S, in the main process, starts at 0 on the other core, runs cpu X from 10us and
  // sends at 10us + X, waking R onto its core, idle for X.
  // Expectation: X = 1ms: the core is deep-idle: S pays 7us (ends at 1.017ms), R arrives 30us
  // later and ends at 1.040ms. X = 100us: S pays 2us (ends at 112us), R ends at 120us.
  for (const auto& [cpu, s_end, r_end] : {std::tuple{"1ms", 1017, 1040}, std::tuple{"100us", 112, 120}}) {
    json doc = json::parse(R"({
      "interpreter": {"gil": "py3", "process_spawn": "0ns"},
      "threads": [{"name": "S", "program": [{"cpu": "0ns"}, {"send": "c"}]}],
      "processes": [{"name": "srv", "threads": [{"name": "R", "program": [{"recv": "c"}]}]}]
    })");
    doc["machine"] = machine({{"wake", "2us"}, {"wakeup_latency", "10us"},
                              {"deep_idle", {{"after", "200us"}, {"wake", "7us"}, {"wakeup_latency", "30us"}}}});
    doc["threads"][0]["program"][0]["cpu"] = cpu;
    INFO("cpu " << cpu);
    const RunResult r = simulate(load_scenario(doc, "test.json"));
    REQUIRE(r.complete);
    CHECK(r.threads[0].finish.count() == Time::us(s_end).count());
    CHECK(r.threads[1].finish.count() == Time::us(r_end).count());
  }
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
