/// gilsim compare: one scenario under several GIL policies, same seed, side by side; with
/// --expect, a CI gate.

#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <map>

#include "models/analysis.h"
#include "models/expect.h"
#include "models/gil_registry.h"
#include "models/report.h"
#include "tools/gilsim/cli.h"
#include "tools/gilsim/output.h"

namespace gilsim::cli {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct Row {
  std::string policy;
  Outcome o;
  Analysis a;
  nlohmann::ordered_json report;
};

/// The worst convoy: the largest median wait after I/O or C code among the threads.
int64_t convoy_p50(const Row& r) {
  int64_t worst = 0;
  for (const auto& t : r.o.run.threads) worst = std::max(worst, t.m.return_latency.percentile(50));
  return worst;
}

int64_t longest_wait(const Row& r) {
  int64_t worst = 0;
  for (const auto& t : r.o.run.threads)
    if (!t.daemon) worst = std::max(worst, t.m.longest_wait.count());
  return worst;
}

std::string table(const std::vector<Row>& rows) {
  std::string s;
  char buf[512];
  const Scenario& sc = rows.front().o.scenario;
  std::snprintf(buf, sizeof buf, "scenario %s: %d core%s, seed %" PRIu64 "\n\n", sc.name.c_str(), sc.machine.cores,
                sc.machine.cores == 1 ? "" : "s", sc.seed);
  s += buf;
  std::snprintf(buf, sizeof buf, "%-10s %12s %9s %7s %12s %13s %8s %9s %8s %9s\n", "policy", "makespan", "speedup", "ideal",
                "convoy p50", "longest wait", "starved", "switches", "forced", "failed");
  s += buf;
  for (const Row& r : rows) {
    int starved = 0;
    for (const auto& t : r.a.threads) starved += t.starved;
    std::snprintf(buf, sizeof buf, "%-10s %12s %9s %7s %12s %13s %8d %9" PRIu64 " %8" PRIu64 " %9" PRIu64 "\n", r.policy.c_str(),
                  human_time(r.o.run.end.count()).c_str(),
                  r.o.speedup ? (std::to_string(*r.o.speedup).substr(0, 5) + "x").c_str() : "-",
                  r.a.ideal_speedup ? (std::to_string(*r.a.ideal_speedup).substr(0, 4) + "x").c_str() : "-",
                  human_time(convoy_p50(r)).c_str(), human_time(longest_wait(r)).c_str(), starved, r.o.run.gil.switches,
                  r.o.run.gil.forced_switches, r.o.run.gil.failed_acquires);
    s += buf;
  }
  s += "\nconvoy p50: the largest median wait for the GIL after I/O or C code, over the threads\n";
  return s;
}

}  // namespace

int cmd_compare(const std::vector<std::string>& args) {
  ScenarioOptions so;
  std::string format = "text", output, scenario, gils = "py2,py3";
  std::vector<std::string> expects;
  po::options_description d("gilsim compare SCENARIO --gil a,b,... [--expect EXPR]... [options]");
  d.add_options()("help,h", "this help")
      ("format", po::value(&format), "text (default), json, jsonl (a line per policy) or csv (a row per policy)")
      ("output,o", po::value(&output), "write the table or report to FILE (atomically) instead of stdout")
      ("expect", po::value(&expects)->composing(),
       "EXPR that must hold, e.g. 'py3.speedup >= 0.9', 'nogil.makespan_ns < py3.makespan_ns', "
       "'py3.threads[io].gil_latency_ns.p99 < 2ms' (repeatable; exit 1 when one fails)");
  so.add_to(d);
  d.add_options()("policies", po::value(&gils), "the policies to compare, comma-separated (default py2,py3); same as --gil");
  po::variables_map vm;
  if (!parse_scenario_command(args, d, "compare", scenario, vm)) return kExitOk;
  check_format(format, {"text", "json", "jsonl", "csv"});
  if (!so.gil.empty()) gils = so.gil;
  so.gil.clear();
  const std::vector<std::string> names = split_list(gils);
  for (const auto& n : names)
    if (!find_policy(n)) throw UsageError("--gil: unknown policy \"" + n + "\" (" + policy_names() + ")");

  std::vector<Row> rows;
  std::map<std::string, nlohmann::ordered_json> reports;
  for (const auto& n : names) {
    if (reports.count(n)) throw UsageError("--gil names \"" + n + "\" twice");
    std::vector<Override> ov = so.overrides();
    ov.push_back({"interpreter.gil", nlohmann::json(n).dump()});
    Row r;
    r.policy = n;
    r.o = run_outcome(load_scenario_file(scenario, ov));
    if (!r.o.run.complete) {
      std::fprintf(stderr, "gilsim: error: %s: under %s: %s\n", scenario.c_str(), n.c_str(), run_limit_message(r.o).c_str());
      return kExitLimit;
    }
    r.a = analyse(r.o);
    r.report = report_json(r.o, r.a);
    reports[n] = r.report;
    rows.push_back(std::move(r));
  }
  // Check the expressions before printing, so a syntax error (exit 2) prints nothing else.
  std::vector<std::pair<std::string, ExpectResult>> results;
  for (const auto& e : expects) {
    try {
      results.emplace_back(e, check_expectation(e, reports));
    } catch (const ExpectSyntaxError& err) {
      throw UsageError(std::string("--expect ") + err.what());
    }
  }

  std::string text;
  if (format == "json") {
    nlohmann::ordered_json j;
    j["scenario"] = rows.front().o.scenario.name;
    j["seed"] = rows.front().o.scenario.seed;
    j["policies"] = nlohmann::ordered_json::object();
    for (const Row& r : rows) j["policies"][r.policy] = r.report;
    text = j.dump(2) + "\n";
  } else if (format == "jsonl") {
    for (const Row& r : rows) text += r.report.dump() + "\n";
  } else if (format == "csv") {
    text = "policy,makespan_ns,serial_ns,speedup,ideal_speedup,convoy_p50_ns,longest_wait_ns,switches,drop_requests,forced_switches,"
           "failed_acquires,fingerprint\n";
    for (const Row& r : rows) {
      char buf[512];
      std::snprintf(buf, sizeof buf, "%s,%" PRId64 ",%" PRId64 ",%s,%s,%" PRId64 ",%" PRId64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s\n",
                    r.policy.c_str(), r.o.run.end.count(), r.o.serial.end.count(), r.report["speedup"].dump().c_str(),
                    r.report["ideal_speedup"].dump().c_str(), convoy_p50(r), longest_wait(r), r.o.run.gil.switches,
                    r.o.run.gil.drop_requests, r.o.run.gil.forced_switches, r.o.run.gil.failed_acquires,
                    fingerprint_hex(r.o.run.fingerprint).c_str());
      text += buf;
    }
  } else {
    text = table(rows);
  }
  write_output(output, text);

  int status = kExitOk;
  for (const auto& [expr, res] : results) {
    if (!res.holds) status = kExitExpectation;
    std::fprintf(stderr, "%s: %s (%s)\n", res.holds ? "expectation holds" : "expectation FAILED", expr.c_str(), res.detail.c_str());
  }
  return status;
}

}  // namespace gilsim::cli
