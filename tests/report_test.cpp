#include <catch2/catch.hpp>

#include "models/histogram.h"
#include "models/report.h"
#include "models/scenario_loader.h"
#include "tests/helpers.h"

using namespace gilsim;

TEST_CASE("histogram: equal values give that value exactly at every percentile") {
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.record(5000000);
  CHECK(h.percentile(50) == 5000000);
  CHECK(h.percentile(99) == 5000000);
  CHECK(h.mean() == 5000000.0);
}

TEST_CASE("histogram: percentiles are within 1/16 of the true value") {
  LatencyHistogram h;
  for (int v = 1; v <= 10000; ++v) h.record(v * 1000);
  CHECK(h.percentile(50) == Approx(5000000).epsilon(1.0 / 16));
  CHECK(h.percentile(90) == Approx(9000000).epsilon(1.0 / 16));
  CHECK(h.percentile(99) == Approx(9900000).epsilon(1.0 / 16));
  CHECK(h.max() == 10000000);
  CHECK(h.min() == 1000);
  CHECK(h.mean() == Approx(5000500.0));
}

TEST_CASE("report: the JSON report carries the keys scripts rely on") {
  const Scenario sc = test::scenario(R"({"name":"r","threads":[{"name":"a","program":[{"cpu":"1ms"}]}]})");
  const Outcome o = run_outcome(sc);
  const auto j = report_json(o, analyse(o));
  for (const char* k : {"schema_version", "tool_version", "scenario", "seed", "policy", "fingerprint", "events", "makespan_ns",
                        "serial_ns", "speedup", "gil", "threads", "cores"})
    CHECK(j.contains(k));
  for (const char* k : {"switches", "drop_requests", "forced_switches", "failed_acquires", "held_ns"}) CHECK(j["gil"].contains(k));
  for (const char* k : {"name", "finish_ns", "cpu_ns", "gil_held_ns", "gil_wait_ns", "acquisitions", "io_ops", "gil_latency_ns"})
    CHECK(j["threads"][0].contains(k));
  for (const char* k : {"mean", "p50", "p90", "p99", "max"}) CHECK(j["threads"][0]["gil_latency_ns"].contains(k));
  CHECK(j["speedup"].get<double>() == 1.0);
}

TEST_CASE("report: the same scenario and seed give byte-identical JSON; another seed changes it") {
  const std::string text = R"({"seed":3,"machine":{"cores":2},"threads":[{"name":"c","count":2,"program":[{"loop":50,"do":[{"cpu":{"exp":"200us"}},{"io":{"uniform":["10us","90us"]}}]}]}]})";
  const Scenario a = test::scenario(text);
  const Outcome oa = run_outcome(a);
  const std::string one = report_json(oa, analyse(oa)).dump();
  const Outcome ob = run_outcome(a);
  const std::string two = report_json(ob, analyse(ob)).dump();
  CHECK(one == two);
  Scenario b = test::scenario(text);
  b.seed = 4;
  const Outcome oc = run_outcome(b);
  CHECK(report_json(oc, analyse(oc)).dump() != one);
}
