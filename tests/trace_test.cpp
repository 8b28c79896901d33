#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>

#include "models/scenario_loader.h"
#include "models/timeline.h"
#include "models/trace.h"
#include "tests/helpers.h"

using namespace gilsim;
using nlohmann::json;

namespace {

/// The convoy with default costs: one CPU-bound daemon, one I/O thread doing 20 rounds.
Scenario convoy() {
  return test::scenario(R"({"name": "convoy", "seed": 7, "machine": {"cores": 2},
    "interpreter": {"gil": "py3", "switch_interval": "5ms"},
    "threads": [
      {"name": "cpu", "daemon": true, "program": [{"loop": "forever", "do": [{"cpu": "1ms"}]}]},
      {"name": "io", "start": "100us", "program": [{"loop": 20, "do": [{"io": "15us"}, {"cpu": {"ticks": 300}}]}]}]})");
}

struct Traced {
  RunResult run;
  std::string text;
  json doc;
  bool cut = false;
};

Traced traced(const Scenario& sc, TraceOptions opt = {}) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  TraceWriter w(f, sc, opt);
  Traced t;
  t.run = simulate(sc, &w);
  w.finish(t.run.end);
  t.cut = w.cut();
  std::fseek(f, 0, SEEK_END);
  t.text.resize(static_cast<size_t>(std::ftell(f)));
  std::rewind(f);
  REQUIRE(std::fread(t.text.data(), 1, t.text.size(), f) == t.text.size());
  std::fclose(f);
  t.doc = json::parse(t.text);
  return t;
}

/// Microseconds with 3 decimals back to exact nanoseconds.
int64_t ns(const json& us) { return std::llround(us.get<double>() * 1000.0); }

struct Slice {
  int64_t from, to;
  std::string name;
};
/// X events per (pid, tid), sorted by start.
std::map<std::pair<int, int>, std::vector<Slice>> slices(const json& doc) {
  std::map<std::pair<int, int>, std::vector<Slice>> m;
  for (const auto& e : doc["traceEvents"])
    if (e["ph"] == "X") m[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back({ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]), e["name"]});
  for (auto& [k, v] : m) std::sort(v.begin(), v.end(), [](const Slice& a, const Slice& b) { return a.from < b.from; });
  return m;
}

}  // namespace

TEST_CASE("trace: nanoseconds are written as exact decimal microseconds") {
  // System: the formatter alone. Expectation: three decimals always, no rounding.
  CHECK(format_us(1234567) == "1234.567");
  CHECK(format_us(0) == "0.000");
  CHECK(format_us(5) == "0.005");
  CHECK(format_us(1000) == "1.000");
  CHECK(format_us(999999999999) == "999999999.999");
  CHECK(format_us(INT64_MAX) == "9223372036854775.807");
}

TEST_CASE("trace: each thread's slices tile its lifetime, from its start to its finish, without overlap") {
  // System: the convoy (io starts at 100us; cpu is a daemon running to the end of the run).
  // Expectation: the file parses as JSON; on each thread track the slices follow each other with
  // no gap and no overlap, none of zero length, from the thread's start to its finish (io) or
  // the end of the run (cpu); every core and GIL track has no overlap either.
  const Scenario sc = convoy();
  const Traced t = traced(sc);
  REQUIRE(t.run.complete);
  const auto m = slices(t.doc);
  const int64_t start[] = {0, 100000};
  const int64_t end[] = {t.run.end.count(), t.run.threads[1].finish.count()};
  for (int th = 0; th < 2; ++th) {
    const auto& v = m.at({1, th});
    REQUIRE(!v.empty());
    CHECK(v.front().from == start[th]);
    CHECK(v.back().to == end[th]);
    for (size_t i = 0; i < v.size(); ++i) {
      CHECK(v[i].to > v[i].from);
      if (i > 0) CHECK(v[i].from == v[i - 1].to);
    }
  }
  for (const auto& [track, v] : m)
    for (size_t i = 1; i < v.size(); ++i) CHECK(v[i].from >= v[i - 1].to);
  CHECK(m.count({2, 0}) == 1);
  CHECK(m.count({3, 0}) == 1);
}

TEST_CASE("trace: the GIL track's holds add up to the report's gil.held_ns") {
  // System: the convoy. Expectation: the sum of the GIL holder slices equals the metrics'
  // held time to the nanosecond, and each slice is named after its holder.
  const Traced t = traced(convoy());
  int64_t held = 0;
  const auto m = slices(t.doc);
  for (const auto& s : m.at({3, 0})) {
    held += s.to - s.from;
    CHECK((s.name == "cpu" || s.name == "io"));
  }
  CHECK(held == t.run.gil.held.count());
}

TEST_CASE("trace: markers, counters and names are there") {
  // System: the convoy. Expectation: one drop-request marker per drop request the metrics count,
  // counters for GIL waiters, thread names as metadata, and the scenario in otherData.
  const Traced t = traced(convoy());
  uint64_t drops = 0, waiting = 0;
  std::vector<std::string> names;
  for (const auto& e : t.doc["traceEvents"]) {
    if (e["ph"] == "i" && e["name"] == "drop request") ++drops;
    if (e["ph"] == "C" && e["name"] == "waiting for GIL") ++waiting;
    if (e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == 1) names.push_back(e["args"]["name"]);
  }
  CHECK(drops == t.run.gil.drop_requests);
  CHECK(drops > 0);
  CHECK(waiting > 0);
  CHECK(names == std::vector<std::string>{"cpu", "io"});
  CHECK(t.doc["otherData"]["scenario"] == "convoy");
  CHECK(t.doc["otherData"]["policy"] == "py3");
}

TEST_CASE("trace: a wake-up is an instant on the woken thread's track, with its core and its waker") {
  // System: 2 cores, no GIL, zero costs; rx (pinned to core 1) blocks in recv at once; tx (pinned
  // to core 0) computes 1ms and sends. Expectation: three wake-ups: both starts at 0 (waker -1)
  // and rx's at 1ms onto core 1, woken by tx (thread 1).
  const Scenario sc = test::scenario(R"({"machine": {"cores": 2, "costs": )" + test::zero_costs().dump() + R"(},
    "interpreter": {"gil": "nogil"},
    "threads": [{"name": "rx", "affinity": [1], "program": [{"recv": "m"}]},
                {"name": "tx", "affinity": [0], "program": [{"native": "1ms"}, {"send": "m"}]}]})");
  const Traced t = traced(sc);
  std::vector<std::tuple<int64_t, int, int, int>> wakes;  // ts, thread, core, waker
  for (const auto& e : t.doc["traceEvents"])
    if (e["ph"] == "i" && e["name"] == "wake-up") wakes.emplace_back(ns(e["ts"]), e["tid"], e["args"]["core"], e["args"]["waker"]);
  std::sort(wakes.begin(), wakes.end());
  using W = std::tuple<int64_t, int, int, int>;
  CHECK(wakes == std::vector<W>{W{0, 0, 1, -1}, W{0, 1, 0, -1}, W{1000000, 0, 1, 1}});
}

TEST_CASE("trace: a window keeps only the events inside it, slices clipped to its edges") {
  // System: the convoy, window [10ms, 20ms). Expectation: every timed event lies in the window;
  // the cpu thread, alive throughout, tiles exactly [10ms, 20ms).
  TraceOptions o;
  o.window = Window{Time::ms(10), Time::ms(20)};
  const Traced t = traced(convoy(), o);
  for (const auto& e : t.doc["traceEvents"]) {
    if (e["ph"] == "M") continue;
    CHECK(ns(e["ts"]) >= 10000000);
    CHECK(ns(e["ts"]) + (e.contains("dur") ? ns(e["dur"]) : 0) <= 20000000);
  }
  const auto m = slices(t.doc);
  const auto& cpu = m.at({1, 0});
  CHECK(cpu.front().from == 10000000);
  CHECK(cpu.back().to == 20000000);
  for (size_t i = 1; i < cpu.size(); ++i) CHECK(cpu[i].from == cpu[i - 1].to);
}

TEST_CASE("trace: past its byte limit the trace stops and is still valid JSON within the limit") {
  // System: the convoy with a 16 KiB limit (the whole trace is larger). Expectation: cut, the
  // file parses, is at most 16 KiB, and ends with the cut marker.
  TraceOptions o;
  o.byte_limit = 16384;
  const Traced full = traced(convoy());
  REQUIRE(full.text.size() > 16384);
  const Traced t = traced(convoy(), o);
  CHECK(t.cut);
  CHECK(t.text.size() <= 16384);
  CHECK(t.doc["traceEvents"].back()["name"] == "trace cut here: size limit reached");
}

TEST_CASE("trace: states that change several times at one instant leave no zero-length slices") {
  // System: zero costs, one thread doing 50 x (io 0us, cpu 0): every state lasts no time at all
  // but the first. Expectation: no slice of zero duration on any track, and no overlap.
  json doc = json::parse(R"({"machine": {"cores": 1}, "threads": [{"name": "z", "program": [
      {"loop": 50, "do": [{"io": "0us"}, {"cpu": "0ns"}]}, {"cpu": "1ms"}]}]})");
  doc["machine"]["costs"] = test::zero_costs();
  const Traced t = traced(load_scenario(doc, "test.json"));
  for (const auto& e : t.doc["traceEvents"])
    if (e["ph"] == "X") CHECK(ns(e["dur"]) > 0);
  const auto m = slices(t.doc);
  const auto& z = m.at({1, 0});
  REQUIRE(z.size() == 1);
  CHECK(z[0].to - z[0].from == 1000000);
}

TEST_CASE("timeline: the picture names the scenario and policy and draws one row per thread") {
  // System: the convoy, default window. Expectation: an SVG document with the title, both thread
  // names, the legend, the first 50 ms (shorter than the run) on its axis.
  const Scenario sc = convoy();
  Timeline tl(sc, Window{Time::zero(), kDefaultTimelineSpan});
  const RunResult r = simulate(sc, &tl);
  tl.finish(r.end);
  const std::string svg = tl.svg();
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("convoy \xe2\x80\x94 policy py3, 2 cores, 2 threads") != std::string::npos);
  CHECK(svg.find(">cpu</text>") != std::string::npos);
  CHECK(svg.find(">io</text>") != std::string::npos);
  CHECK(svg.find(">50 ms</text>") != std::string::npos);
  CHECK(svg.find("failed acquisition") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
}

TEST_CASE("timeline: beyond 16 threads the picture draws 16 and says so") {
  // System: 20 CPU-bound threads. Expectation: 16 rows and a line saying 16 of 20 are drawn.
  json doc = {{"name", "many"}, {"threads", {{{"name", "t"}, {"count", 20}, {"program", {{{"cpu", "1ms"}}}}}}}};
  const Scenario sc = load_scenario(doc, "test.json");
  Timeline tl(sc, Window{});
  const RunResult r = simulate(sc, &tl);
  tl.finish(r.end);
  const std::string svg = tl.svg();
  CHECK(svg.find(">t#15</text>") != std::string::npos);
  CHECK(svg.find(">t#16</text>") == std::string::npos);
  CHECK(svg.find("Only the first 16 of 20 threads are drawn") != std::string::npos);
}
